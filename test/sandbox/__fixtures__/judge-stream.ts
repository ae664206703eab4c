/**
 * Judges a fixed mix of hostile, wrong and honest programs in its own nxt process and prints one JSON
 * line: the statuses it got and the isolation layers. Used by the round-two tests to run nxt as
 * another user (setpriv) or as a second nxt process beside the test's own.
 *
 *   node --import tsx judge-stream.ts '{"bubblewrap":"off","rounds":1,"python":"/usr/bin/python3"}'
 */
import { createSandbox } from '../../../src/sandbox/index.js';

const options = JSON.parse(process.argv[2] ?? '{}') as {
  bubblewrap?: 'auto' | 'off';
  rounds?: number;
  workers?: number;
  python?: string;
};

/** Reaches for every process it can see: stops, renices, reads memory and descriptors. */
const THIEF = `import os, signal
me = os.getpid()
for name in os.listdir('/proc'):
    if not name.isdigit() or int(name) in (me, 1):
        continue
    pid = int(name)
    for attempt in (lambda: os.kill(pid, signal.SIGSTOP), lambda: os.setpriority(os.PRIO_PROCESS, pid, 19)):
        try:
            attempt()
        except OSError:
            pass
    try:
        with open('/proc/%d/mem' % pid, 'rb') as handle:
            handle.read(16)
    except OSError:
        pass
    try:
        for fd in os.listdir('/proc/%d/fd' % pid):
            with open('/proc/%d/fd/%s' % (pid, fd), 'wb') as handle:
                handle.write(b'pass')
    except OSError:
        pass
def f(x):
    return x
`;
const KILL_ALL = `import os, signal
try:
    os.kill(-1, signal.SIGKILL)
except OSError:
    pass
def f(x):
    return x
`;
const FORK_BOMB = `import os
while True:
    try:
        os.fork()
    except OSError:
        break
def f(x):
    return x
`;
const FILL_TMP = `import os
for place in ('/tmp', '/dev/shm', '.'):
    try:
        with open(os.path.join(place, 'fill'), 'wb') as handle:
            while True:
                handle.write(b'x' * (1 << 20))
    except OSError:
        pass
def f(x):
    return x
`;
/** Leaves directories it made unreadable and unwritable, in /tmp and in its work dir. */
const LOCK = `import os
for place in ('/tmp/locked', 'locked'):
    os.makedirs(place + '/inner/deeper')
    with open(place + '/inner/deeper/file', 'w') as handle:
        handle.write('x')
    os.chmod(place + '/inner', 0)
    os.chmod(place, 0o500)
def f(x):
    return x
`;
const WRONG = 'def f(x):\n    return 0\n';
const HONEST = `import os, tempfile
def f(x):
    assert not [name for name in os.listdir('/tmp') if name.startswith('locked')], 'a program left /tmp/locked'
    assert not os.listdir('.'), 'a program left files in the work dir'
    with tempfile.TemporaryFile() as handle:
        handle.write(b'x' * (1 << 20))
    assert os.getpriority(os.PRIO_PROCESS, 0) == 0, 'reniced'
    return x * 2
`;
const TESTS = ['assert f(2) == 4', 'assert f(5) == 10'];

const sandbox = await createSandbox({
  workers: options.workers ?? 1,
  bubblewrap: options.bubblewrap ?? 'auto',
  ...(options.python ? { python: options.python } : {}),
});
const results: { name: string; status: string; reason: string }[] = [];
try {
  for (let round = 0; round < (options.rounds ?? 1); round++) {
    for (const [name, program] of [
      ['thief', THIEF],
      ['wrong-after-thief', WRONG],
      ['honest-after-thief', HONEST],
      ['kill-all', KILL_ALL],
      ['honest-after-kill-all', HONEST],
      ['fork-bomb', FORK_BOMB],
      ['honest-after-fork-bomb', HONEST],
      ['fill-tmp', FILL_TMP],
      ['honest-after-fill-tmp', HONEST],
      ['lock', LOCK],
      ['honest-after-lock', HONEST],
      ['wrong', WRONG],
    ] as const) {
      const verdict = await sandbox.judgeProgram(program, TESTS, { entryPoint: 'f', testTimeoutMs: 2000 });
      results.push({ name, status: verdict.status, reason: verdict.reason });
    }
  }
  process.stdout.write(
    `${JSON.stringify({ uid: process.getuid?.(), layers: sandbox.layers, results, servers: sandbox.serversStarted })}\n`,
  );
} finally {
  await sandbox.close();
}
