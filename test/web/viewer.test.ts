import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, type Sandbox } from '../../src/sandbox/index.js';
import type { RepairTask } from '../../src/tasks/index.js';
import { startViewer, type Viewer } from '../../src/web/index.js';
import { HOSTILE_RATIONALE, makeDemoRun } from '../support/demo-run.js';
import { chromiumPath, NO_CHROMIUM } from '../support/processes.js';

const runsDir = mkdtempSync(join(tmpdir(), 'nxt-view-'));
let sandbox: Sandbox;
let viewer: Viewer;
let browser: Browser;
let page: Page;
let tasks: RepairTask[];

beforeAll(async () => {
  sandbox = await createSandbox();
  tasks = (await makeDemoRun(sandbox, runsDir)).tasks;
  await makeDemoRun(sandbox, runsDir, 'demo-multi', true);
  // A run of another kind: programs imported from a file (here: the demo run's own, exported).
  const { exportSamples, importSamples } = await import('../../src/eval/index.js');
  await exportSamples(join(runsDir, 'demo'), join(runsDir, 'theirs.jsonl'));
  await importSamples(join(runsDir, 'theirs.jsonl'), join(runsDir, 'imported'), tasks, sandbox, { nxtVersion: 'test' });
  // An imported program that raises while it loads: none of its tests runs.
  const broken = `${tasks[2]?.reference}\nraise RuntimeError('broken at import')\n`;
  writeFileSync(join(runsDir, 'broken.jsonl'), `${JSON.stringify({ task_id: 'Python/2', solution: broken })}\n`);
  await importSamples(join(runsDir, 'broken.jsonl'), join(runsDir, 'broken'), tasks, sandbox, { nxtVersion: 'test' });
  viewer = await startViewer({ runsDir, sandbox, loadTasks: async () => tasks });
  // The server's own defences are tested without a browser; what needs one skips, saying so.
  if (!chromiumPath) return;
  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  page = await browser.newPage();
}, 120_000);

/** The lines of a run's ratings.jsonl written by `rater` (none when the file does not exist). */
function ratingLinesOf(run: string, rater: string): string[] {
  const file = join(runsDir, run, 'ratings.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.includes(`"rater":${JSON.stringify(rater)}`));
}

afterAll(async () => {
  await browser?.close();
  await viewer?.close();
  await sandbox?.close();
});

describe.skipIf(!chromiumPath)(`the viewer in Chromium${chromiumPath ? '' : NO_CHROMIUM}`, () => {
  it('lists runs, filters tasks, and opens a sample with its trace, the diff and the fixed trace', async () => {
    await page.goto(viewer.url);
    await page.click('text=demo');
    expect(await page.locator('#tasks a.task').count()).toBe(6);
    await page.selectOption('#filter', 'fail');
    await page.click('#apply');
    expect(await page.locator('#tasks a.task').allTextContents()).toEqual(['Python/5']);
    await page.selectOption('#filter', 'all');
    await page.fill('#q', 'Python/3');
    await page.click('#apply');
    await page.click('a.task');
    await page.click('text=sample 0');
    await expect.poll(() => page.locator('#verdict').textContent()).toBe('fixed');
    const buggy = await page.locator('#buggy-trace').textContent();
    expect(buggy).toMatch(/# \(\d+\) __exception__ = AssertionError\(\)/);
    expect(await page.locator('#diff .add').count()).toBeGreaterThan(0);
    expect(await page.locator('#diff .del').count()).toBeGreaterThan(0);
    expect(await page.locator('#fixed-trace').textContent()).toContain('__return__');
    expect(await page.locator('h3 mark').count()).toBe(2);
    expect(await page.locator('#buggy-trace mark').count()).toBe(1);
    expect(await page.locator('#fixed-trace mark').count()).toBe(1);
    expect(await page.locator('#tests td.pass').count()).toBe(tasks[3]?.tests.length);
    // Long traced lines scroll inside their column; the page itself is never wider than the window.
    const overflow = await page.evaluate(() => {
      const view = globalThis as unknown as {
        innerWidth: number;
        document: { documentElement: { scrollWidth: number } };
      };
      return view.document.documentElement.scrollWidth - view.innerWidth;
    });
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: join(runsDir, 'sample.png'), fullPage: true });
  });

  it('starts the rating with no score chosen, and refuses to save one the rater did not choose', async () => {
    expect(await page.locator('#correctness').inputValue()).toBe('');
    expect(await page.locator('#helpfulness').inputValue()).toBe('');
    await page.fill('#rater', 'bob');
    await page.selectOption('#helpfulness', '3');
    await page.click('#submit-rating');
    await expect.poll(() => page.locator('#rating-status').textContent()).toBe('not saved: choose a correctness score');
    expect(await page.locator('#correctness').getAttribute('aria-invalid')).toBe('true');
    expect(ratingLinesOf('demo', 'bob')).toEqual([]);
    // The server refuses it too, whatever client sends it, and writes nothing.
    const response = await fetch(`${viewer.url}/run/demo/rate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-nxt-token': viewer.token },
      body: JSON.stringify({ taskId: 'Python/3', mode: 'sample', index: 0, rater: 'bob', helpfulness: 3 }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchInlineSnapshot(`
      {
        "error": "rating not saved: correctness: choose a score from 1 to 5",
      }
    `);
    expect(ratingLinesOf('demo', 'bob')).toEqual([]);
  });

  it('stores a rating submitted from the page', async () => {
    await page.fill('#rater', 'alice');
    await page.selectOption('#correctness', '4');
    await page.selectOption('#helpfulness', '5');
    await page.fill('#comment', 'clear, cites the trace');
    await page.click('#submit-rating');
    await expect.poll(() => page.locator('#rating-status').textContent()).toBe('saved');
    const stored = readFileSync(join(runsDir, 'demo', 'ratings.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(stored).toEqual([
      expect.objectContaining({
        taskId: 'Python/3',
        mode: 'sample',
        index: 0,
        rater: 'alice',
        correctness: 4,
        helpfulness: 5,
        comment: 'clear, cites the trace',
      }),
    ]);
    const csv = await (await fetch(`${viewer.url}/run/demo/ratings.csv`)).text();
    expect(csv.split('\n')[1]).toMatch(/^"Python\/3","sample","0","alice","4","5","clear, cites the trace"/);
  });

  it('says why each test that was not run was not run', async () => {
    // A fix that fails a test: judging stops there, and the tests after it say so.
    await page.goto(`${viewer.url}/run/demo/sample/Python%2F5/sample/0`);
    const statuses = await page.locator('#tests td:nth-child(3)').allTextContents();
    const failed = statuses.indexOf('fail');
    expect(failed).toBeGreaterThanOrEqual(0);
    expect(failed).toBeLessThan(statuses.length - 1);
    expect(statuses.slice(0, failed).every((status) => status === 'pass')).toBe(true);
    for (const status of statuses.slice(failed + 1))
      expect(status).toBe(`not run: stopped after test ${failed} failed`);
    // A program that does not load: no test ran, and each says why.
    await page.goto(`${viewer.url}/run/broken/sample/Python%2F2/sample/0`);
    expect(await page.locator('#tests td:nth-child(3)').allTextContents()).toEqual(
      tasks[2]?.tests.map(() => 'not run: the program failed to load: RuntimeError: broken at import'),
    );
  });

  it('shows agreement as a dash until two raters rated one sample, and always with its number of pairs', async () => {
    await page.goto(`${viewer.url}/run/demo-multi`);
    const before = await page.locator('#agreement').textContent();
    expect(before).toContain('—');
    expect(before).toContain('(0 pairs');
    expect(before).not.toMatch(/%/);
    const rate = (rater: string, index: number, correctness: number, helpfulness: number) =>
      fetch(`${viewer.url}/run/demo-multi/rate`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-nxt-token': viewer.token },
        body: JSON.stringify({ taskId: 'Python/0', mode: 'sample', index, rater, correctness, helpfulness }),
      });
    // Two raters on sample 1 (one pair: correctness one apart, helpfulness equal); one rater alone on sample 0.
    for (const response of [await rate('ann', 1, 4, 2), await rate('ben', 1, 5, 2), await rate('ann', 0, 3, 3)])
      expect(response.status).toBe(200);
    await page.reload();
    expect(await page.locator('#agreement').textContent()).toBe(
      'Agreement (1 pair): correctness exact 0.0%, within one 100.0%; helpfulness exact 100.0%.',
    );
  });

  it('shows a hostile rationale as text, and it does nothing', async () => {
    await page.goto(`${viewer.url}/run/demo/sample/Python%2F1/sample/0`);
    expect(await page.locator('#rationale').textContent()).toBe(HOSTILE_RATIONALE);
    expect(await page.locator('#rationale img, #rationale script').count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
  });
});

describe('the viewer refuses what a foreign page could try', () => {
  it('rejects writes without the launch token, a foreign Origin, and a foreign Host', async () => {
    const rating = { taskId: 'Python/3', mode: 'sample', index: 1, rater: 'mallory', correctness: 1, helpfulness: 1 };
    const post = (headers: Record<string, string>) =>
      fetch(`${viewer.url}/run/demo/rate`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(rating),
      });
    expect((await post({})).status).toBe(403);
    expect((await post({ 'x-nxt-token': 'guess' })).status).toBe(403);
    expect((await post({ 'x-nxt-token': viewer.token, origin: 'http://evil.example' })).status).toBe(403);
    expect((await post({ 'x-nxt-token': viewer.token })).status).toBe(200);
    const { request } = await import('node:http');
    const status = await new Promise<number>((resolve) => {
      const url = new URL(viewer.url);
      request({ host: url.hostname, port: url.port, path: '/', headers: { host: 'evil.example:80' } }, (response) =>
        resolve(response.statusCode ?? 0),
      ).end();
    });
    expect(status).toBe(403);
  });

  it.skipIf(!chromiumPath)(
    `refuses a cross-site page in the same browser${chromiumPath ? '' : NO_CHROMIUM}`,
    async () => {
      const attacker = await browser.newPage();
      await attacker.setContent('<html><body>attacker</body></html>');
      const outcome = await attacker.evaluate(async (url) => {
        try {
          const response = await fetch(`${url}/run/demo/rate`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: '{}',
          });
          return response.status;
        } catch {
          return 'blocked';
        }
      }, viewer.url);
      expect([403, 'blocked']).toContain(outcome);
      const lines = readFileSync(join(runsDir, 'demo', 'ratings.jsonl'), 'utf8')
        .trim()
        .split('\n');
      expect(lines.every((line) => !line.includes('"rater":"mallory"') || line.includes('"index":1'))).toBe(true);
      await attacker.close();
    },
  );

  it.skipIf(!chromiumPath)(
    `lists runs of every kind, and shows a multi-turn sample as the whole conversation${chromiumPath ? '' : NO_CHROMIUM}`,
    async () => {
      await page.goto(viewer.url);
      const rows = await page.locator('tr').allTextContents();
      expect(rows.some((row) => row.startsWith('imported') && row.includes('import'))).toBe(true);
      expect(rows.some((row) => row.startsWith('demo-multi') && row.includes('self-debug (2 turns)'))).toBe(true);
      await page.goto(`${viewer.url}/run/demo-multi/sample/Python%2F0/sample/1`);
      await expect.poll(() => page.locator('#verdict').textContent()).toBe('fixed');
      expect(await page.locator('#conversation .turn').count()).toBe(2);
      expect(await page.locator('#turn-1 h4').textContent()).toBe('Turn 1: fail');
      expect(await page.locator('#turn-2 h4').textContent()).toBe('Turn 2: pass');
      const feedback = await page.locator('#turn-2 .feedback').textContent();
      expect(feedback).toContain('This test does not pass');
      expect(feedback).toMatch(/# \(\d+\)/); // the trace of the model's own first fix
      expect(await page.locator('#turn-1 .completion').textContent()).toContain('```python');
      // The first turn's prompt, message by message (system, then the task).
      expect(await page.locator('#prompt .message').count()).toBe(2);
      expect(await page.locator('#prompt .message pre').nth(1).textContent()).toContain('Task: ');
    },
  );
});
