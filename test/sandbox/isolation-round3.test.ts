/**
 * Sandbox, round three: nothing of a program survives it (decision 0016). Each mode runs the
 * state-channels fixture in a process of its own, started with a session keyring of its own that
 * holds a secret, as root and as another user, with bubblewrap and with nxt's own namespaces.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findBubblewrap } from '../../src/sandbox/bubblewrap.js';
import { createSandbox } from '../../src/sandbox/index.js';
import { asUser, bundleForAnotherUser, hasSetpriv, removeBundle } from '../support/another-user.js';
import { NO_BUBBLEWRAP } from '../support/processes.js';

const FIXTURE = join(import.meta.dirname, '__fixtures__', 'state-channels.ts');
const isRoot = process.getuid?.() === 0;
const bubblewrap = await findBubblewrap();
const SYSTEM_PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

/** Joins a new session keyring, puts a secret in it, then becomes the command that follows. */
const LAUNCHER = `import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
add_key, keyctl = {'x86_64': (248, 250), 'aarch64': (217, 219)}[os.uname().machine]
if libc.syscall(ctypes.c_long(keyctl), ctypes.c_int(1), b'nxt-test-invoker') < 0:
    sys.exit('cannot join a session keyring: %s' % os.strerror(ctypes.get_errno()))
if libc.syscall(ctypes.c_long(add_key), b'user', b'nxt-invoker-secret', b'hunter2', ctypes.c_size_t(7), ctypes.c_int(-3)) < 0:
    sys.exit('cannot add a key: %s' % os.strerror(ctypes.get_errno()))
os.execv(sys.argv[1], sys.argv[1:])
`;

interface Report {
  uid: number;
  layers: { name: string; active: boolean; detail: string }[];
  invokerSecretBefore: boolean;
  before: string[];
  made: string[];
  after: string[][];
  invokerModified: boolean;
  learnerPasses: number;
  held: string[];
  seen: string[];
  servers: number;
}

async function channels(options: Record<string, unknown>, user: number | null): Promise<Report> {
  const python = user === null ? 'python3' : SYSTEM_PYTHON;
  const fixtureOptions = JSON.stringify({ ...options, ...(user === null ? {} : { python: SYSTEM_PYTHON }) });
  const node =
    user === null
      ? [process.execPath, '--import', 'tsx', FIXTURE, fixtureOptions]
      : [process.execPath, await bundleForAnotherUser(FIXTURE), fixtureOptions];
  const bundle = user === null ? null : (node[1] as string);
  const command = [...(user === null ? [] : asUser(user)), python, '-c', LAUNCHER, ...node];
  return new Promise((resolve, reject) => {
    const child = spawn(command[0] as string, command.slice(1), {
      env: { PATH: process.env['PATH'], HOME: tmpdir() },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('close', (code) => {
      if (bundle) removeBundle(bundle);
      if (code !== 0) reject(new Error(`state-channels exited ${code}: ${stderr.slice(-3000)}`));
      else resolve(JSON.parse(stdout) as Report);
    });
  });
}

const MODES: [string, Record<string, unknown>][] = [
  ['bubblewrap', { bubblewrap: 'required' }],
  ['namespaces without bubblewrap', { bubblewrap: 'off', namespaces: 'required' }],
];

for (const [mode, options] of MODES) {
  const noBubblewrap = options['bubblewrap'] === 'required' && !bubblewrap;
  for (const who of ['root', 'another user'] as const) {
    const needsRoot = who === 'another user' || isRoot;
    describe.skipIf(noBubblewrap)(`round three, ${mode}, as ${who}${noBubblewrap ? NO_BUBBLEWRAP : ''}`, () => {
      it('nothing a program leaves reaches a later one, the invoker keeps its keyring, a learner learns nothing', async (context) => {
        if (who === 'root' && !isRoot) context.skip('not root: the root half of this test needs root');
        if (who === 'another user' && isRoot && !hasSetpriv()) {
          context.skip('setpriv (util-linux) is not installed: cannot run nxt as another user');
        }
        if (!needsRoot) context.skip('not root');
        const report = await channels(options, who === 'another user' && isRoot ? 65534 : null);
        if (who === 'another user') expect(report.uid).not.toBe(0);
        const active = report.layers.filter((layer) => layer.active).map((layer) => layer.name);
        expect(active).toEqual(expect.arrayContaining(['program-namespaces', 'syscall-filter']));
        // The launcher's secret is there to be found: the test can see it, programs cannot.
        expect(report.invokerSecretBefore).toBe(true);
        expect(report.before).toEqual([]);
        // The writer really could write its own /tmp, /dev/shm and work dir (they are its own)...
        expect(report.made).toEqual(
          expect.arrayContaining(['file /tmp/nxt-mark', 'file /dev/shm/nxt-mark', 'file nxt-mark', 'times /tmp']),
        );
        // ...but nothing outside them, no key, no network, no new name.
        expect(
          report.made.filter((mark) =>
            /keyring|tcp|hostname|\/dev\/null|\/usr|file \/var|file \/nxt|times \/$/.test(mark),
          ),
        ).toEqual([]);
        for (const found of report.after) expect(found).toEqual([]);
        expect(report.invokerModified).toBe(false);
        expect(report.learnerPasses).toBe(0);
        // Two programs at once, in two slots: no lock or file watch of one reaches the other.
        expect(report.seen).toEqual([]);
      }, 240_000);
    });
  }
}

/**
 * A setuid-root binary that programs can reach: `id` copied into the prefix of a virtual environment
 * (its prefix is bound into the sandbox, read-only), then made setuid root. Run as a program's uid it
 * prints its effective uid: 0 would mean it raised the program's privileges.
 */
function setuidEnvironment(): { python: string; id: string; dir: string } | string {
  const dir = mkdtempSync('/var/tmp/nxt-setuid-');
  chmodSync(dir, 0o755);
  const made = spawnSync('/usr/bin/python3', ['-m', 'venv', '--without-pip', join(dir, 'env')], { encoding: 'utf8' });
  if (made.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    return `python3 -m venv is not available (${made.stderr.trim().split('\n').pop()})`;
  }
  const id = join(dir, 'env', 'bin', 'id');
  copyFileSync('/usr/bin/id', id);
  chmodSync(id, 0o4755);
  return { python: join(dir, 'env', 'bin', 'python3'), id, dir };
}

const SETUID_PROBE = (id: string) => `import subprocess
def f():
    effective = subprocess.run([${JSON.stringify(id)}, '-u'], capture_output=True, text=True).stdout.strip()
    with open('/proc/self/status') as handle:
        no_new_privs = [line.split()[1] for line in handle if line.startswith('NoNewPrivs:')]
    with open('/proc/self/mountinfo') as handle:
        setuid_mounts = [line.split()[4] for line in handle if 'nosuid' not in line.split()[5]]
    return [effective, no_new_privs, setuid_mounts]
`;

for (const [mode, options] of MODES) {
  const noBubblewrap = options['bubblewrap'] === 'required' && !bubblewrap;
  describe.skipIf(noBubblewrap || !isRoot)(
    `round three, ${mode}, as root: no setuid binary raises a program's privileges${noBubblewrap ? NO_BUBBLEWRAP : ''}${isRoot ? '' : ' (needs root)'}`,
    () => {
      it('every mount is nosuid, programs run with no_new_privs, a setuid-root binary runs as the program', async (context) => {
        const made = setuidEnvironment();
        if (typeof made === 'string') return context.skip(made);
        const sandbox = await createSandbox({ ...options, python: made.python, workers: 1 });
        try {
          const verdict = await sandbox.judgeProgram(SETUID_PROBE(made.id), ['assert f() == 0'], { entryPoint: 'f' });
          const uid = sandbox.childUids?.base;
          expect(uid).toBeDefined();
          expect(verdict.tests[0]?.exception?.message).toContain(`returned ['${uid}', ['1'], []]`);
        } finally {
          await sandbox.close();
          rmSync(made.dir, { recursive: true, force: true });
        }
      }, 60_000);
    },
  );
}

const ORDINARY = `import threading, asyncio, multiprocessing, subprocess, tempfile, sqlite3, concurrent.futures, socket
def f():
    out = []
    thread = threading.Thread(target=lambda: out.append('thread'))
    thread.start()
    thread.join()
    async def answer():
        return 'asyncio'
    out.append(asyncio.run(answer()))
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        out.append(list(pool.map(str, [1, 2])))
    with multiprocessing.Pool(2) as pool:
        out.append(pool.map(abs, [-1, -2]))
    out.append(subprocess.run(['echo', 'hi'], capture_output=True, text=True).stdout.strip())
    with tempfile.NamedTemporaryFile() as handle:
        handle.write(b'x')
        out.append('tempfile')
    sqlite3.connect(':memory:').execute('create table t (x)')
    on_disk = sqlite3.connect('/tmp/db.sqlite')  # takes file locks: they must not hang
    on_disk.execute('create table t (x)')
    on_disk.execute('insert into t values (1)')
    on_disk.commit()
    out.append('sqlite' if on_disk.execute('select x from t').fetchall() == [(1,)] else 'sqlite lost a row')
    left, right = socket.socketpair()
    left.send(b'x')
    out.append(right.recv(1).decode())
    return out
`;

for (const [mode, options] of MODES) {
  const noBubblewrap = options['bubblewrap'] === 'required' && !bubblewrap;
  describe.skipIf(noBubblewrap)(
    `round three, ${mode}: what ordinary programs do still works${noBubblewrap ? NO_BUBBLEWRAP : ''}`,
    () => {
      it('threads, asyncio, process pools, subprocesses, temporary files, sqlite in memory and on a file, socket pairs', async () => {
        const sandbox = await createSandbox({ ...options, workers: 1 });
        try {
          const verdict = await sandbox.judgeProgram(
            ORDINARY,
            ["assert f() == ['thread', 'asyncio', ['1', '2'], [1, 2], 'hi', 'tempfile', 'sqlite', 'x']"],
            { entryPoint: 'f', testTimeoutMs: 10_000 },
          );
          expect([verdict.status, verdict.reason]).toEqual(['pass', '']);
        } finally {
          await sandbox.close();
        }
      }, 60_000);
    },
  );
}

describe('round three, without namespaces: a work dir is never handed on', () => {
  it('each program gets a new work dir, not one another used (its xattrs, times and mode would carry over)', async () => {
    const sandbox = await createSandbox({ bubblewrap: 'off', namespaces: 'off', workers: 1 });
    try {
      const marker = `import os
def f():
    here = os.getcwd()
    try:
        os.setxattr('.', 'user.nxt-mark', b'1')
    except OSError:
        pass
    os.utime('.', ns=(1234567890123456789, 1234567890123456789))
    os.chmod('.', 0o750)
    return here
`;
      const looker = `import os
def f():
    info = os.stat('.')
    return [os.getcwd(), os.listxattr('.'), info.st_mtime_ns == 1234567890123456789, oct(info.st_mode & 0o777)]
`;
      const seen = new Set<string>();
      for (let round = 0; round < 3; round++) {
        const marked = await sandbox.judgeProgram(marker, ['assert f() == 0'], { entryPoint: 'f' });
        const dir = /returned '([^']+)'/.exec(marked.tests[0]?.exception?.message ?? '')?.[1];
        expect(dir).toBeDefined();
        expect(seen.has(dir as string)).toBe(false);
        seen.add(dir as string);
        const looked = await sandbox.judgeProgram(looker, ['assert f() == 0'], { entryPoint: 'f' });
        const message = looked.tests[0]?.exception?.message ?? '';
        expect(message).not.toContain(`'${dir}'`);
        expect(message).toMatch(/returned \['[^']+', \[\], False, '0o700'\]/);
        seen.add(/returned \['([^']+)'/.exec(message)?.[1] as string);
      }
    } finally {
      await sandbox.close();
    }
  }, 60_000);
});
