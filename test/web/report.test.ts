import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SummarySchema } from '../../src/eval/index.js';
import { devRunDir } from '../../src/runs/index.js';
import { createSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { buildReport } from '../../src/web/index.js';
import { makeDemoRun } from '../support/demo-run.js';
import { selftrainSummary } from '../support/hand-made-run.js';
import { chromiumPath, NO_CHROMIUM } from '../support/processes.js';

const runsDir = mkdtempSync(join(tmpdir(), 'nxt-report-'));
let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await createSandbox();
  await makeDemoRun(sandbox, runsDir, 'demo');
}, 120_000);
afterAll(async () => {
  await sandbox.close();
});

/** Opens the report's HTML from a file in Chromium, offline, and gives `look` the page. */
async function inChromium<T>(html: string, look: (page: Page) => Promise<T>): Promise<T> {
  const file = join(mkdtempSync(join(runsDir, 'html-')), 'report.html');
  writeFileSync(file, html);
  const browser = await chromium.launch({
    executablePath: chromiumPath as string,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  try {
    const page = await browser.newPage();
    await page.goto(`file://${file}`);
    return await look(page);
  } finally {
    await browser.close();
  }
}

/** An error bar as its accessible description, field by field ('k: 1; ...; lo: 0.25; hi: 0.5'). */
type ErrorBar = Record<string, string>;

/** The error bars of each chart of a report, by the chart's caption. */
async function errorBars(html: string): Promise<Record<string, ErrorBar[]>> {
  const described: Record<string, string[]> = await inChromium(html, (page) =>
    page
      .locator('figure')
      .evaluateAll((figures) =>
        Object.fromEntries(
          figures.map((figure) => [
            figure.querySelector('figcaption')?.textContent ?? '',
            [...figure.querySelectorAll('[aria-roledescription="errorbar"]')].map(
              (bar) => bar.getAttribute('aria-label') ?? '',
            ),
          ]),
        ),
      ),
  );
  return Object.fromEntries(
    Object.entries(described).map(([caption, labels]) => [
      caption,
      labels.map((label) => Object.fromEntries(label.split('; ').map((part) => part.split(': ') as [string, string]))),
    ]),
  );
}

describe('nxt report', () => {
  it.skipIf(!chromiumPath)(
    `writes a self-contained report with tables and real SVG charts, readable offline in Chromium${chromiumPath ? '' : NO_CHROMIUM}`,
    async () => {
      const selftrain = join(runsDir, 'selftrain');
      const { mkdirSync } = await import('node:fs');
      mkdirSync(selftrain);
      writeFileSync(join(selftrain, 'state.json'), '{}');
      writeFileSync(
        join(selftrain, 'summary.json'),
        JSON.stringify(
          selftrainSummary({
            baseModel: 'b',
            baseDev: { 'pass@1': 0.1 },
            best: 1,
            iterations: [0, 1].map((iteration) => ({
              iteration,
              accepted: 3 + iteration,
              trainFixRate: 0.2,
              dev: { 'pass@1': 0.3 + 0.2 * iteration },
            })),
          }),
        ),
      );
      const report = await buildReport([join(runsDir, 'demo'), selftrain]);
      expect(report.html).not.toMatch(/<script|<link|src="http/);
      expect((report.html.match(/<svg/g) ?? []).length).toBe(3);
      expect(report.markdown).toContain('| demo | eval | humanevalfix | scripted | nxt | inline | 0 | 6 |');
      expect(report.markdown).toContain('| 1 | 4 | 20.0% | 50.0% |');
      await inChromium(report.html, async (page) => {
        expect(await page.locator('figure svg').count()).toBe(3);
        expect(await page.locator('figcaption').allTextContents()).toEqual([
          'pass@k against k',
          'pass@1 by bug type or mutation kind',
          'self-training: dev pass@1 of the base model and of the model trained in each iteration',
        ]);
        const box = await page.locator('figure svg').first().boundingBox();
        expect(box?.width).toBeGreaterThan(300);
        await page.screenshot({ path: join(runsDir, 'report.png'), fullPage: true });
      });
      expect(readFileSync(join(runsDir, 'report.png')).length).toBeGreaterThan(10_000);
    },
    120_000,
  );

  it.skipIf(!chromiumPath)(
    `names runs in chart legends so that runs differing only at the end are told apart${chromiumPath ? '' : NO_CHROMIUM}`,
    async () => {
      const names = [
        'humanevalfix-fake-scripted-inline-0shot-seed-1',
        'humanevalfix-fake-scripted-inline-0shot-seed-2',
      ];
      for (const name of names) cpSync(join(runsDir, 'demo'), join(runsDir, name), { recursive: true });
      const report = await buildReport(names.map((name) => join(runsDir, name)));
      const legends = await inChromium(report.html, (page) =>
        page
          .locator('figure svg')
          .evaluateAll((svgs) =>
            svgs.map((svg) => [...svg.querySelectorAll('.role-legend-label text')].map((text) => text.textContent)),
          ),
      );
      expect(legends.length).toBeGreaterThan(0);
      for (const labels of legends) {
        expect(labels).toHaveLength(names.length);
        // Each run has its own label, and the label is the end of its name (nothing cut from it).
        for (const name of names) expect(labels.filter((label) => label && name.endsWith(label))).toHaveLength(1);
      }
      // The table keeps the full names.
      for (const name of names) expect(report.markdown).toContain(`| ${name} |`);
    },
    120_000,
  );

  it.skipIf(!chromiumPath)(
    `draws every pass@k and pass@1-by-label value with its 95% interval as an error bar${chromiumPath ? '' : NO_CHROMIUM}`,
    async () => {
      const summary = SummarySchema.parse(JSON.parse(readFileSync(join(runsDir, 'demo', 'summary.json'), 'utf8')));
      const bars = await errorBars((await buildReport([join(runsDir, 'demo')])).html);
      const expectBars = (
        drawn: ErrorBar[] | undefined,
        wanted: [field: string, value: string, interval: number[] | undefined][],
      ) => {
        expect(drawn).toHaveLength(wanted.length);
        for (const [field, value, interval] of wanted) {
          const bar = drawn?.find((item) => item[field] === value);
          expect(Number(bar?.['lo'])).toBeCloseTo(interval?.[0] ?? Number.NaN, 6);
          expect(Number(bar?.['hi'])).toBeCloseTo(interval?.[1] ?? Number.NaN, 6);
        }
      };
      expectBars(
        bars['pass@k against k'],
        Object.entries(summary['pass@k'].intervals).map(([k, interval]) => ['k', k.slice(5), interval]),
      );
      expectBars(
        bars['pass@1 by bug type or mutation kind'],
        Object.entries(summary.byLabel).map(([label, metrics]) => ['label', label, metrics.intervals['pass@1']]),
      );
      // Bars side by side (runs that differ only in their trace format): each with its interval too.
      const untraced = join(runsDir, 'demo-untraced');
      cpSync(join(runsDir, 'demo'), untraced, { recursive: true });
      const manifest = JSON.parse(readFileSync(join(untraced, 'manifest.json'), 'utf8'));
      manifest.config.trace = 'none';
      writeFileSync(join(untraced, 'manifest.json'), JSON.stringify(manifest));
      const side = await errorBars((await buildReport([join(runsDir, 'demo'), untraced])).html);
      const pass1 = summary['pass@k'].intervals['pass@1'];
      expectBars(side['with and without execution traces (pass@1)'], [
        ['trace', 'inline', pass1],
        ['trace', 'none', pass1],
      ]);
    },
    120_000,
  );

  it.skipIf(!chromiumPath)(
    `plots self-training with the base model's dev score, on an axis named as the table's rows${chromiumPath ? '' : NO_CHROMIUM}`,
    async () => {
      // The base model and iteration 0 evaluated on dev (their run folders: copies of the demo run);
      // iteration 1 not evaluated yet.
      const dir = join(runsDir, 'selftrain-axis');
      const demo = SummarySchema.parse(JSON.parse(readFileSync(join(runsDir, 'demo', 'summary.json'), 'utf8')));
      for (const at of ['base', 0] as const) cpSync(join(runsDir, 'demo'), devRunDir(dir, at), { recursive: true });
      writeFileSync(join(dir, 'state.json'), '{}');
      const iterations = [
        { iteration: 0, accepted: 3, trainFixRate: 0.2, dev: demo['pass@k'].values },
        { iteration: 1, accepted: 4, trainFixRate: 0.3, dev: null },
      ];
      const summary = selftrainSummary({ baseModel: 'b', baseDev: demo['pass@k'].values, best: 0, iterations });
      writeFileSync(join(dir, 'summary.json'), JSON.stringify(summary));
      const report = await buildReport([dir]);
      const seen = await inChromium(report.html, async (page) => {
        const figure = page.locator('figure', { hasText: 'self-training' });
        const described = (selector: string) =>
          figure.locator(selector).evaluateAll((items) => items.map((item) => item.getAttribute('aria-label') ?? ''));
        return {
          axis: await figure.locator('[aria-label^="X-axis"] .role-axis-label text').allTextContents(),
          rows: await page.locator('table.selftrain tr td:first-child').allTextContents(),
          points: await described('[aria-roledescription="point"]'),
          bars: await described('[aria-roledescription="errorbar"]'),
        };
      });
      expect(seen.rows).toEqual(['base', ...iterations.map((iteration) => String(iteration.iteration))]);
      expect(seen.axis).toEqual(seen.rows);
      // A point for each row with a dev score (the base model's included), each with its interval.
      const evaluated = ['base', '0'];
      expect(seen.points.map((label) => /iteration: (\w+)/.exec(label)?.[1])).toEqual(evaluated);
      expect(seen.bars.map((label) => /iteration: (\w+)/.exec(label)?.[1])).toEqual(evaluated);
      const [lo, hi] = demo['pass@k'].intervals['pass@1'] as [number, number];
      for (const label of seen.bars) {
        expect(Number(/(?:^|; )lo: ([\d.]+)/.exec(label)?.[1])).toBeCloseTo(lo, 6);
        expect(Number(/(?:^|; )hi: ([\d.]+)/.exec(label)?.[1])).toBeCloseTo(hi, 6);
      }
      expect(report.markdown).toMatch(/\n\| base \| - \| - \| \d+\.\d% \[/);
    },
    120_000,
  );

  it('says why a pass@k cell is empty when some tasks have fewer than k samples', async () => {
    const uneven = join(runsDir, 'uneven');
    cpSync(join(runsDir, 'demo'), uneven, { recursive: true });
    const summary = JSON.parse(readFileSync(join(uneven, 'summary.json'), 'utf8'));
    const largest = Object.keys(summary['pass@k'].values).at(-1) as string;
    delete summary['pass@k'].values[largest];
    delete summary['pass@k'].intervals[largest];
    summary['pass@k'].omitted = { [largest]: { tasksBelow: 1, minSamples: 1 } };
    writeFileSync(join(uneven, 'summary.json'), JSON.stringify(summary));
    const report = await buildReport([uneven]);
    expect(report.markdown).toContain(`not reported: 1 tasks have fewer than ${largest.slice(5)} samples`);
  });
});
