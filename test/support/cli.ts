import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CliIo } from '../../src/cli/io.js';
import { runCli } from '../../src/cli/program.js';

/**
 * Where in-process commands keep their caches unless a test says otherwise: one folder per test file,
 * never the user's ~/.cache/nxt (a verdict cached by another checkout must not answer for this one).
 */
const testCacheDir = mkdtempSync(join(tmpdir(), 'nxt-test-caches-'));

/** Runs the nxt command line in-process with captured output. */
export async function runCapture(
  argv: readonly string[],
  options: { cwd: string; env?: Record<string, string | undefined> },
) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    env: { NXT_CACHE_DIR: testCacheDir, ...options.env },
    cwd: options.cwd,
    isTty: false,
  };
  return { code: await runCli(argv, io), stdout, stderr };
}

/** The nxt executable as a process of its own (for kill -9 tests), reading datasets from `env`. */
export function spawnNxt(argv: readonly string[], env: Record<string, string | undefined>): ChildProcess {
  return spawn(
    process.execPath,
    ['--import', import.meta.resolve('tsx'), join(import.meta.dirname, '../../src/cli/main.ts'), ...argv],
    { env: { ...process.env, ...env }, stdio: 'ignore' },
  );
}

/** Resolves with a process's exit code. */
export function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.on('exit', (code) => resolve(code)));
}

/**
 * `nxt eval` on the first `limit` HumanEvalFix tasks with one sandbox worker, as the eval tests run it:
 * `model` is NAME@URL, `rest` adds --out, --cache, --strategy and the like.
 */
export function evalArgv(
  model: string,
  options: { limit: number; samples: number; k: string },
  ...rest: string[]
): string[] {
  return [
    'eval',
    '--dataset',
    'humanevalfix',
    '--limit',
    String(options.limit),
    '--model',
    model,
    '--samples',
    String(options.samples),
    '--k',
    options.k,
    '--workers',
    '1',
    ...rest,
  ];
}
