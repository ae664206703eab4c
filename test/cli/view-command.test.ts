import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { runCapture } from '../support/cli.js';
import { makeDemoRun } from '../support/demo-run.js';

const dir = mkdtempSync(join(tmpdir(), 'nxt-view-cli-'));
let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await createSandbox({ workers: 1 });
  await makeDemoRun(sandbox, dir, 'demo');
}, 120_000);
afterAll(async () => {
  await sandbox.close();
});

async function cli(argv: string[]) {
  return runCapture(argv, { cwd: dir });
}

describe('nxt view and nxt report', () => {
  it('refuses to listen beyond this machine unless told so', async () => {
    expect(await cli(['view', '--host', '0.0.0.0'])).toMatchObject({
      code: 2,
      stderr: 'nxt: --host 0.0.0.0 would let other machines read your runs: add --expose-on-network if you mean it\n',
    });
  });

  it('says what is wrong with a folder that is not there or a port in use, instead of crashing or starting', async () => {
    expect(await cli(['view', 'nope-dir'])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('nope-dir is not a folder: give the folder that holds your run folders'),
    });
    const { createServer } = await import('node:net');
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const port = (busy.address() as { port: number }).port;
    try {
      expect(await cli(['view', '.', '--port', String(port)])).toMatchObject({
        code: 2,
        stderr: `nxt: port ${port} on 127.0.0.1 is in use (another nxt view?): choose another --port, or leave it out for a free one\n`,
      });
    } finally {
      busy.close();
    }
  }, 60_000);

  it('writes the HTML report and the Markdown summary', async () => {
    const result = await cli(['report', 'demo', '--out', 'report.html']);
    expect(result.code).toBe(0);
    expect(readFileSync(join(dir, 'report.html'), 'utf8')).toContain('<svg');
    expect(readFileSync(join(dir, 'report.md'), 'utf8')).toMatch(/^# nxt report\n\n\| run \| kind \| dataset \|/);
    expect((await cli(['report', 'nothing-here'])).stderr).toMatch(/is not an nxt run folder/);
    expect(existsSync(join(dir, 'report.md'))).toBe(true);
  });

  it('writes the HTML to standard output with --out -, and the summary only where --markdown says', async () => {
    const before = readdirSync(dir);
    const html = await cli(['report', 'demo', '--out', '-']);
    expect(html).toMatchObject({ code: 0, stderr: '' });
    expect(html.stdout).toMatch(/^<!doctype html>.*<svg/s);
    expect(readdirSync(dir)).toEqual(before);
    const both = await cli(['report', 'demo', '--out', '-', '--markdown', 'summary.md']);
    expect(both.stdout).toMatch(/^<!doctype html>/);
    expect(both.stderr).toBe(`nxt: wrote ${join(dir, 'summary.md')}\n`);
    expect(readFileSync(join(dir, 'summary.md'), 'utf8')).toMatch(/^# nxt report\n/);
    const markdown = await cli(['report', 'demo', '--out', 'r2.html', '--markdown', '-']);
    expect(markdown.stdout).toMatch(/^# nxt report\n/);
    expect(readFileSync(join(dir, 'r2.html'), 'utf8')).toMatch(/^<!doctype html>/);
    expect(existsSync(join(dir, 'r2.md'))).toBe(false);
    expect(await cli(['report', 'demo', '--out', '-', '--markdown', '-'])).toMatchObject({
      code: 2,
      stdout: '',
      stderr: 'nxt: --out - and --markdown - would mix HTML and Markdown on standard output: write one to a file\n',
    });
  });
});
