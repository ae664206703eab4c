/**
 * `nxt report` over run folders written to attack it (markup in every string it reads): the HTML
 * shows it as text and runs nothing, the Markdown escapes it, and files that are not what nxt
 * writes are refused with the file named.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { buildReport } from '../../src/web/index.js';
import { selftrainSummary } from '../support/hand-made-run.js';
import { HOSTILE, HOSTILE_NAME, writeHostileRuns, writeHostileSelftrain } from '../support/hostile-run.js';
import { chromiumPath, NO_CHROMIUM } from '../support/processes.js';

const root = mkdtempSync(join(tmpdir(), 'nxt-report-hostile-'));
const runs = writeHostileRuns(root);

/** A self-training run named with markup, its summary what nxt writes. */
function namedSelftrain(): string {
  const dir = join(root, `selftrain ${HOSTILE_NAME}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'state.json'), '{}');
  const iterations = [{ iteration: 0, accepted: 1, trainFixRate: 0.5, dev: { 'pass@1': 0.5 } }];
  writeFileSync(
    join(dir, 'summary.json'),
    JSON.stringify(selftrainSummary({ baseModel: HOSTILE, baseDev: null, best: 0, iterations })),
  );
  return dir;
}

/** A Markdown line's characters as read: `\` escapes the next one. */
function markdownChars(line: string): { char: string; escaped: boolean }[] {
  const chars: { char: string; escaped: boolean }[] = [];
  for (let index = 0; index < line.length; index++) {
    const escaped = line[index] === '\\' && index + 1 < line.length;
    if (escaped) index += 1;
    chars.push({ char: line[index] as string, escaped });
  }
  return chars;
}

/** A table row's cells, split at unescaped pipes: as written (`raw`) or as the text they show. */
function cells(line: string, raw = false): string[] {
  const out: string[] = [''];
  for (const { char, escaped } of markdownChars(line)) {
    if (char === '|' && !escaped) out.push('');
    else out[out.length - 1] += raw && escaped ? `\\${char}` : char;
  }
  return out.slice(1, -1).map((cell) => cell.trim());
}

const shown = (text: string) => text.replace(/\s*\n\s*/g, ' ').trim();

describe('nxt report over a hostile run folder', () => {
  it('--markdown escapes every name: each row keeps its cells, and nothing in them is markup', async () => {
    const selftrain = namedSelftrain();
    const { markdown } = await buildReport([runs.evalRun, runs.proxyRun, runs.importRun, selftrain]);
    const lines = markdown.split('\n');
    const table = lines.filter((line) => line.startsWith('|'));
    const header = cells(table[0] as string);
    const rows = table.slice(2, 5).map((line) => cells(line));
    for (const row of rows) expect(row).toHaveLength(header.length);
    expect(rows[0]?.slice(0, 4)).toEqual([shown(HOSTILE_NAME), 'eval', shown(HOSTILE), shown(HOSTILE)]);
    expect(rows[1]?.[4]).toBe(`proxy of ${shown(HOSTILE)}`);
    const heading = `### Self-training: ${escapedLine(`selftrain ${shown(HOSTILE_NAME)}`)}`;
    expect(lines).toContain(heading);
    // In the names (the first seven cells, and the heading), no character that starts Markdown or HTML is left unescaped.
    const names = table.slice(2, 5).flatMap((line) => cells(line, true).slice(0, 7));
    for (const line of [...names, heading]) {
      const live = markdownChars(line).filter(({ char, escaped }) => !escaped && /[<>`[\]*_&$@~\\]/.test(char));
      expect(live, line).toEqual([]);
    }
  });

  it('refuses a summary or a self-training summary that is not what nxt writes, naming the file', async () => {
    const bad = join(root, 'bad-keys');
    mkdirSync(bad);
    writeFileSync(join(bad, 'manifest.json'), readFileSync(join(runs.importRun, 'manifest.json')));
    const summary = JSON.parse(readFileSync(join(runs.importRun, 'summary.json'), 'utf8'));
    summary['pass@k'].values = { [`pass@${HOSTILE}`]: 0.5 };
    writeFileSync(join(bad, 'summary.json'), JSON.stringify(summary));
    await expect(buildReport([bad])).rejects.toThrow(`${join(bad, 'summary.json')} is not what nxt wrote`);
    const selftrain = writeHostileSelftrain(root);
    await expect(buildReport([selftrain])).rejects.toThrow(`${join(selftrain, 'summary.json')} is not what nxt wrote`);
  });

  it.skipIf(!chromiumPath)(
    `shows the markup as text in Chromium: no element injected, no script run, no navigation${chromiumPath ? '' : NO_CHROMIUM}`,
    async () => {
      const { html } = await buildReport([runs.evalRun, runs.proxyRun, runs.importRun, namedSelftrain()]);
      const file = join(root, 'report.html');
      writeFileSync(file, html);
      const browser = await chromium.launch({
        executablePath: chromiumPath as string,
        args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
      });
      try {
        const page = await browser.newPage();
        await page.goto(`file://${file}`);
        await page.waitForTimeout(500);
        expect(page.url()).toBe(`file://${file}`);
        const seen = await page.evaluate(() => {
          const view = globalThis as unknown as {
            __pwned?: number;
            document: { querySelectorAll(selector: string): { length: number } };
          };
          return {
            pwned: view.__pwned,
            injected: view.document.querySelectorAll('.pwn, script, meta[http-equiv], base, img, a, iframe').length,
          };
        });
        expect(seen).toEqual({ pwned: undefined, injected: 0 });
        const texts = await page.locator('td').allTextContents();
        expect(texts).toContain(HOSTILE);
        expect(texts).toContain(HOSTILE_NAME);
      } finally {
        await browser.close();
      }
    },
    60_000,
  );
});

/** `text` escaped as the report escapes names (for the one heading the test looks for). */
function escapedLine(text: string): string {
  return text.replace(/[\\`*_{}[\]<>|&$@#~]/g, '\\$&');
}
