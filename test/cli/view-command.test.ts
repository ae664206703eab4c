import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
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
});
