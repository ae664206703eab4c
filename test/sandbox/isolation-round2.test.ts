import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findBubblewrap } from '../../src/sandbox/bubblewrap.js';
import { createSandbox, type Sandbox, type SandboxOptions } from '../../src/sandbox/index.js';
import { claimUidRange, UID_RANGE_SIZE } from '../../src/sandbox/uid-range.js';
import { asUser, bundleForAnotherUser, hasSetpriv, removeBundle } from '../support/another-user.js';
import { NO_BUBBLEWRAP } from '../support/processes.js';

const FIXTURE = join(import.meta.dirname, '__fixtures__', 'judge-stream.ts');
const isRoot = process.getuid?.() === 0;
const bubblewrap = await findBubblewrap();

interface StreamResult {
  uid: number;
  layers: { name: string; active: boolean; detail: string }[];
  results: { name: string; status: string; reason: string }[];
  servers: number;
}

/** Runs the judge-stream fixture in a process of its own (as `user` when given), resolves its report. */
async function judgeStream(options: Record<string, unknown>, user: number | null = null): Promise<StreamResult> {
  const node =
    user === null
      ? [process.execPath, '--import', 'tsx', FIXTURE, JSON.stringify(options)]
      : [process.execPath, await bundleForAnotherUser(FIXTURE), JSON.stringify(options)];
  const bundle = user === null ? null : (node[1] as string);
  const [file, ...args] = user === null ? node : [...asUser(user), ...node];
  return new Promise((resolve, reject) => {
    const child = spawn(file as string, args, { env: { PATH: process.env['PATH'], HOME: tmpdir() } });
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
      if (code !== 0) reject(new Error(`judge-stream exited ${code}: ${stderr.slice(-2000)}`));
      else resolve(JSON.parse(stdout) as StreamResult);
    });
  });
}

function expectHonestVerdicts(report: StreamResult) {
  const got = Object.fromEntries(report.results.map((result) => [result.name, result.status]));
  for (const [name, status] of Object.entries(got)) {
    if (name.startsWith('honest')) expect([name, status]).toEqual([name, 'pass']);
    if (name.startsWith('wrong')) expect([name, status]).toEqual([name, 'fail']);
    if (!name.startsWith('honest')) expect([name, status]).not.toEqual([name, 'pass']);
  }
}

const MODES: [string, SandboxOptions][] = [
  ['bubblewrap', { bubblewrap: 'required' }],
  ['namespaces without bubblewrap', { bubblewrap: 'off', namespaces: 'required' }],
];

for (const [mode, options] of MODES) {
  const missing = options.bubblewrap === 'required' && !bubblewrap;
  describe.skipIf(missing)(`sandbox round two (${mode})${missing ? NO_BUBBLEWRAP : ''}`, () => {
    let sandbox: Sandbox;
    let listener: Server;
    let port = 0;
    const hostDir = mkdtempSync(join(tmpdir(), 'nxt-round2-'));

    beforeAll(async () => {
      sandbox = await createSandbox({ ...options, workers: 1 });
      listener = createServer((socket) => socket.end('secret\n'));
      await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
      port = (listener.address() as { port: number }).port;
    });
    afterAll(async () => {
      await sandbox?.close();
      listener?.close();
      rmSync(hostDir, { recursive: true, force: true });
    });

    it('leaves nothing of one program for the next: /tmp, /dev/shm, work dir, SysV IPC, deep trees', async () => {
      const litter = `import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
segments = [libc.shmget(0, 1 << 20, 0o1600) for _ in range(5)]
os.makedirs('/tmp/nxt-litter/inner', exist_ok=True)
full = []
for place in ('/tmp/nxt-litter/inner/f', '/tmp/junk', '/dev/shm/junk', 'junk'):
    for number in range(40):  # files of at most 15 MiB (RLIMIT_FSIZE), until the place is full
        try:
            with open('%s%d' % (place, number), 'wb') as handle:
                for _ in range(15):
                    handle.write(b'x' * (1 << 20))
        except OSError:
            full.append(place)
            break
for _ in range(1200):
    os.mkdir('d')
    os.chdir('d')
os.chmod('.', 0o500)
def f():
    return [segments, full]
`;
      const witness = `import os
def f():
    here = os.path.realpath('.')
    strays = []
    for name in os.listdir('/tmp'):
        path = os.path.join('/tmp', name)
        if os.path.realpath(path) == here:
            continue
        if name.startswith('nxt-') and os.path.isdir(path) and not os.access(path, os.R_OK):
            continue  # the child waiting for the next program
        if name.startswith('nxt-') and os.path.isdir(path) and not os.listdir(path):
            continue
        strays.append(name)
    with open('/proc/sysvipc/shm') as handle:
        segments = handle.read().splitlines()[1:]
    with open('/tmp/big', 'wb') as handle:
        handle.write(b'x' * (12 << 20))
    return [strays, os.listdir('/dev/shm'), os.listdir('.'), len(segments)]
`;
      // Its litter really was made: five segments, /tmp and /dev/shm full.
      const made =
        "segments, full = f()\nassert len(segments) == 5 and min(segments) >= 0\nassert '/tmp/junk' in full and '/dev/shm/junk' in full";
      const hostile = await sandbox.judgeProgram(litter, [made], { entryPoint: 'f' });
      expect([hostile.tests[0]?.status, hostile.reason]).toEqual(['pass', '']);
      for (let round = 0; round < 2; round++) {
        const verdict = await sandbox.judgeProgram(witness, ['assert f() == [[], [], [], 0]'], { entryPoint: 'f' });
        expect([verdict.status, verdict.reason]).toEqual(['pass', '']);
      }
    });

    it('keeps programs off the host: its /tmp, its loopback services, other processes', async () => {
      const marker = `nxt-marker-${process.pid}-${Date.now()}`;
      const witness = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)', marker]);
      try {
        const escapee = `import os, socket
def f():
    found = []
    try:
        with open(${JSON.stringify(join(hostDir, 'escaped'))}, 'w') as handle:
            handle.write('x')
        found.append('wrote the host directory')
    except OSError:
        pass
    try:
        socket.create_connection(('127.0.0.1', ${port}), timeout=1).recv(10)
        found.append('reached a loopback service')
    except OSError:
        pass
    for name in os.listdir('/proc'):
        try:
            with open('/proc/%s/cmdline' % name, 'rb') as handle:
                if b${JSON.stringify(marker)} in handle.read():
                    found.append('read another process')
        except OSError:
            pass
    return found
`;
        const verdict = await sandbox.judgeProgram(escapee, ['assert f() == []'], { entryPoint: 'f' });
        expect([verdict.status, verdict.reason]).toEqual(['pass', '']);
        expect(existsSync(join(hostDir, 'escaped'))).toBe(false);
      } finally {
        witness.kill('SIGKILL');
      }
    });

    it("bounds a program's total memory: per-process limit × process limit within totalMemoryBytes", async () => {
      const probe = `import resource
def f():
    memory = resource.getrlimit(resource.RLIMIT_AS)[0]
    processes = resource.getrlimit(resource.RLIMIT_NPROC)[0]
    return [memory, processes]
`;
      const limits = { memoryBytes: 4 * 1024 ** 3, totalMemoryBytes: 8 * 1024 ** 3 };
      const verdict = await sandbox.judgeProgram(
        probe,
        ['m, p = f()\nassert 0 < m and 0 < p and m * p <= 8 * 1024 ** 3'],
        {
          entryPoint: 'f',
          limits,
        },
      );
      expect([verdict.status, verdict.reason]).toEqual(['pass', '']);
    });

    it('gives every program a verdict: bad exception data, huge line numbers, a 1,200-deep tree', async () => {
      const cases = [
        'raise SyntaxError("x", ("<program>", "not-a-line", 0, "x"))',
        'raise SyntaxError("x", ("<program>", 10**30, 10**30, "x", 10**30, 10**30))',
        'def f():\n    raise ValueError(1)\nf.__code__ = f.__code__.replace(co_firstlineno=2**31 - 5)\nf()\n',
        'class E(Exception):\n    def __str__(self):\n        raise RuntimeError("no")\nraise E()\n',
      ];
      for (const program of cases) {
        const verdict = await sandbox.judgeProgram(program, ['assert f() == 1']);
        expect(verdict.status).toBe('error');
        expect(verdict.problem).toBeNull();
        expect(verdict.judgeFault).toBe(false);
      }
      // This one took the zygote down (its cleanup recursed) until cleanup went by descriptor.
      const deep = 'import os\nfor _ in range(1200):\n    os.mkdir("d")\n    os.chdir("d")\ndef f():\n    return 1\n';
      expect((await sandbox.judgeProgram(deep, ['assert f() == 1'])).status).toBe('pass');
      expect((await sandbox.judgeProgram('def f():\n    return 1\n', ['assert f() == 1'])).status).toBe('pass');
      expect(sandbox.serversStarted).toBe(1);
    });
  });
}

describe('several nxt processes and other users', () => {
  it('two nxt processes judge hostile programs side by side without touching each other', async () => {
    const mode = bubblewrap ? 'auto' : 'off';
    const [first, second] = await Promise.all([
      judgeStream({ bubblewrap: mode, rounds: 2, workers: 2 }),
      judgeStream({ bubblewrap: mode, rounds: 2, workers: 2 }),
    ]);
    for (const report of [first, second]) {
      expect(report.results).toHaveLength(24);
      expectHonestVerdicts(report);
      expect(report.servers).toBe(2);
    }
    if (isRoot) {
      const range = (report: StreamResult) =>
        report.layers.find((layer) => layer.name === 'unprivileged-uid')?.detail.match(/uids (\d+)\.\./)?.[1];
      expect(range(first)).toBeDefined();
      expect(range(first)).not.toBe(range(second));
    }
  }, 120_000);

  for (const mode of ['off', 'auto'] as const) {
    const missing = mode === 'auto' && !bubblewrap;
    it.skipIf(missing)(
      `as a non-root user (bubblewrap ${mode}), a program cannot reach the next one's child or the judge${missing ? NO_BUBBLEWRAP : ''}`,
      async (context) => {
        let user: number | null = null;
        if (isRoot) {
          if (!hasSetpriv()) context.skip('setpriv (util-linux) is not installed: cannot run nxt as another user');
          user = 65534;
        }
        // The user's own interpreter may live where nobody can read (pyenv under /root): the system one.
        const python = user !== null && existsSync('/usr/bin/python3') ? '/usr/bin/python3' : undefined;
        const report = await judgeStream({ bubblewrap: mode, ...(python ? { python } : {}) }, user);
        expect(report.uid).not.toBe(0);
        expectHonestVerdicts(report);
        const active = report.layers.filter((layer) => layer.active).map((layer) => layer.name);
        expect(active).toContain('program-namespaces');
        expect(active).toContain('process-limit');
      },
      120_000,
    );
  }
});

describe('uid ranges', () => {
  it('no two live holders share a range; a dead holder’s range is taken over', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nxt-uids-'));
    try {
      const first = claimUidRange(3_000_000_000, dir);
      const second = claimUidRange(3_000_000_000, dir);
      expect(second.base - first.base).toBe(UID_RANGE_SIZE);
      first.release();
      const third = claimUidRange(3_000_000_000, dir);
      expect(third.base).toBe(first.base);
      // A range file left by a process that is gone (pid 2^22 + 1 cannot exist) is free again.
      const free = first.base + 2 * UID_RANGE_SIZE;
      execFileSync('sh', ['-c', `echo '4194305 1' > '${join(dir, `uids-${free}`)}'`]);
      const fourth = claimUidRange(3_000_000_000, dir);
      expect(fourth.base).toBe(free);
      // One held by a live process (this one, under its own start time) is not.
      const live = execFileSync('cat', [second.lockFile], { encoding: 'utf8' });
      expect(live.split(' ')[0]).toBe(String(process.pid));
      second.release();
      third.release();
      fourth.release();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('claims ranges by absolute uid: two bases never share a uid', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nxt-uids-'));
    try {
      const claimed = [3_000_000_000, 3_000_000_100, 3_000_000_200, 3_000_000_255, 3_000_000_256].map((base) =>
        claimUidRange(base, dir),
      );
      const uids = new Set<number>();
      for (const range of claimed) {
        expect(range.base % UID_RANGE_SIZE).toBe(0);
        for (let uid = range.base; uid < range.base + UID_RANGE_SIZE; uid++) {
          expect(uids.has(uid)).toBe(false);
          uids.add(uid);
        }
      }
      for (const [index, range] of claimed.entries())
        expect(range.base).toBeGreaterThanOrEqual(
          [3_000_000_000, 3_000_000_100, 3_000_000_200, 3_000_000_255, 3_000_000_256][index] as number,
        );
      for (const range of claimed) range.release();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps clear of the ranges an older nxt holds as range-K above 2,000,000,000, and holds those files too', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nxt-uids-'));
    try {
      const first = claimUidRange(2_000_000_000, dir);
      expect(first.base).toBe(2_000_000_000);
      // An older nxt sees this range as taken...
      const mine = execFileSync('cat', [first.lockFile], { encoding: 'utf8' });
      expect(execFileSync('cat', [join(dir, 'range-0')], { encoding: 'utf8' })).toBe(mine);
      // ...and the range an older nxt holds (a live holder: this process) is skipped.
      execFileSync('sh', ['-c', `cat '${first.lockFile}' > '${join(dir, 'range-1')}'`]);
      const second = claimUidRange(2_000_000_000, dir);
      expect(second.base).toBe(2_000_000_000 + 2 * UID_RANGE_SIZE);
      first.release();
      second.release();
      expect(existsSync(join(dir, 'range-0'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a lock folder another user could have made or can write', () => {
    const parent = mkdtempSync(join(tmpdir(), 'nxt-uids-'));
    try {
      const writable = join(parent, 'writable');
      execFileSync('mkdir', ['-m', '1777', writable]);
      expect(() => claimUidRange(3_000_000_000, writable)).toThrow(/can be written by others.*Remove it/);
      const link = join(parent, 'link');
      execFileSync('ln', ['-s', parent, link]);
      expect(() => claimUidRange(3_000_000_000, link)).toThrow(/is a symbolic link/);
      if (isRoot) {
        const foreign = join(parent, 'foreign');
        execFileSync('mkdir', ['-m', '700', foreign]);
        execFileSync('chown', ['65534', foreign]);
        expect(() => claimUidRange(3_000_000_000, foreign)).toThrow(/belongs to uid 65534/);
      }
      // A folder of its own, made 0700 where it was missing, is fine.
      const range = claimUidRange(3_000_000_000, join(parent, 'fresh'));
      expect(execFileSync('stat', ['-c', '%a', join(parent, 'fresh')], { encoding: 'utf8' }).trim()).toBe('700');
      range.release();
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  });
});
