import { execFile } from 'node:child_process';
import { existsSync, lstatSync, readlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import type { PythonInfo } from './interpreter.js';

/** bubblewrap as found on this machine. */
export interface Bubblewrap {
  path: string;
  version: string;
}

/** Runs `file` with `args` (15 s at most) and says whether it exited 0, with its output. */
export function run(file: string, args: string[]): Promise<{ ok: boolean; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: 15_000 }, (error, stdout, stderr) => resolve({ ok: !error, stdout, stderr }));
  });
}

/** Finds bubblewrap on the usual paths. */
export async function findBubblewrap(): Promise<Bubblewrap | null> {
  for (const path of ['/usr/bin/bwrap', '/usr/local/bin/bwrap', '/bin/bwrap']) {
    const probe = await run(path, ['--version']);
    if (probe.ok) return { path, version: probe.stdout.trim().replace(/^bubblewrap\s*/, '') };
  }
  return null;
}

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

/** The interpreter's directories outside the system ones (its prefixes, and its executable's folder). */
export function pythonRoots(python: PythonInfo): Set<string> {
  const covered = (path: string) => SYSTEM_DIRS.some((dir) => path === dir || path.startsWith(`${dir}/`));
  const roots = new Set<string>(python.prefixes.filter((prefix) => !covered(prefix)));
  const executableDir = dirname(python.executable);
  if (!covered(executableDir) && ![...roots].some((root) => executableDir.startsWith(`${root}/`))) {
    roots.add(executableDir);
  }
  return roots;
}

/** Read-only binds for the interpreter's prefixes outside /usr, with their parents made traversable. */
function pythonMounts(python: PythonInfo): string[] {
  const args: string[] = [];
  for (const root of pythonRoots(python)) {
    args.push('--ro-bind', root, root);
    // bubblewrap creates the parents with the host's modes; /root is 0700, which would hide the
    // standard library from the unprivileged uid the programs run under.
    const parents: string[] = [];
    for (let parent = dirname(root); parent !== '/'; parent = dirname(parent)) parents.unshift(parent);
    for (const parent of parents) args.push('--chmod', '0755', parent);
  }
  return args;
}

function namespaceArgs(isRoot: boolean): string[] {
  return isRoot
    ? // As root we keep the real uid so the server can hand each program its own unprivileged uid.
      ['--unshare-ipc', '--unshare-pid', '--unshare-net', '--unshare-uts', '--unshare-cgroup-try']
    : ['--unshare-all'];
}

function capabilityArgs(isRoot: boolean): string[] {
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
  return capabilities;
}

/** bubblewrap's arguments around the server: namespaces, read-only system dirs, private /tmp, capabilities. */
export function bubblewrapArgs(isRoot: boolean, python: PythonInfo, tmpfsBytes: number): string[] {
  return [
    ...namespaceArgs(isRoot),
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
    ...capabilityArgs(isRoot),
  ];
}
