import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { defineHostileSuite } from './hostile-suite.js';

// The hostile suite again, while another nxt process judges hostile programs of its own on the same
// machine: no check may see the other's processes, uids or files.
let other: ChildProcess | null = null;

beforeAll(() => {
  const fixture = join(import.meta.dirname, '__fixtures__', 'judge-stream.ts');
  other = spawn(process.execPath, ['--import', 'tsx', fixture, JSON.stringify({ rounds: 10_000, workers: 2 })], {
    stdio: 'ignore',
  });
});

afterAll(() => {
  other?.kill('SIGKILL');
});

defineHostileSuite('beside another busy nxt process', {});
