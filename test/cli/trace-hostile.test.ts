/**
 * `nxt trace` on programs that forge records on the judge's channel while they are traced: it prints
 * the trace read before the forgery, marked, and exits 0. nxt runs as a process of its own: a flood
 * of trace records used to kill it ('Invalid string length'), a negative step count made it exit 70.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { forging, traceFlood } from '../sandbox/hostile-records.js';

const dir = mkdtempSync(join(tmpdir(), 'nxt-trace-hostile-'));
const MAIN = join(import.meta.dirname, '../../src/cli/main.ts');

function nxtTrace(program: string): { code: number | null; stdout: string; stderr: string } {
  const file = join(dir, 'program.py');
  writeFileSync(file, program);
  const run = spawnSync(
    process.execPath,
    ['--import', import.meta.resolve('tsx'), MAIN, 'trace', file, '--test', 'assert ok() == 2', '--workers', '1'],
    { cwd: dir, encoding: 'utf8', env: { ...process.env, NXT_CACHE_DIR: dir }, maxBuffer: 1 << 28 },
  );
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

const CASES = [
  { name: 'floods the trace channel with 600 MB', body: traceFlood(600) },
  {
    name: 'sends a trace event whose step is NaN',
    body: 'forge(TRACE, None, 0, b\'{"k": "trace", "frames": [], "events": [["l", 0, 1, NaN, null, null]]}\')',
  },
  {
    name: 'ends its trace with a negative step count, then says its test passed',
    body: 'forge(TRACE_END, None, 0, b\'{"k": "trace_end", "truncated": null, "steps": -5, "events": 1}\')\nforge(TEST_END, None, 0, b"")\nforge(DONE, 0, 0, b"")\n_os._exit(0)',
  },
];

describe('nxt trace on a program that forges trace records', () => {
  for (const item of CASES) {
    it(`${item.name}: prints what was traced before, marked, and exits 0`, () => {
      const run = nxtTrace(forging(item.body));
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).toContain('nxt: traced test 0: error (TamperError)');
      expect(run.stdout).toContain('def ok():');
      expect(run.stdout).toContain("or wrote to the judge's channel, so what it did next is not shown");
      expect(run.stdout.length).toBeLessThan(1 << 20);
    }, 120_000);
  }
});
