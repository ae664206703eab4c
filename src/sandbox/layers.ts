import type { ServerHello } from './fork-server.js';
import { UID_RANGE_SIZE, type UidRange } from './uid-range.js';

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

export const NO_BWRAP_RISK =
  'programs can read world-readable files, write to world-writable directories such as /tmp, and use the network';

/** Without namespaces of its own, a program shares the server's: what it leaves there must be cleaned. */
export const CLEAN_SLATE_FALLBACK =
  "after each program its work dir, /tmp, /dev/shm and SysV IPC objects are emptied (the server's own, shared by its programs in turn)";

/** Limits, and who programs run as: rlimits, an unprivileged uid per slot as root, the process limit. */
export function identityLayers(drop: boolean, isRoot: boolean, uidBase: number): IsolationLayer[] {
  return [
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
          detail: `programs run as uid ${uidBase}+slot, not root`,
          risk: '',
        }
      : {
          name: 'unprivileged-uid',
          active: false,
          detail: isRoot ? 'disabled by dropPrivileges=off' : 'nxt is not root, so programs run under your uid',
          risk: isRoot
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
          active: !isRoot,
          detail: isRoot
            ? 'needs a uid of its own (disabled by dropPrivileges=off)'
            : "RLIMIT_NPROC counts only the program's processes, in the user namespace it runs in",
          risk: isRoot ? 'a fork bomb is stopped only by the deadline' : '',
        },
  ];
}

/**
 * The layers that keep one program from the next (and fills in the server's config for them): namespaces
 * of each program's own where the server has namespaces, the seccomp filter everywhere, and cleaning
 * where nothing better is possible. The server checks both at start; `applyServerFacts` corrects them.
 */
export function programLayers(
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

/** One planned layer, corrected by what the first server found when it started. */
function applyServerFact(layer: IsolationLayer, hello: ServerHello, uids: UidRange | null): IsolationLayer {
  if (layer.name === 'process-limit' && !uids && hello.programPidNamespace) {
    return {
      ...layer,
      active: false,
      detail: 'needs a uid or a user namespace of its own',
      risk: 'a fork bomb is stopped only by the deadline',
    };
  }
  if (layer.name === 'total-memory' && !uids && hello.programPidNamespace) return totalMemoryLayer(false);
  if (layer.name === 'program-namespaces' && layer.active && (hello.programNamespaces || hello.programPidNamespace)) {
    return {
      ...layer,
      active: false,
      detail: `the kernel refuses them here (${hello.programNamespaces || hello.programPidNamespace})`,
      risk: hello.programPidNamespace
        ? 'a program can signal, stop or renice the judge and the child that waits for the next program'
        : "programs share the server's /tmp, /dev/shm, IPC and process ids in turn: what cleaning misses reaches the next",
    };
  }
  if (layer.name === 'clean-slate' && layer.active && hello.programNamespaces) {
    return { ...layer, detail: CLEAN_SLATE_FALLBACK };
  }
  if (layer.name === 'syscall-filter' && hello.syscallFilter) {
    return {
      ...layer,
      active: false,
      detail: `cannot be installed here (${hello.syscallFilter})`,
      risk: 'programs can keep keys in the kernel keyrings of their uid, which outlive them and reach later programs, and create sockets and namespaces',
    };
  }
  if (layer.name === 'unprivileged-uid' && layer.active && uids) {
    return {
      ...layer,
      detail: `programs run as uids ${uids.base}..${uids.base + UID_RANGE_SIZE - 1} (one per slot; this process's range, held in ${uids.lockFile})`,
    };
  }
  return layer;
}

/** The layers as planned, corrected by what the first server found when it started. */
export function applyServerFacts(
  planned: readonly IsolationLayer[],
  hello: ServerHello,
  uids: UidRange | null,
): IsolationLayer[] {
  return planned.map((layer) => applyServerFact(layer, hello, uids));
}
