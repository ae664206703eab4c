import { execFile, spawn } from 'node:child_process';
import { existsSync, lstatSync, readlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { NxtError } from '../shared/index.js';
import type { PythonInfo } from './interpreter.js';
import type { ResolvedSandboxOptions } from './options.js';
import { serverBootstrap, serverBundle } from './server-source.js';

/** One isolation layer and whether it is active, with the reason when it is not. */
export interface IsolationLayer {
  name:
    | 'rlimits'
    | 'unprivileged-uid'
    | 'process-limit'
    | 'bubblewrap'
    | 'namespaces'
    | 'program-namespaces'
    | 'syscall-filter'
    | 'clean-slate'
    | 'total-memory';
  active: boolean;
  detail: string;
  /** What a program can do because this layer is off (empty when active). */
  risk: string;
}

/** How to start fork-server number `slot`, and what protects its programs. */
export interface IsolationPlan {
  layers: readonly IsolationLayer[];
  /** Children of slot k run as `childUidBase + k`; null when privileges are not dropped. */
  childUidBase: number | null;
  /** Program working directories are created under this path (as the server sees it); null: a host temp dir. */
  sandboxWorkRoot: string | null;
  bubblewrap: { path: string; version: string } | null;
  /** Added to every server's config: how it enters namespaces itself, what it cleans between programs. */
  serverConfig: Record<string, unknown>;
  /** The command line that starts a fork-server running `script` in `mode`. */
  command(script: string, mode: string, config: string): { file: string; args: string[] };
}

/** The facts about this machine that decide the plan (injected so tests can vary them). */
export interface HostFacts {
  isRoot: boolean;
  bubblewrap: { path: string; version: string } | null;
  /** Whether the server can enter namespaces itself (null: it can; a string: why not). Probed when absent. */
  namespaces?: string | null;
}

function run(file: string, args: string[]): Promise<{ ok: boolean; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: 15_000 }, (error, stdout, stderr) => resolve({ ok: !error, stdout, stderr }));
  });
}

/** Finds bubblewrap on the usual paths. */
export async function findBubblewrap(): Promise<{ path: string; version: string } | null> {
  for (const path of ['/usr/bin/bwrap', '/usr/local/bin/bwrap', '/bin/bwrap']) {
    const probe = await run(path, ['--version']);
    if (probe.ok) return { path, version: probe.stdout.trim().replace(/^bubblewrap\s*/, '') };
  }
  return null;
}

const NO_BWRAP_RISK =
  'programs can read world-readable files, write to world-writable directories such as /tmp, and use the network';

const HIDDEN_PROC_FILES = ['/proc/keys', '/proc/key-users'];
const SYSTEM_DIRS = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];

function systemMounts(): string[] {
  const args: string[] = [];
  for (const dir of SYSTEM_DIRS) {
    let stat: ReturnType<typeof lstatSync>;
    try {
      stat = lstatSync(dir);
    } catch {
      continue;
    }
    if (stat.isSymbolicLink()) args.push('--symlink', readlinkSync(dir), dir);
    else if (stat.isDirectory()) args.push('--ro-bind', dir, dir);
  }
  return args;
}

/** Read-only binds for the interpreter's prefixes outside /usr, with their parents made traversable. */
function pythonMounts(python: PythonInfo): string[] {
  const args: string[] = [];
  const covered = (path: string) => SYSTEM_DIRS.some((dir) => path === dir || path.startsWith(`${dir}/`));
  const roots = new Set<string>(python.prefixes.filter((prefix) => !covered(prefix)));
  const executableDir = dirname(python.executable);
  if (!covered(executableDir) && ![...roots].some((root) => executableDir.startsWith(`${root}/`))) {
    roots.add(executableDir);
  }
  for (const root of roots) {
    args.push('--ro-bind', root, root);
    // bubblewrap creates the parents with the host's modes; /root is 0700, which would hide the
    // standard library from the unprivileged uid the programs run under.
    const parents: string[] = [];
    for (let parent = dirname(root); parent !== '/'; parent = dirname(parent)) parents.unshift(parent);
    for (const parent of parents) args.push('--chmod', '0755', parent);
  }
  return args;
}

function bubblewrapArgs(isRoot: boolean, python: PythonInfo, tmpfsBytes: number): string[] {
  const namespaces = isRoot
    ? // As root we keep the real uid so the server can hand each program its own unprivileged uid.
      ['--unshare-ipc', '--unshare-pid', '--unshare-net', '--unshare-uts', '--unshare-cgroup-try']
    : ['--unshare-all'];
  const capabilities = isRoot
    ? [
        '--cap-drop',
        'ALL',
        ...['SETUID', 'SETGID', 'KILL', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER'].flatMap((cap) => [
          '--cap-add',
          `CAP_${cap}`,
        ]),
      ]
    : [];
  // The zygote forks each program into PID, mount and IPC namespaces of its own and mounts its fresh
  // /tmp, which takes CAP_SYS_ADMIN (in the sandbox's user namespace when nxt is not root). Children
  // lose it: a new uid clears their capabilities as root, otherwise they drop every one.
  capabilities.push('--cap-add', 'CAP_SYS_ADMIN');
  return [
    ...namespaces,
    '--die-with-parent',
    '--new-session',
    '--clearenv',
    '--hostname',
    'nxt-sandbox',
    ...systemMounts(),
    ...pythonMounts(python),
    '--proc',
    '/proc',
    // What /proc shows of every uid's keys: a program sharing the invoker's uid would read the
    // descriptions of the invoker's keys there (unreadable now: bubblewrap binds devices nodev).
    ...HIDDEN_PROC_FILES.filter((path) => existsSync(path)).flatMap((path) => ['--ro-bind', '/dev/null', path]),
    '--dev',
    '/dev',
    // Private, size-capped and world-writable like the real ones, so tempfile works in programs.
    '--perms',
    '1777',
    '--size',
    String(Math.min(tmpfsBytes, 64 * 1024 * 1024)),
    '--tmpfs',
    '/dev/shm',
    '--perms',
    '1777',
    '--size',
    String(tmpfsBytes),
    '--tmpfs',
    '/tmp',
    '--chdir',
    '/tmp',
    ...capabilities,
  ];
}

/** What the server needs to build its own root: the interpreter's directories outside the system ones. */
function namespaceSpec(python: PythonInfo, tmpfsBytes: number): Record<string, unknown> {
  const covered = (path: string) => SYSTEM_DIRS.some((dir) => path === dir || path.startsWith(`${dir}/`));
  const roots = new Set<string>(python.prefixes.filter((prefix) => !covered(prefix)));
  const executableDir = dirname(python.executable);
  if (!covered(executableDir) && ![...roots].some((root) => executableDir.startsWith(`${root}/`))) {
    roots.add(executableDir);
  }
  return { readOnly: [...roots], tmpBytes: tmpfsBytes, shmBytes: Math.min(tmpfsBytes, 64 * 1024 * 1024) };
}

/**
 * Whether the server can enter its namespaces here: runs the server's own `probe` mode once.
 * Resolves null when it can, or the reason it cannot.
 */
export function probeNamespaces(python: PythonInfo, spec: Record<string, unknown>): Promise<string | null> {
  return new Promise((resolve) => {
    const child = spawn(
      python.executable,
      ['-I', '-S', '-c', serverBootstrap(), 'probe', JSON.stringify({ namespaces: spec })],
      { stdio: ['ignore', 'pipe', 'pipe', 'pipe'], env: {}, timeout: 15_000 },
    );
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const input = child.stdio[3] as NodeJS.WritableStream;
    input.on('error', () => {});
    input.end(serverBundle());
    child.on('error', (error) => resolve(error.message));
    child.on('close', () => {
      try {
        const answer = JSON.parse(stdout.trim().split('\n').pop() ?? '') as { ok: boolean; error?: string };
        resolve(answer.ok ? null : (answer.error ?? 'unknown error'));
      } catch {
        resolve(stderr.trim().split('\n').pop() || 'the probe did not answer');
      }
    });
  });
}

/** Without namespaces of its own, a program shares the server's: what it leaves there must be cleaned. */
export const CLEAN_SLATE_FALLBACK =
  "after each program its work dir, /tmp, /dev/shm and SysV IPC objects are emptied (the server's own, shared by its programs in turn)";

/**
 * The layers that keep one program from the next (and fills in the server's config for them): namespaces
 * of each program's own where the server has namespaces, the seccomp filter everywhere, and cleaning
 * where nothing better is possible. The server checks both at start; `applyServerFacts` corrects them.
 */
function programLayers(
  privateRoot: boolean,
  drop: boolean,
  tmpfsBytes: number,
  serverConfig: Record<string, unknown>,
): IsolationLayer[] {
  const layers: IsolationLayer[] = [];
  if (privateRoot) {
    serverConfig['programNamespaces'] = true;
    serverConfig['programScratch'] = { tmpBytes: tmpfsBytes, shmBytes: Math.min(tmpfsBytes, 64 * 1024 * 1024) };
    layers.push({
      name: 'program-namespaces',
      active: true,
      detail:
        'each program runs in PID, mount and IPC namespaces of its own, with a fresh /tmp, /dev/shm and work dir and every other mount read-only: the kernel drops all of it with its last process',
      risk: '',
    });
  } else {
    layers.push({
      name: 'program-namespaces',
      active: false,
      detail: 'needs bubblewrap or the namespaces layer',
      risk: 'programs share /tmp, /dev/shm, IPC and process ids with each other and the host: one can leave state for a later one',
    });
  }
  if (!drop) {
    // Programs share the server's uid: each runs as the init of a PID namespace of its own, where it
    // cannot name the server, the zygote or the child waiting for the next program.
    serverConfig['programPidNamespace'] = true;
  }
  serverConfig['syscallFilter'] = true;
  layers.push({
    name: 'syscall-filter',
    active: true,
    detail:
      'seccomp and no_new_privs: kernel keyrings, new user namespaces, sockets other than Unix, io_uring, inotify, perf events and bpf are refused; file locks lock nothing',
    risk: '',
  });
  layers.push(
    privateRoot
      ? {
          name: 'clean-slate',
          active: true,
          detail: 'nothing of a program is left for the next: its namespaces, /tmp and work dir end with it',
          risk: '',
        }
      : {
          name: 'clean-slate',
          active: false,
          detail: 'programs share the host /tmp, /dev/shm and IPC; only their work dirs are removed',
          risk: 'a program can leave files or shared memory behind for later programs',
        },
  );
  return layers;
}

/** Whether a program's processes together are bounded in memory (they are when their number is). */
export function totalMemoryLayer(processLimit: boolean): IsolationLayer {
  return processLimit
    ? {
        name: 'total-memory',
        active: true,
        detail:
          'per-process limit × process limit stays under limits.totalMemoryBytes (no memory cgroup is used: the per-process or process limit is lowered instead)',
        risk: '',
      }
    : {
        name: 'total-memory',
        active: false,
        detail: 'needs the process limit',
        risk: 'a program can use memoryBytes in each of as many processes as it can start',
      };
}

/**
 * Decides the isolation layers for this host and options. With bubblewrap `auto`, a bubblewrap that is
 * installed but cannot start (no user namespaces, say) is reported and skipped; with `required` it throws.
 */
export async function planIsolation(
  options: ResolvedSandboxOptions,
  python: PythonInfo,
  host: HostFacts,
): Promise<IsolationPlan> {
  const drop = host.isRoot && options.dropPrivileges === 'auto';
  const layers: IsolationLayer[] = [
    {
      name: 'rlimits',
      active: true,
      detail: 'memory, CPU time, file size and open files limited per program',
      risk: '',
    },
    drop
      ? {
          name: 'unprivileged-uid',
          active: true,
          detail: `programs run as uid ${options.uidBase}+slot, not root`,
          risk: '',
        }
      : {
          name: 'unprivileged-uid',
          active: false,
          detail: host.isRoot ? 'disabled by dropPrivileges=off' : 'nxt is not root, so programs run under your uid',
          risk: host.isRoot
            ? 'programs run as root'
            : 'programs run under your uid: only the namespaces (bubblewrap or our own) keep them from your files and processes',
        },
    drop
      ? {
          name: 'process-limit',
          active: true,
          detail: 'RLIMIT_NPROC counts only the slot uid: a fork bomb cannot starve the host',
          risk: '',
        }
      : {
          // Checked per user namespace: each program gets one of its own (program-pid-namespace).
          name: 'process-limit',
          active: !host.isRoot,
          detail: host.isRoot
            ? 'needs a uid of its own (disabled by dropPrivileges=off)'
            : "RLIMIT_NPROC counts only the program's processes, in the user namespace it runs in",
          risk: host.isRoot ? 'a fork bomb is stopped only by the deadline' : '',
        },
  ];
  let bubblewrap: IsolationPlan['bubblewrap'] = null;
  let bwrapArgs: string[] = [];
  if (options.bubblewrap === 'off') {
    layers.push({ name: 'bubblewrap', active: false, detail: 'disabled by bubblewrap=off', risk: NO_BWRAP_RISK });
  } else if (!host.bubblewrap) {
    if (options.bubblewrap === 'required') {
      throw new NxtError(
        'sandbox',
        'bubblewrap is required but not installed: apt-get install bubblewrap (or dnf install bubblewrap).',
      );
    }
    layers.push({
      name: 'bubblewrap',
      active: false,
      detail: 'not installed (apt-get install bubblewrap)',
      risk: NO_BWRAP_RISK,
    });
  } else {
    const args = bubblewrapArgs(host.isRoot, python, options.tmpfsBytes);
    const probe = await run(host.bubblewrap.path, [...args, '--', python.executable, '-I', '-S', '-c', 'print("ok")']);
    if (probe.ok && probe.stdout.trim() === 'ok') {
      bubblewrap = host.bubblewrap;
      bwrapArgs = args;
      layers.push({
        name: 'bubblewrap',
        active: true,
        detail: `bubblewrap ${host.bubblewrap.version}: own mount, pid, network and IPC namespaces; read-only system dirs; private /tmp; no network`,
        risk: '',
      });
    } else {
      const why = probe.stderr.trim().split('\n')[0] ?? 'unknown error';
      if (options.bubblewrap === 'required') {
        throw new NxtError('sandbox', `bubblewrap is required but cannot start here: ${why}`);
      }
      layers.push({
        name: 'bubblewrap',
        active: false,
        detail: `installed but cannot start here (${why})`,
        risk: NO_BWRAP_RISK,
      });
    }
  }
  const serverConfig: Record<string, unknown> = {};
  if (bubblewrap) {
    layers.push({
      name: 'namespaces',
      active: true,
      detail: 'made by bubblewrap (see above)',
      risk: '',
    });
  } else if (options.namespaces === 'off') {
    layers.push({ name: 'namespaces', active: false, detail: 'disabled by namespaces=off', risk: NO_BWRAP_RISK });
  } else {
    const spec = namespaceSpec(python, options.tmpfsBytes);
    const why = host.namespaces !== undefined ? host.namespaces : await probeNamespaces(python, spec);
    if (why === null) {
      serverConfig['namespaces'] = spec;
      // What bubblewrap would have given, the server's own namespaces give: no risk left to report.
      const index = layers.findIndex((layer) => layer.name === 'bubblewrap');
      const off = layers[index];
      if (off) layers[index] = { ...off, detail: `${off.detail}; the namespaces below take its place`, risk: '' };
      layers.push({
        name: 'namespaces',
        active: true,
        detail: `${host.isRoot ? '' : 'user, '}mount, PID, network, IPC and UTS namespaces entered by the server itself: read-only system dirs, private /tmp and /dev/shm, no network, only sandbox processes visible`,
        risk: '',
      });
    } else {
      if (options.namespaces === 'required') {
        throw new NxtError('sandbox', `namespaces are required but the kernel refuses them here: ${why}`);
      }
      layers.push({
        name: 'namespaces',
        active: false,
        detail: `the kernel refuses them here (${why})`,
        risk: NO_BWRAP_RISK,
      });
    }
  }
  const privateRoot = bubblewrap !== null || serverConfig['namespaces'] !== undefined;
  serverConfig['privateTmp'] = privateRoot;
  layers.push(...programLayers(privateRoot, drop, options.tmpfsBytes, serverConfig));
  const processLimit = layers.find((layer) => layer.name === 'process-limit')?.active === true;
  layers.push(totalMemoryLayer(processLimit));
  return {
    layers,
    childUidBase: drop ? options.uidBase : null,
    sandboxWorkRoot: privateRoot ? '/tmp' : null,
    bubblewrap,
    serverConfig,
    command(script, mode, config) {
      const pythonArgs = ['-I', '-S', '-c', script, mode, config];
      if (!bubblewrap) return { file: python.executable, args: pythonArgs };
      return { file: bubblewrap.path, args: [...bwrapArgs, '--', python.executable, ...pythonArgs] };
    },
  };
}
