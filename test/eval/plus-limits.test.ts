/**
 * `nxt eval --min-time-limit` and `--gt-time-limit-factor` set EvalPlus's per-input limits (max(floor,
 * factor × the reference's time on the input)). They were recorded in the manifest and never reached
 * the judge: a fix that spends 1.5 s on one EvalPlus input passed under `--min-time-limit 0.5`.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResultRecordSchema, readRecords } from '../../src/eval/index.js';
import { startTestServer, type TestServer } from '../../src/llm/testing/test-server.js';
import { runCapture } from '../support/cli.js';
import { loadSharedTasks, sharedDataDir } from '../support/shared-data.js';

const dir = mkdtempSync(join(tmpdir(), 'nxt-plus-limits-'));
let server: TestServer;

/** The reference of Python/0, but the first call with more than six numbers (EvalPlus inputs only) sleeps 1.5 s. */
async function slowOnePlusInput(): Promise<string> {
  const [task] = await loadSharedTasks('humanevalfix-plus');
  const reference = (task as { reference: string }).reference;
  return `import time\n_slept = []\n${reference.replace(
    /(def has_close_elements\([^)]*\)[^:]*:\n)/,
    '$1    if len(numbers) > 6 and not _slept:\n        _slept.append(1)\n        time.sleep(1.5)\n',
  )}`;
}

beforeAll(async () => {
  const program = await slowOnePlusInput();
  expect(program).toContain('time.sleep(1.5)');
  server = await startTestServer({ respond: () => `Here is the fix.\n\n\`\`\`python\n${program}\n\`\`\`` });
});
afterAll(async () => {
  await server.close();
});

async function plusStatus(name: string, ...flags: string[]): Promise<string | undefined> {
  const out = join(dir, name);
  const argv = ['eval', '--dataset', 'humanevalfix-plus', '--limit', '1', '--model', `slow@${server.url}`];
  const run = await runCapture(
    [
      ...argv,
      '--samples',
      '1',
      '--k',
      '1',
      '--trace',
      'none',
      '--shots',
      '0',
      '--workers',
      '1',
      '--out',
      out,
      ...flags,
    ],
    { cwd: dir, env: { NXT_DATA_DIR: sharedDataDir } },
  );
  expect(run.stderr).not.toMatch(/internal error/);
  const [result] = await readRecords(join(out, 'results.jsonl'), ResultRecordSchema);
  expect(result?.base?.status).toBe('pass');
  const manifest = readFileSync(join(out, 'manifest.json'), 'utf8');
  expect(manifest).toContain(`"plusMinTimeLimitMs": ${flags.length ? Number(flags[1]) * 1000 : 4000}`);
  return result?.plus?.status;
}

describe('EvalPlus time limits of nxt eval', () => {
  it('--min-time-limit and --gt-time-limit-factor reach the judge', async () => {
    expect(await plusStatus('default')).toBe('pass');
    expect(await plusStatus('floor', '--min-time-limit', '0.5', '--gt-time-limit-factor', '1')).toBe('timeout');
  }, 120_000);
});
