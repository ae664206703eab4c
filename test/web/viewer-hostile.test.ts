/**
 * The viewer over run folders written to attack it: markup in every string it reads, records that
 * do not validate, links out of the folder, torn lines. Pages show all of it as text (or name the
 * file and line that is wrong), nothing runs or navigates, and reading changes no file.
 */
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { escapeHtml } from '../../src/web/index.js';
import { createViewerApp, startViewer, type Viewer } from '../../src/web/server.js';
import { folderBytes, resultRecord, writeHandMadeRun } from '../support/hand-made-run.js';
import { HOSTILE, HOSTILE_NAME, hostileTask, writeHostileRuns, writeHostileSelftrain } from '../support/hostile-run.js';
import { chromiumPath, NO_CHROMIUM } from '../support/processes.js';

const root = mkdtempSync(join(tmpdir(), 'nxt-view-hostile-'));
const runs = writeHostileRuns(root);
writeHostileSelftrain(root);
const outside = mkdtempSync(join(tmpdir(), 'nxt-view-outside-'));
const secret = join(outside, 'secret.jsonl');
writeFileSync(secret, `${JSON.stringify(resultRecord('do-not-show', 0, true))}\n`);
// Runs whose prompts, results or ratings are links out of the folder, and a link to a run elsewhere.
const linked = writeHandMadeRun(join(root, 'linked'), [resultRecord('Python/0', 0, true)]);
symlinkSync(secret, join(linked, 'prompts.jsonl'));
const linkedResults = writeHandMadeRun(join(root, 'linked-results'), []);
rmSync(join(linkedResults, 'results.jsonl'));
symlinkSync(secret, join(linkedResults, 'results.jsonl'));
const ratingsLinked = writeHandMadeRun(join(root, 'ratings-linked'), [resultRecord('Python/0', 0, true)]);
symlinkSync(secret, join(ratingsLinked, 'ratings.jsonl'));
writeHandMadeRun(join(outside, 'elsewhere'), [resultRecord('do-not-show', 0, true)]);
symlinkSync(join(outside, 'elsewhere'), join(root, 'link-to-elsewhere'));
// Torn last lines, as a run stopped mid-write leaves them: shown as problems, never cut.
const torn = writeHandMadeRun(join(root, 'torn'), [resultRecord('Python/0', 0, true)]);
writeFileSync(join(torn, 'ratings.jsonl'), '{"taskId":"Python/0","mo');
writeFileSync(join(torn, 'prompts.jsonl'), '{"schemaVersion":1,"taskId":"Py');

const HOST = 'viewer.test:1';
const app = createViewerApp(
  { runsDir: root, sandbox: null, loadTasks: async () => [hostileTask()] },
  { token: 'token', allowedHosts: () => new Set([HOST]) },
);
const get = async (path: string) => {
  const response = await app.request(path, { headers: { host: HOST } });
  return { status: response.status, body: await response.text(), headers: response.headers };
};
const name = (dir: string) => encodeURIComponent(dir.slice(root.length + 1));
const task = encodeURIComponent(HOSTILE);
/** Every page of the hostile runs. */
const pages = [
  '/',
  ...[runs.evalRun, runs.proxyRun, runs.importRun].flatMap((run) => [
    `/run/${name(run)}`,
    `/run/${name(run)}/task/${task}`,
    `/run/${name(run)}/sample/${task}/sample/0`,
  ]),
  `/run/${name(runs.evalRun)}/sample/${task}/sample/1`,
];
/** An element of class `pwn` (the marker of HOSTILE's elements), attribute by attribute: markup that got in. */
const INJECTED = /<[a-z]+(?:\s+[a-z-]+(?:="[^"]*"|='[^']*'|=[^\s"'>]+)?)*\s+class=["']?pwn/i;

describe('the viewer over a hostile run folder, without a browser', () => {
  it('shows markup from every field only as escaped text', async () => {
    for (const path of pages) {
      const { status, body } = await get(path);
      expect(status, path).toBe(200);
      expect(body, path).not.toMatch(INJECTED);
      expect(body, path).not.toMatch(/<(meta http-equiv|base|img)\b/i);
    }
    // The sample page shows the rationale, the turns and the prompt as text.
    const sample = (await get(`/run/${name(runs.evalRun)}/sample/${task}/sample/1`)).body;
    expect(sample).toContain('&lt;script class=&quot;pwn&quot;&gt;window.__pwned=2&lt;/script&gt;');
  });

  it('names the file and line of each record that does not validate, and shows nothing of it', async () => {
    const { status, body } = await get(`/run/${name(runs.evalRun)}`);
    expect(status).toBe(200);
    const results = join(runs.evalRun, 'results.jsonl');
    expect(body).toContain(`${escapeHtml(results)}:3: not a valid result`);
    // HOSTILE, a line of markup that is not JSON, spans two lines.
    for (const line of [4, 5]) expect(body).toContain(`${escapeHtml(results)}:${line}: not valid JSON`);
    expect(body).not.toMatch(INJECTED);
    const { body: list } = await get('/');
    // The self-training summary of the wrong shape is named; the other runs are still listed.
    expect(list).toContain(`${join(root, 'selftrain', 'summary.json')} is not what nxt wrote`);
    expect(list).toContain('href="/run/proxy"');
  });

  it('follows no link: a linked file is refused and named, a linked run is not listed nor served', async () => {
    const { body } = await get('/run/linked-results');
    expect(body).toContain(`${join(linkedResults, 'results.jsonl')} is a symbolic link`);
    expect(body).not.toContain('do-not-show');
    const sample = await get('/run/linked/sample/Python%2F0/sample/0');
    expect(sample.body).toContain(`${join(linked, 'prompts.jsonl')} is a symbolic link`);
    expect(sample.body).not.toContain('do-not-show');
    const list = await get('/');
    expect(list.body).not.toContain('link-to-elsewhere');
    expect((await get('/run/link-to-elsewhere')).status).toBe(404);
    const rating = { taskId: 'Python/0', mode: 'sample', index: 0, rater: 'r', correctness: 1, helpfulness: 1 };
    const before = readFileSync(secret, 'utf8');
    const response = await app.request('/run/ratings-linked/rate', {
      method: 'POST',
      headers: { host: HOST, 'content-type': 'application/json', 'x-nxt-token': 'token' },
      body: JSON.stringify(rating),
    });
    expect(response.status).toBe(409);
    expect(((await response.json()) as { error: string }).error).toContain(
      `${join(ratingsLinked, 'ratings.jsonl')} is a symbolic link`,
    );
    expect(readFileSync(secret, 'utf8')).toBe(before);
    expect((await get('/run/ratings-linked/ratings.csv')).status).toBe(409);
  });

  it('reads without writing: torn last lines are named, not cut, and no file of any run changes', async () => {
    const before = [runs.evalRun, torn, linked].map(folderBytes);
    for (const path of [...pages, '/run/torn', '/run/torn/sample/Python%2F0/sample/0', '/run/torn/ratings.jsonl'])
      await get(path);
    expect([runs.evalRun, torn, linked].map(folderBytes)).toEqual(before);
    const { body } = await get('/run/torn');
    expect(body).toContain(`${join(torn, 'ratings.jsonl')}:1: the last line is incomplete`);
    const sample = await get('/run/torn/sample/Python%2F0/sample/0');
    expect(sample.body).toContain(`${join(torn, 'prompts.jsonl')}:1: the last line is incomplete`);
  });

  it('sends a strict Content-Security-Policy: no inline script or style, no base, no framing', async () => {
    const csp = (await get('/')).headers.get('content-security-policy') ?? '';
    const directives = Object.fromEntries(
      csp.split(';').map((directive) => {
        const [key = '', ...values] = directive.trim().split(/\s+/);
        return [key, values.join(' ')];
      }),
    );
    expect(directives).toMatchObject({
      'default-src': "'none'",
      'script-src': "'self'",
      'base-uri': "'none'",
      'form-action': "'self'",
      'frame-ancestors': "'none'",
    });
    expect(directives['style-src']).toMatch(/^'sha256-[A-Za-z0-9+/=]+'$/);
  });
});

describe.skipIf(!chromiumPath)(
  `the viewer over a hostile run folder, in Chromium${chromiumPath ? '' : NO_CHROMIUM}`,
  () => {
    let viewer: Viewer;
    let browser: Browser;
    beforeAll(async () => {
      viewer = await startViewer({ runsDir: root, sandbox: null, loadTasks: async () => [hostileTask()] });
      browser = await chromium.launch({
        executablePath: chromiumPath as string,
        args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
      });
    }, 60_000);
    afterAll(async () => {
      await browser?.close();
      await viewer?.close();
    });

    it('injects no element, runs no script and stays on the page, on every page', async () => {
      const page = await browser.newPage();
      const violations: string[] = [];
      page.on('console', (message) => {
        if (message.text().includes('Content Security Policy')) violations.push(message.text());
      });
      for (const path of pages) {
        const url = `${viewer.url}${path}`;
        await page.goto(url);
        await page.waitForTimeout(300);
        expect(page.url(), path).toBe(url);
        const seen = await page.evaluate(() => {
          const view = globalThis as unknown as {
            __pwned?: number;
            document: { querySelectorAll(selector: string): ArrayLike<{ getAttribute(name: string): string | null }> };
          };
          return {
            pwned: view.__pwned,
            injected: view.document.querySelectorAll('.pwn, meta[http-equiv], base, img, iframe, object, embed').length,
            scripts: Array.from(view.document.querySelectorAll('script')).map((script) => script.getAttribute('src')),
          };
        });
        expect(seen.pwned, path).toBeUndefined();
        expect(seen.injected, path).toBe(0);
        expect(
          seen.scripts.every((src) => src === '/static/rate.js'),
          path,
        ).toBe(true);
      }
      expect(violations).toEqual([]);
      // Shown as written, and styled (the page's own style passes the CSP).
      await page.goto(`${viewer.url}/run/${name(runs.evalRun)}/sample/${task}/sample/1`);
      expect(await page.locator('#rationale').textContent()).toBe(HOSTILE);
      expect(
        await page
          .locator('#rationale')
          .evaluate(
            (element) =>
              (globalThis as unknown as { getComputedStyle(e: unknown): { whiteSpace: string } }).getComputedStyle(
                element,
              ).whiteSpace,
          ),
      ).toBe('pre-wrap');
      expect(await page.locator('h2').first().textContent()).toContain(HOSTILE);
      await page.goto(`${viewer.url}/`);
      expect(await page.locator('td a').allTextContents()).toContain(HOSTILE_NAME);
      await page.close();
    }, 120_000);
  },
);
