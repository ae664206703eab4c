/**
 * Judges programs that try to leave state for later programs, a learner that remembers its guesses
 * wherever it can, and two programs at once that try to signal each other; prints one JSON line.
 * Run by the round-three tests under a launcher that gives it a session keyring of its own holding
 * `nxt-invoker-secret`, as root or as another user (setpriv).
 *
 *   node --import tsx state-channels.ts '{"bubblewrap":"off","namespaces":"required","samples":16}'
 */
import { spawnSync } from 'node:child_process';
import { createSandbox, type JudgeOptions, type Sandbox } from '../../../src/sandbox/index.js';
import { HOLDER, LEARNER, LEARNER_TESTS, PROBER, READER, WRITER } from '../state-programs.js';

const options = JSON.parse(process.argv[2] ?? '{}') as {
  bubblewrap?: 'auto' | 'required' | 'off';
  namespaces?: 'auto' | 'required' | 'off';
  python?: string;
  samples?: number;
};

/** What f() returns, read from an (unsealed, our own) statement test's failure message. */
async function returned(sandbox: Sandbox, program: string, judge: JudgeOptions = {}): Promise<string[]> {
  const verdict = await sandbox.judgeProgram(program, ['import json\nassert False, json.dumps(f())'], {
    sealing: 'off',
    testTimeoutMs: 10_000,
    programTimeoutMs: 20_000,
    ...judge,
  });
  const message = verdict.tests[0]?.exception?.message;
  if (verdict.program.status !== 'ok' || message === undefined) {
    throw new Error(`the program did not run: ${JSON.stringify(verdict).slice(0, 2000)}`);
  }
  return JSON.parse(message) as string[];
}

/** Whether the session keyring this process was started with now holds `name` (asked of a python3 child). */
function invokerHolds(name: string): boolean {
  const check = `import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
number = {'x86_64': 249, 'aarch64': 218}[os.uname().machine]
print(libc.syscall(ctypes.c_long(number), b'user', ${JSON.stringify(name)}.encode(), None, ctypes.c_int(0)) > 0)`;
  const run = spawnSync(options.python ?? 'python3', ['-c', check], { encoding: 'utf8' });
  return run.stdout.trim() === 'True';
}

const sandbox = await createSandbox({
  workers: 2,
  ...(options.bubblewrap ? { bubblewrap: options.bubblewrap } : {}),
  ...(options.namespaces ? { namespaces: options.namespaces } : {}),
  ...(options.python ? { python: options.python } : {}),
});
try {
  const invokerSecretBefore = invokerHolds('nxt-invoker-secret');
  const before = await returned(sandbox, READER);
  const made = await returned(sandbox, WRITER);
  const after: string[][] = [];
  for (let round = 0; round < 4; round++) after.push(await returned(sandbox, READER));
  const invokerModified = invokerHolds('nxt-mark-session');
  let learnerPasses = 0;
  for (let sample = 0; sample < (options.samples ?? 16); sample++) {
    const verdict = await sandbox.judgeProgram(LEARNER, LEARNER_TESTS, { entryPoint: 'f', stopAtFirstFailure: true });
    if (verdict.status === 'pass') learnerPasses++;
  }
  const [held, seen] = await Promise.all([returned(sandbox, HOLDER), returned(sandbox, PROBER)]);
  process.stdout.write(
    `${JSON.stringify({
      uid: process.getuid?.(),
      layers: sandbox.layers,
      invokerSecretBefore,
      before,
      made,
      after,
      invokerModified,
      learnerPasses,
      held,
      seen,
      servers: sandbox.serversStarted,
    })}\n`,
  );
} finally {
  await sandbox.close();
}
