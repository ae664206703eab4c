import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { z } from 'zod';
import { UsageError } from '../shared/index.js';
import {
  type Calibration,
  type CalibrationOptions,
  type CaseCalibration,
  calibrateCases,
  calibrateTimeouts,
  type JudgeFunction,
} from './calibrate.js';
import { type EntryPointInference, EntryPointInferenceSchema, entryPointFields } from './entry-points.js';
import type { PythonInfo } from './interpreter.js';
import { checkTests, type JudgeHost, judgeProgram, runJudge } from './judge-request.js';
import { applyServerFacts, type IsolationLayer } from './layers.js';
import {
  type CaseBatch,
  type JudgeOptions,
  type JudgeTest,
  parseOptions,
  type SandboxOptions,
  SandboxOptionsSchema,
  type TraceOptions,
} from './options.js';
import type { SandboxPool } from './pool.js';
import { judgeSource, serverBootstrap } from './server-source.js';
import { type PlannedSandbox, planSandbox, type SandboxHost, type StartedServers, startServers } from './startup.js';
import { type TraceHost, type TraceResult, traceProgram } from './trace-run.js';
import type { Verdict } from './verdict.js';

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

/** Starts the sandbox: probes Python, decides the isolation layers and starts one fork-server per worker. */
export async function createSandbox(options: SandboxOptions = {}, host: SandboxHost = {}): Promise<Sandbox> {
  const resolved = parseOptions(SandboxOptionsSchema, options, 'sandbox options');
  const planned = await planSandbox(resolved, host, options.python === undefined);
  return sandboxOver(planned, await startServers(resolved, planned, host.uidLockDir));
}

/** What decides a verdict besides the program and its tests (see `Sandbox.judgeIdentity`). */
function judgeIdentityOf(pythonVersion: string, layers: readonly IsolationLayer[]): string {
  return createHash('sha256')
    .update(judgeSource())
    .update(serverBootstrap())
    .update(JSON.stringify([pythonVersion, layers.filter((layer) => layer.active).map((layer) => layer.name)]))
    .digest('hex');
}

/** The `Sandbox` over running servers: its layers as the servers found them, and every request. */
function sandboxOver(planned: PlannedSandbox, started: StartedServers): Sandbox {
  const { pool, uids, hostWorkRoot, workers } = started;
  const pythonVersion = pool.hello.python;
  const layers = applyServerFacts(planned.plan.layers, pool.hello, uids);
  const judgeHost: JudgeHost = {
    pool,
    pythonVersion,
    processLimit: layers.some((layer) => layer.name === 'process-limit' && layer.active),
    ownUids: uids !== null,
  };
  const judge: JudgeFunction = (program, tests, options) => judgeProgram(judgeHost, program, tests, options);
  const traceHost: TraceHost = {
    pythonVersion,
    judgeProgram: judge,
    runTraced: (program, tests, options, trace) => runJudge(judgeHost, program, tests, options, { trace }),
  };
  return {
    python: planned.python,
    pythonVersion,
    layers,
    judgeIdentity: judgeIdentityOf(pythonVersion, layers),
    workers,
    childUids: uids === null ? null : { base: uids.base, count: workers },
    notes: planned.notes,
    get serversStarted() {
      return pool.serversStarted;
    },
    get serverPids() {
      return pool.serverPids;
    },
    get answeredPerSlot() {
      return pool.answeredPerSlot;
    },
    judgeProgram: (program, tests, options = {}) => judgeProgram(judgeHost, program, tests, options),
    traceProgram: (program, tests, options = {}) => traceProgram(traceHost, program, tests, options),
    ...parsingRequests(pool),
    calibrateTimeouts: (reference, tests, calibration = {}) => calibrateTimeouts(judge, reference, tests, calibration),
    calibrateCases: (reference, batch, calibration = {}) => calibrateCases(judge, reference, batch, calibration),
    close: async () => {
      await pool.close();
      uids?.release();
      if (hostWorkRoot) await rm(hostWorkRoot, { recursive: true, force: true });
    },
  };
}

/** The requests that only parse (nothing runs): test plans, entry points, mutants, syntax trees, statements. */
function parsingRequests(
  pool: SandboxPool,
): Pick<Sandbox, 'planTests' | 'inferEntryPoints' | 'mutants' | 'normalize' | 'splitStatements'> {
  return {
    planTests: (tests, options = {}) =>
      pool.ask(
        {
          op: 'plan',
          tests: checkTests(tests),
          ...entryPointFields(options.entryPoint),
          ...(options.reference ? { reference: options.reference } : {}),
        },
        (raw) => z.array(TestPlanSchema).parse(raw),
      ),
    inferEntryPoints: (program, tests) =>
      pool.ask({ op: 'entry-points', program, tests: checkTests(tests) }, (raw) =>
        EntryPointInferenceSchema.parse(raw),
      ),
    mutants: (source) => pool.ask({ op: 'mutate', source }, (raw) => MutantsSchema.parse(raw)),
    normalize: (sources) => pool.ask({ op: 'normalize', sources }, (raw) => z.array(z.string().nullable()).parse(raw)),
    splitStatements: async (source) => {
      const answer = await pool.ask({ op: 'split', source }, (raw) => SplitAnswerSchema.parse(raw));
      if ('error' in answer) throw new UsageError(`the Python source does not parse: ${answer.error}`);
      return answer.statements;
    },
  };
}
