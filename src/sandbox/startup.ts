import { statSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { NxtError, UsageError } from '../shared/index.js';
import { findBubblewrap } from './bubblewrap.js';
import { type PythonInfo, probePython } from './interpreter.js';
import { type HostFacts, type IsolationPlan, planIsolation } from './isolation.js';
import type { ResolvedSandboxOptions } from './options.js';
import { SandboxPool } from './pool.js';
import { serverBootstrap, serverBundle } from './server-source.js';
import { claimUidRange, UID_RANGE_SIZE, type UidRange } from './uid-range.js';

/** Everything about the host that `createSandbox` would otherwise discover itself. */
export interface SandboxHost {
  isRoot?: boolean;
  bubblewrap?: HostFacts['bubblewrap'];
  namespaces?: HostFacts['namespaces'];
  /** Where uid-range lock files live (default: see uid-range.ts). */
  uidLockDir?: string;
}

/** The interpreter and the isolation plan for it, with the decisions worth telling the user. */
export interface PlannedSandbox {
  python: PythonInfo;
  plan: IsolationPlan;
  notes: string[];
  /** Whether programs run under an unprivileged uid (nxt is root and drops privileges). */
  dropping: boolean;
}

/** A running pool of fork-servers and what it holds until it is closed. */
export interface StartedServers {
  pool: SandboxPool;
  workers: number;
  /** The uid range programs run under, held by this process (null when nxt is not root). */
  uids: UidRange | null;
  /** The host temp dir programs work in (null: each server has a private /tmp). */
  hostWorkRoot: string | null;
}

function isReadableByOthers(path: string): boolean {
  try {
    for (let dir = path; ; dir = dirname(dir)) {
      if ((statSync(dir).mode & 0o001) === 0) return false;
      if (dir === '/') return true;
    }
  } catch {
    return false;
  }
}

/**
 * Programs that run under an unprivileged uid without bubblewrap must be able to read the interpreter's
 * standard library. A default `python3` that lives where they cannot (pyenv under /root, say) is
 * replaced by the system's /usr/bin/python3; an interpreter the user named explicitly is an error.
 */
async function readablePython(python: PythonInfo, isDefault: boolean): Promise<PythonInfo> {
  if (isDefault && python.executable !== '/usr/bin/python3') {
    const system = await probePython('/usr/bin/python3').catch(() => null);
    if (system?.prefixes.every(isReadableByOthers)) return system;
  }
  throw new NxtError(
    'python',
    `programs run under an unprivileged uid, but ${python.executable} lives where that uid cannot read it ` +
      `(${python.prefixes.join(', ')}). Install bubblewrap, choose another interpreter with --python, ` +
      'or make the directory readable (chmod o+rx on it and its parents).',
  );
}

/**
 * Probes the host (root, bubblewrap, the interpreter) where `host` does not say, and plans the isolation
 * layers; an interpreter that programs under an unprivileged uid could not read is replaced (see
 * `readablePython`) when `isDefaultPython`.
 */
export async function planSandbox(
  resolved: ResolvedSandboxOptions,
  host: SandboxHost,
  isDefaultPython: boolean,
): Promise<PlannedSandbox> {
  const isRoot = host.isRoot ?? process.getuid?.() === 0;
  const bubblewrap =
    host.bubblewrap !== undefined ? host.bubblewrap : resolved.bubblewrap === 'off' ? null : await findBubblewrap();
  const dropping = isRoot && resolved.dropPrivileges === 'auto';
  const notes: string[] = [];
  let python = await probePython(resolved.python);
  const facts: HostFacts = {
    isRoot,
    bubblewrap,
    ...(host.namespaces !== undefined ? { namespaces: host.namespaces } : {}),
  };
  let plan = await planIsolation(resolved, python, facts);
  if (!plan.sandboxWorkRoot && dropping && !python.prefixes.every(isReadableByOthers)) {
    const unreadable = python.executable;
    python = await readablePython(python, isDefaultPython);
    notes.push(`using ${python.executable}: programs run under an unprivileged uid that cannot read ${unreadable}`);
    plan = await planIsolation(resolved, python, facts);
  }
  return { python, plan, notes, dropping };
}

/** The host temp dir programs work in when the servers have no private /tmp (null when they do). */
async function hostWorkRootFor(planned: PlannedSandbox): Promise<string | null> {
  if (planned.plan.sandboxWorkRoot) return null;
  const dir = await mkdtemp(join(tmpdir(), 'nxt-sandbox-'));
  await chmod(dir, planned.dropping ? 0o711 : 0o700);
  return dir;
}

/** The uid range programs run under, when the plan gives them uids of their own. */
function claimUids(plan: IsolationPlan, workers: number, lockDir: string | undefined): UidRange | null {
  if (plan.childUidBase === null) return null;
  if (workers > UID_RANGE_SIZE) {
    throw new UsageError(`at most ${UID_RANGE_SIZE} workers when programs run under their own uids (got ${workers})`);
  }
  return claimUidRange(plan.childUidBase, lockDir);
}

/** Starts one fork-server per worker under the plan; on failure, gives back what it took. */
export async function startServers(
  resolved: ResolvedSandboxOptions,
  planned: PlannedSandbox,
  uidLockDir: string | undefined,
): Promise<StartedServers> {
  const { plan } = planned;
  const script = serverBootstrap();
  const preamble = serverBundle();
  const hostWorkRoot = await hostWorkRootFor(planned);
  const workRoot = plan.sandboxWorkRoot ?? hostWorkRoot;
  const workers = resolved.workers ?? availableParallelism();
  const uids = claimUids(plan, workers, uidLockDir);
  const uidBase = uids?.base ?? null;
  try {
    const pool = await SandboxPool.start(
      workers,
      (slot) => {
        const config = JSON.stringify({
          ...plan.serverConfig,
          childUid: uidBase === null ? null : uidBase + slot,
          workRoot,
        });
        return {
          ...plan.command(script, 'serve', config),
          preamble,
          ...(hostWorkRoot ? { cwd: hostWorkRoot } : {}),
        };
      },
      resolved.pipelineDepth,
      resolved.startupTimeoutMs,
    );
    return { pool, workers, uids, hostWorkRoot };
  } catch (error) {
    uids?.release();
    if (hostWorkRoot) await rm(hostWorkRoot, { recursive: true, force: true });
    throw error;
  }
}
