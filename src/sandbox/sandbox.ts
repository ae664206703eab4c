import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { NxtError, UsageError } from '../shared/index.js';
import { type EntryPointInference, EntryPointInferenceSchema, entryPointFields } from './entry-points.js';
import type { ServerHello } from './fork-server.js';
import { type PythonInfo, probePython } from './interpreter.js';
import {
  CLEAN_SLATE_FALLBACK,
  findBubblewrap,
  type HostFacts,
  type IsolationLayer,
  planIsolation,
  totalMemoryLayer,
} from './isolation.js';
import {
  type CaseBatch,
  CaseBatchSchema,
  type JudgeOptions,
  JudgeOptionsSchema,
  type JudgeTest,
  parseOptions,
  type ResolvedJudgeOptions,
  ResourceLimitsSchema,
  type SandboxOptions,
  SandboxOptionsSchema,
  type TraceOptions,
} from './options.js';
import { SandboxPool } from './pool.js';
import { judgeSource, serverBootstrap, serverBundle } from './server-source.js';
import { type TraceHost, type TraceResult, traceProgram } from './trace-run.js';
import { claimUidRange, UID_RANGE_SIZE, type UidRange } from './uid-range.js';
import { judgeFaultVerdict, toVerdict, type Verdict } from './verdict.js';

/** Processes of the sandbox itself that share the programs' uid when nxt is not root. */
const SANDBOX_PROCESSES = 5;

const MutantsSchema = z.array(z.object({ kind: z.string(), program: z.string() }));

const TestPlanSchema = z.object({
  kind: z.enum(['sealed', 'cases', 'runner', 'statement']),
  reason: z.string().nullable(),
});
/**
 * How a test will be judged: `sealed` (one call checked by the judge), `cases` (a case batch),
 * `runner` (in nxt's own test process, calls forwarded to the program), or `statement` (inside the
 * program's process; `reason` says why it could not be sealed).
 */
export type TestPlan = z.infer<typeof TestPlanSchema>;

const SplitAnswerSchema = z.union([
  z.object({ statements: z.array(z.string()) }),
  z.object({ error: z.string(), line: z.number().nullable() }),
]);

/** A running pool of sandboxed fork-servers that judges programs. Close it when done. */
export interface Sandbox {
  readonly python: PythonInfo;
  /** `sys.version` of the interpreter the programs run under. */
  readonly pythonVersion: string;
  readonly layers: readonly IsolationLayer[];
  /**
   * What decides a verdict besides the program and its tests: a hash of the judge's own code (the
   * Python it runs), the interpreter's version and the active isolation layers. Verdicts are reusable
   * between sandboxes with the same identity (the execution cache keys on it).
   */
  readonly judgeIdentity: string;
  readonly workers: number;
  /** The uids programs run under (slot k: `base + k`), held by this process alone; null when nxt is not root. */
  readonly childUids: { base: number; count: number } | null;
  /** Decisions worth telling the user, e.g. a fallback interpreter and why. */
  readonly notes: readonly string[];
  /**
   * Judges `program` against `tests`: independent Python statements run after the program, or case
   * batches. A test of the form `assert <one call of a program function>` (and the other shapes in
   * python/nxt/server/seal.py) is sealed: only the call reaches the program; the result comes back as plain data
   * and the judge evaluates the assertion. Each test's verdict says whether it was sealed.
   */
  judgeProgram(program: string, tests: readonly JudgeTest[], options?: JudgeOptions): Promise<Verdict>;
  /**
   * Traces one test (`options.testIndex`, or else the one `chooseTestToTrace` picks from a verdict of
   * every test) and returns the structured trace with the test's outcome. A program that fails while
   * loading is traced up to the failure instead (`trace.phase` is `load`). Tracing never changes the
   * verdict of other calls.
   */
  traceProgram(program: string, tests: readonly string[], options?: TraceOptions): Promise<TraceResult>;
  /** Per-test timeouts from a reference solution: max(floor, factor × reference time), as EvalPlus does. */
  calibrateTimeouts(reference: string, tests: readonly JudgeTest[], options?: CalibrationOptions): Promise<Calibration>;
  /**
   * Per-input limits of a case batch by EvalPlus's rule: the reference runs every input once, and
   * input i gets max(floorMs, factor x its time). Throws `NxtError('calibration')` when the reference
   * does not pass the batch.
   */
  calibrateCases(reference: string, batch: CaseBatch, options?: CalibrationOptions): Promise<CaseCalibration>;
  /**
   * How each test would be judged (parsing only, nothing runs). A runner test whose arguments turn out
   * not to be plain data still runs as a statement; verdicts say what really happened.
   */
  planTests(
    tests: readonly JudgeTest[],
    options?: { entryPoint?: string | readonly string[]; reference?: string | null },
  ): Promise<TestPlan[]>;
  /**
   * The functions of `program` that `tests` are about, for `entryPoint` when no one says (parsing
   * only, nothing runs): names the tests call that the program binds at module level other than as a
   * class, or that are not builtins. Never throws on what the program or the tests hold.
   */
  inferEntryPoints(program: string, tests: readonly string[]): Promise<EntryPointInference>;
  /**
   * Splits Python source into its top-level statements (parsing only, nothing runs).
   * Throws `UsageError` when the source does not parse.
   */
  splitStatements(source: string): Promise<string[]>;
  /** Every single-site AST mutant of `source` (parsing and unparsing only), in a stable order. */
  mutants(source: string): Promise<{ kind: string; program: string }[]>;
  /** Each source's syntax tree without positions (null when it does not parse): for deduplication. */
  normalize(sources: readonly string[]): Promise<(string | null)[]>;
  /** Servers started so far, replacements included. */
  readonly serversStarted: number;
  readonly serverPids: number[];
  /** Requests answered by each fork-server slot. */
  readonly answeredPerSlot: number[];
  close(): Promise<void>;
}

export interface CalibrationOptions {
  /** Passed to the judging of the reference (see JudgeOptions). */
  entryPoint?: string;
  floorMs?: number;
  factor?: number;
  /** Timeout used while timing the reference itself. */
  referenceTimeoutMs?: number;
  /** Resource limits while the reference runs (case batches may need EvalPlus's memory). */
  limits?: JudgeOptions['limits'];
}

export interface CaseCalibration {
  /** One limit per input, in milliseconds. */
  timeoutsMs: number[];
  /** The reference's time on each input. */
  referenceMs: number[];
}

export interface Calibration {
  testTimeoutMs: number[];
  programTimeoutMs: number;
  referenceMs: number[];
}

/** A timed-out program that had at least this share of a core was computing, not starved by load. */
export const BUSY_CPU_SHARE = 0.9;

/**
 * The re-check policy: a timeout is judged again (and counts only if it happens again) unless the
 * program had a core almost to itself until it was stopped, in which case the machine's load cannot
 * be what stopped it. So a busy loop pays its limit once; a starved or waiting program twice.
 */
export function mayHaveBeenStarved(verdict: Verdict): boolean {
  return verdict.timeoutCpuShare === null || verdict.timeoutCpuShare < BUSY_CPU_SHARE;
}

/** Everything about the host that `createSandbox` would otherwise discover itself. */
export interface SandboxHost {
  isRoot?: boolean;
  bubblewrap?: HostFacts['bubblewrap'];
  namespaces?: HostFacts['namespaces'];
  /** Where uid-range lock files live (default: see uid-range.ts). */
  uidLockDir?: string;
}

/** The layers as planned, corrected by what the first server found when it started. */
function applyServerFacts(
  planned: readonly IsolationLayer[],
  hello: ServerHello,
  uids: UidRange | null,
): IsolationLayer[] {
  return planned.map((layer) => {
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
  });
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

/** Tests as the server takes them: statements, or case batches with their defaults filled in. */
function checkTests(tests: readonly JudgeTest[]): JudgeTest[] {
  if (!Array.isArray(tests)) throw new UsageError('tests must be an array of Python statements or case batches');
  return tests.map((test, index) => {
    if (typeof test === 'string') return test;
    if (typeof test !== 'object' || test === null || (test as { kind?: unknown }).kind !== 'cases') {
      throw new UsageError(
        `tests must be an array of Python statements (strings) or case batches; test ${index} is neither`,
      );
    }
    const parsed = CaseBatchSchema.safeParse(test);
    if (!parsed.success)
      throw new UsageError(`test ${index} is not a valid case batch:\n${z.prettifyError(parsed.error)}`);
    return parsed.data;
  });
}

function testTimeouts(options: ResolvedJudgeOptions, count: number): number[] {
  if (!Array.isArray(options.testTimeoutMs))
    return Array.from({ length: count }, () => options.testTimeoutMs as number);
  if (options.testTimeoutMs.length !== count) {
    throw new NxtError('usage', `testTimeoutMs has ${options.testTimeoutMs.length} entries for ${count} tests`);
  }
  return options.testTimeoutMs;
}

/** Starts the sandbox: probes Python, decides the isolation layers and starts one fork-server per worker. */
export async function createSandbox(options: SandboxOptions = {}, host: SandboxHost = {}): Promise<Sandbox> {
  const resolved = parseOptions(SandboxOptionsSchema, options, 'sandbox options');
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
    python = await readablePython(python, options.python === undefined);
    notes.push(`using ${python.executable}: programs run under an unprivileged uid that cannot read ${unreadable}`);
    plan = await planIsolation(resolved, python, facts);
  }
  const script = serverBootstrap();
  const preamble = serverBundle();
  let hostWorkRoot: string | null = null;
  if (!plan.sandboxWorkRoot) {
    hostWorkRoot = await mkdtemp(join(tmpdir(), 'nxt-sandbox-'));
    await chmod(hostWorkRoot, dropping ? 0o711 : 0o700);
  }
  const workRoot = plan.sandboxWorkRoot ?? hostWorkRoot;
  const workers = resolved.workers ?? availableParallelism();
  let uids: UidRange | null = null;
  if (plan.childUidBase !== null) {
    if (workers > UID_RANGE_SIZE) {
      throw new UsageError(`at most ${UID_RANGE_SIZE} workers when programs run under their own uids (got ${workers})`);
    }
    uids = claimUidRange(plan.childUidBase, host.uidLockDir);
  }
  const uidBase = uids?.base ?? null;
  let pool: SandboxPool;
  try {
    pool = await SandboxPool.start(
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
  } catch (error) {
    uids?.release();
    if (hostWorkRoot) await rm(hostWorkRoot, { recursive: true, force: true });
    throw error;
  }
  const pythonVersion = pool.hello.python;
  const layers = applyServerFacts(plan.layers, pool.hello, uids);
  const processLimit = layers.some((layer) => layer.name === 'process-limit' && layer.active);

  async function runJudge(
    program: string,
    tests: readonly JudgeTest[],
    judge: ResolvedJudgeOptions,
    extra: Record<string, unknown> = {},
  ) {
    const limits = ResourceLimitsSchema.parse(judge.limits);
    let processes: number | null = null;
    let memoryBytes = limits.memoryBytes;
    if (processLimit) {
      // Keep all of the program's processes together under the total: fewer processes first, then
      // less memory per process when even one would not fit.
      const fit = Math.floor(limits.totalMemoryBytes / memoryBytes);
      processes = Math.max(1, Math.min(limits.processes, fit));
      if (fit < 1) memoryBytes = limits.totalMemoryBytes;
      // Without a uid of its own, RLIMIT_NPROC counts the uid's processes in the server's user
      // namespace: the server, the zygote, the next child, a test process and bubblewrap's init too.
      if (!uids) processes += SANDBOX_PROCESSES;
    }
    return pool.run({
      ...extra,
      op: 'judge',
      program,
      tests,
      sealing: judge.sealing !== 'off',
      ...entryPointFields(judge.entryPoint),
      ...(judge.reference ? { reference: judge.reference } : {}),
      programTimeoutMs: judge.programTimeoutMs,
      testTimeoutsMs: testTimeouts(judge, tests.length),
      ...(judge.caseTimeoutsMs ? { caseTimeoutsMs: judge.caseTimeoutsMs } : {}),
      ...(judge.caseTimes ? { caseTimes: true } : {}),
      stopAtFirstFailure: judge.stopAtFirstFailure,
      maxOutputBytes: judge.maxOutputBytes,
      captureOutput: judge.captureOutput,
      limits: {
        memoryBytes,
        fileSizeBytes: limits.fileSizeBytes,
        openFiles: limits.openFiles,
        processes,
        cpuSeconds: Math.ceil(judge.programTimeoutMs / 1000) + 1,
      },
    });
  }

  async function judgeOnce(
    program: string,
    tests: readonly JudgeTest[],
    judge: ResolvedJudgeOptions,
    rechecked: boolean,
  ) {
    try {
      return toVerdict(await runJudge(program, tests, judge, {}), pythonVersion, rechecked);
    } catch (error) {
      // Whatever the program did, it gets a verdict: a fault of the judge is that program's error.
      if (error instanceof NxtError && error.code === 'sandbox-judge-fault') {
        return judgeFaultVerdict(tests.length, error.message, pythonVersion);
      }
      throw error;
    }
  }

  const traceHost: TraceHost = {
    pythonVersion,
    judgeProgram: (program, tests, options) => sandbox.judgeProgram(program, tests, options),
    runTraced: (program, tests, judge, trace) => runJudge(program, tests, judge, { trace }),
  };

  const judgeIdentity = createHash('sha256')
    .update(judgeSource())
    .update(serverBootstrap())
    .update(JSON.stringify([pythonVersion, layers.filter((layer) => layer.active).map((layer) => layer.name)]))
    .digest('hex');
  const sandbox: Sandbox = {
    python,
    pythonVersion,
    layers,
    judgeIdentity,
    workers,
    childUids: uidBase === null ? null : { base: uidBase, count: workers },
    notes,
    get serversStarted() {
      return pool.serversStarted;
    },
    get serverPids() {
      return pool.serverPids;
    },
    get answeredPerSlot() {
      return pool.answeredPerSlot;
    },
    async judgeProgram(program, tests, judgeOptions = {}) {
      if (typeof program !== 'string') throw new NxtError('usage', 'the program must be a string of Python source');
      const checked = checkTests(tests);
      const judge = parseOptions(JudgeOptionsSchema, judgeOptions, 'judge options');
      const first = await judgeOnce(program, checked, judge, false);
      if (first.status !== 'timeout' || !judge.recheckTimeouts || !mayHaveBeenStarved(first)) return first;
      return judgeOnce(program, checked, judge, true);
    },
    traceProgram(program, tests, options = {}) {
      return traceProgram(traceHost, program, tests, options);
    },
    planTests(tests, options = {}) {
      return pool.ask(
        {
          op: 'plan',
          tests: checkTests(tests),
          ...entryPointFields(options.entryPoint),
          ...(options.reference ? { reference: options.reference } : {}),
        },
        (raw) => z.array(TestPlanSchema).parse(raw),
      );
    },
    inferEntryPoints(program, tests) {
      return pool.ask({ op: 'entry-points', program, tests: checkTests(tests) }, (raw) =>
        EntryPointInferenceSchema.parse(raw),
      );
    },
    mutants(source) {
      return pool.ask({ op: 'mutate', source }, (raw) => MutantsSchema.parse(raw));
    },
    normalize(sources) {
      return pool.ask({ op: 'normalize', sources }, (raw) => z.array(z.string().nullable()).parse(raw));
    },
    async splitStatements(source) {
      const answer = await pool.ask({ op: 'split', source }, (raw) => SplitAnswerSchema.parse(raw));
      if ('error' in answer) throw new UsageError(`the Python source does not parse: ${answer.error}`);
      return answer.statements;
    },
    async calibrateTimeouts(reference, tests, calibration = {}) {
      const floorMs = calibration.floorMs ?? 1000;
      const factor = calibration.factor ?? 4;
      const referenceTimeoutMs = calibration.referenceTimeoutMs ?? 60_000;
      const verdict = await sandbox.judgeProgram(reference, tests, {
        programTimeoutMs: referenceTimeoutMs,
        testTimeoutMs: referenceTimeoutMs,
        ...(calibration.entryPoint ? { entryPoint: calibration.entryPoint, reference } : {}),
      });
      if (verdict.status !== 'pass') {
        throw new NxtError(
          'calibration',
          `cannot calibrate timeouts: the reference solution does not pass (${verdict.reason})`,
        );
      }
      const referenceMs = verdict.tests.map((test) => test.durationMs);
      const testTimeoutMs = referenceMs.map((ms) => Math.ceil(Math.max(floorMs, factor * ms)));
      const loadMs = Math.ceil(Math.max(floorMs, factor * verdict.program.durationMs));
      return { testTimeoutMs, programTimeoutMs: loadMs + testTimeoutMs.reduce((sum, ms) => sum + ms, 0), referenceMs };
    },
    async calibrateCases(reference, batch, calibration = {}) {
      const floorMs = calibration.floorMs ?? 4000;
      const factor = calibration.factor ?? 4;
      const referenceTimeoutMs = calibration.referenceTimeoutMs ?? 120_000;
      const verdict = await sandbox.judgeProgram(reference, [batch], {
        programTimeoutMs: referenceTimeoutMs + 10_000,
        testTimeoutMs: referenceTimeoutMs,
        caseTimes: true,
        captureOutput: false,
        ...(calibration.entryPoint ? { entryPoint: calibration.entryPoint, reference } : {}),
        ...(calibration.limits ? { limits: calibration.limits } : {}),
      });
      const referenceMs = verdict.tests[0]?.cases?.ms;
      if (verdict.status !== 'pass' || !referenceMs) {
        throw new NxtError(
          'calibration',
          `cannot calibrate per-input limits: the reference does not pass its case batch (${verdict.reason || 'no timings'})`,
        );
      }
      return { timeoutsMs: referenceMs.map((ms) => Math.ceil(Math.max(floorMs, factor * ms))), referenceMs };
    },
    async close() {
      await pool.close();
      uids?.release();
      if (hostWorkRoot) await rm(hostWorkRoot, { recursive: true, force: true });
    },
  };
  return sandbox;
}
