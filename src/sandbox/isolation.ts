import { spawn } from 'node:child_process';
import { NxtError } from '../shared/index.js';
import { type Bubblewrap, bubblewrapArgs, pythonRoots, run } from './bubblewrap.js';
import type { PythonInfo } from './interpreter.js';
import { type IsolationLayer, identityLayers, NO_BWRAP_RISK, programLayers, totalMemoryLayer } from './layers.js';
import type { ResolvedSandboxOptions } from './options.js';
import { serverBootstrap, serverBundle } from './server-source.js';

/** How to start fork-server number `slot`, and what protects its programs. */
export interface IsolationPlan {
  layers: readonly IsolationLayer[];
  /** Children of slot k run as `childUidBase + k`; null when privileges are not dropped. */
  childUidBase: number | null;
  /** Program working directories are created under this path (as the server sees it); null: a host temp dir. */
  sandboxWorkRoot: string | null;
  bubblewrap: Bubblewrap | null;
  /** Added to every server's config: how it enters namespaces itself, what it cleans between programs. */
  serverConfig: Record<string, unknown>;
  /** The command line that starts a fork-server running `script` in `mode`. */
  command(script: string, mode: string, config: string): { file: string; args: string[] };
}

/** The facts about this machine that decide the plan (injected so tests can vary them). */
export interface HostFacts {
  isRoot: boolean;
  bubblewrap: Bubblewrap | null;
  /** Whether the server can enter namespaces itself (null: it can; a string: why not). Probed when absent. */
  namespaces?: string | null;
}

/** What the server needs to build its own root: the interpreter's directories outside the system ones. */
function namespaceSpec(python: PythonInfo, tmpfsBytes: number): Record<string, unknown> {
  return {
    readOnly: [...pythonRoots(python)],
    tmpBytes: tmpfsBytes,
    shmBytes: Math.min(tmpfsBytes, 64 * 1024 * 1024),
  };
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

interface BubblewrapPlan {
  layer: IsolationLayer;
  /** The bubblewrap that starts here (null: none is used), and its arguments around the server. */
  bubblewrap: Bubblewrap | null;
  args: string[];
}

/** Whether bubblewrap wraps the servers: off, not installed, unable to start (probed), or used. */
async function planBubblewrap(
  options: ResolvedSandboxOptions,
  python: PythonInfo,
  host: HostFacts,
): Promise<BubblewrapPlan> {
  const without = (detail: string): BubblewrapPlan => ({
    layer: { name: 'bubblewrap', active: false, detail, risk: NO_BWRAP_RISK },
    bubblewrap: null,
    args: [],
  });
  if (options.bubblewrap === 'off') return without('disabled by bubblewrap=off');
  if (!host.bubblewrap) {
    if (options.bubblewrap === 'required') {
      throw new NxtError(
        'sandbox',
        'bubblewrap is required but not installed: apt-get install bubblewrap (or dnf install bubblewrap).',
      );
    }
    return without('not installed (apt-get install bubblewrap)');
  }
  const args = bubblewrapArgs(host.isRoot, python, options.tmpfsBytes);
  const probe = await run(host.bubblewrap.path, [...args, '--', python.executable, '-I', '-S', '-c', 'print("ok")']);
  if (probe.ok && probe.stdout.trim() === 'ok') {
    const detail = `bubblewrap ${host.bubblewrap.version}: own mount, pid, network and IPC namespaces; read-only system dirs; private /tmp; no network`;
    return { layer: { name: 'bubblewrap', active: true, detail, risk: '' }, bubblewrap: host.bubblewrap, args };
  }
  const why = probe.stderr.trim().split('\n')[0] ?? 'unknown error';
  if (options.bubblewrap === 'required') {
    throw new NxtError('sandbox', `bubblewrap is required but cannot start here: ${why}`);
  }
  return without(`installed but cannot start here (${why})`);
}

/**
 * Whether the server enters namespaces itself (without bubblewrap): off, refused by the kernel (probed
 * unless the host says), or entered; `spec` is what the server is told to build when it does.
 */
async function planNamespaces(
  options: ResolvedSandboxOptions,
  python: PythonInfo,
  host: HostFacts,
): Promise<{ layer: IsolationLayer; spec: Record<string, unknown> | null }> {
  if (options.namespaces === 'off') {
    return {
      layer: { name: 'namespaces', active: false, detail: 'disabled by namespaces=off', risk: NO_BWRAP_RISK },
      spec: null,
    };
  }
  const spec = namespaceSpec(python, options.tmpfsBytes);
  const why = host.namespaces !== undefined ? host.namespaces : await probeNamespaces(python, spec);
  if (why === null) {
    const detail = `${host.isRoot ? '' : 'user, '}mount, PID, network, IPC and UTS namespaces entered by the server itself: read-only system dirs, private /tmp and /dev/shm, no network, only sandbox processes visible`;
    return { layer: { name: 'namespaces', active: true, detail, risk: '' }, spec };
  }
  if (options.namespaces === 'required') {
    throw new NxtError('sandbox', `namespaces are required but the kernel refuses them here: ${why}`);
  }
  return {
    layer: { name: 'namespaces', active: false, detail: `the kernel refuses them here (${why})`, risk: NO_BWRAP_RISK },
    spec: null,
  };
}

const BUBBLEWRAP_NAMESPACES: IsolationLayer = {
  name: 'namespaces',
  active: true,
  detail: 'made by bubblewrap (see above)',
  risk: '',
};

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
  const layers = identityLayers(drop, host.isRoot, options.uidBase);
  const wrap = await planBubblewrap(options, python, host);
  const namespaces = wrap.bubblewrap
    ? { layer: BUBBLEWRAP_NAMESPACES, spec: null }
    : await planNamespaces(options, python, host);
  const serverConfig: Record<string, unknown> = {};
  if (namespaces.spec) {
    serverConfig['namespaces'] = namespaces.spec;
    // What bubblewrap would have given, the server's own namespaces give: no risk left to report.
    wrap.layer = { ...wrap.layer, detail: `${wrap.layer.detail}; the namespaces below take its place`, risk: '' };
  }
  layers.push(wrap.layer, namespaces.layer);
  const privateRoot = wrap.bubblewrap !== null || namespaces.spec !== null;
  serverConfig['privateTmp'] = privateRoot;
  layers.push(...programLayers(privateRoot, drop, options.tmpfsBytes, serverConfig));
  const processLimit = layers.find((layer) => layer.name === 'process-limit')?.active === true;
  layers.push(totalMemoryLayer(processLimit));
  return {
    layers,
    childUidBase: drop ? options.uidBase : null,
    sandboxWorkRoot: privateRoot ? '/tmp' : null,
    bubblewrap: wrap.bubblewrap,
    serverConfig,
    command: serverCommand(python, wrap),
  };
}

/** The command line of a fork-server: the interpreter, inside bubblewrap when it is used. */
function serverCommand(python: PythonInfo, wrap: BubblewrapPlan): IsolationPlan['command'] {
  return (script, mode, config) => {
    const pythonArgs = ['-I', '-S', '-c', script, mode, config];
    if (!wrap.bubblewrap) return { file: python.executable, args: pythonArgs };
    return { file: wrap.bubblewrap.path, args: [...wrap.args, '--', python.executable, ...pythonArgs] };
  };
}
