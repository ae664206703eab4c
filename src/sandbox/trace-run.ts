import { NxtError, UsageError } from '../shared/index.js';
import type { Trace, TracePhase } from '../trace/index.js';
import {
  type JudgeOptions,
  JudgeOptionsSchema,
  parseOptions,
  type ResolvedJudgeOptions,
  type TraceOptions,
  TraceOptionsSchema,
} from './options.js';
import { chooseTestToTrace } from './trace-choice.js';
import { toTrace } from './trace-record.js';
import { judgeFaultVerdict, type RawResult, toVerdict, type Verdict } from './verdict.js';

type ResolvedTraceOptions = ReturnType<typeof resolveTraceOptions>;

/**
 * What `traceProgram` did: traced a run, or found nothing to trace and why. A program that fails
 * while loading is traced up to the failure (`trace.phase` is `load`; `testIndex` is then the test
 * the run was for, the one named or else the first, which never ran); `program-failed` is left for a
 * program of which nothing ran (it does not compile) or that the judge could not run or trace (its
 * verdict then has `judgeFault: true`).
 */
export type TraceResult =
  | { status: 'traced'; trace: Trace; testIndex: number; verdict: Verdict | null }
  | { status: 'nothing-failed'; verdict: Verdict }
  | { status: 'program-failed'; verdict: Verdict };

/** What tracing needs from a running sandbox. */
export interface TraceHost {
  readonly pythonVersion: string;
  judgeProgram(program: string, tests: readonly string[], options: JudgeOptions): Promise<Verdict>;
  /** One judge request to a fork-server with the tracer's config (`trace`) attached. */
  runTraced(
    program: string,
    tests: readonly string[],
    judge: ResolvedJudgeOptions,
    trace: Record<string, unknown>,
  ): Promise<RawResult>;
}

function resolveTraceOptions(options: TraceOptions) {
  return parseOptions(TraceOptionsSchema, options, 'trace options');
}

function tracerConfig(options: ResolvedTraceOptions, testIndex: number, phase: TracePhase): Record<string, unknown> {
  return {
    testIndex,
    phase,
    maxSteps: options.maxSteps,
    maxEvents: options.maxEvents,
    maxChars: options.maxChars,
    maxSeconds: options.maxSeconds,
    valueChars: options.valueChars,
    valueItems: options.valueItems,
  };
}

function isJudgeFault(error: unknown): error is NxtError {
  return error instanceof NxtError && error.code === 'sandbox-judge-fault';
}

/**
 * Runs `run` (a traced run and the reading of its trace); a fault of the judge on it becomes this
 * program's judge-fault verdict, as judging makes one (whatever a program sends, tracing it never throws).
 */
async function orJudgeFault<T>(
  host: TraceHost,
  testCount: number,
  run: () => Promise<T>,
): Promise<{ done: T } | { fault: Verdict }> {
  try {
    return { done: await run() };
  } catch (error) {
    if (!isJudgeFault(error)) throw error;
    return { fault: judgeFaultVerdict(testCount, error.message, host.pythonVersion) };
  }
}

/** Whether the program ran and failed before any test could: it raised or timed out while loading. */
function failedWhileLoading(verdict: Verdict): boolean {
  if (verdict.judgeFault) return false;
  return verdict.program.status === 'timeout' || (verdict.program.status === 'error' && !!verdict.program.exception);
}

/** Traces test `index`; the trace is null when the program did not load in that run. */
async function traceTest(
  host: TraceHost,
  program: string,
  tests: readonly string[],
  index: number,
  options: ResolvedTraceOptions,
): Promise<{ verdict: Verdict; trace: Trace | null }> {
  const judge = JudgeOptionsSchema.parse({
    programTimeoutMs: options.programTimeoutMs,
    testTimeoutMs: options.testTimeoutMs,
    limits: options.limits,
  });
  const run = await orJudgeFault(host, tests.length, async () => {
    const raw = await host.runTraced(program, tests, judge, tracerConfig(options, index, 'test'));
    const verdict = toVerdict(raw, host.pythonVersion);
    const outcome = verdict.tests[index];
    if (verdict.program.status !== 'ok' || !raw.trace || !outcome) return { verdict, trace: null };
    const context = { program, test: tests[index] as string, testIndex: index, python: host.pythonVersion, outcome };
    return { verdict, trace: toTrace(raw.trace, { ...context, phase: 'test' }) };
  });
  return 'fault' in run ? { verdict: run.fault, trace: null } : run.done;
}

/**
 * Traces the program's loading: its source runs as the one test of an empty program, compiled as
 * `<program>` (python/nxt/child/program.py), so the run is the program's own top-level code, traced like
 * a test.
 * `failed` is the verdict that showed the failure; `chooser` the verdict that chose the test, if any.
 */
async function traceLoading(
  host: TraceHost,
  program: string,
  test: { source: string; index: number },
  failed: Verdict,
  chooser: Verdict | null,
  options: ResolvedTraceOptions,
): Promise<TraceResult> {
  if (!failedWhileLoading(failed)) return { status: 'program-failed', verdict: failed };
  const judge = JudgeOptionsSchema.parse({
    programTimeoutMs: options.programTimeoutMs,
    testTimeoutMs: options.programTimeoutMs,
    sealing: 'off',
    limits: options.limits,
  });
  const run = await orJudgeFault(host, failed.tests.length, async (): Promise<TraceResult> => {
    const raw = await host.runTraced('', [program], judge, tracerConfig(options, 0, 'load'));
    const outcome = toVerdict(raw, host.pythonVersion).tests[0];
    // Not one frame: nothing ran, the program does not compile.
    if (!raw.trace || raw.trace.frames.length === 0 || !outcome) return { status: 'program-failed', verdict: failed };
    const context = { program, test: test.source, testIndex: test.index, python: host.pythonVersion, outcome };
    const trace = toTrace(raw.trace, { ...context, phase: 'load' });
    return { status: 'traced', trace, testIndex: test.index, verdict: chooser };
  });
  return 'fault' in run ? { status: 'program-failed', verdict: run.fault } : run.done;
}

/**
 * Traces test `options.testIndex`, or else the one `chooseTestToTrace` picks from a verdict of every
 * test; a program that fails while loading is traced up to its failure instead (see `TraceResult`).
 * Throws `UsageError` for a test index out of range or invalid options.
 */
export async function traceProgram(
  host: TraceHost,
  program: string,
  tests: readonly string[],
  options: TraceOptions,
): Promise<TraceResult> {
  const resolved = resolveTraceOptions(options);
  const named = options.testIndex;
  if (named !== undefined && named >= tests.length) {
    throw new UsageError(`test index ${named} is out of range: there are ${tests.length} tests`);
  }
  let verdict: Verdict | null = null;
  let index = named ?? null;
  if (index === null) {
    // Every test is judged (no stop at the first failure): a timeout must not hide a later failure.
    verdict = await host.judgeProgram(program, tests, {
      testTimeoutMs: options.testTimeoutMs ?? 3000,
      ...(options.limits ? { limits: options.limits } : {}),
      ...(options.entryPoint ? { entryPoint: options.entryPoint } : {}),
      ...(options.reference ? { reference: options.reference } : {}),
    });
    const first = { source: tests[0] ?? '', index: 0 };
    if (verdict.program.status !== 'ok') return traceLoading(host, program, first, verdict, verdict, resolved);
    index = chooseTestToTrace(verdict);
    if (index === null) return { status: 'nothing-failed', verdict };
  }
  const traced = await traceTest(host, program, tests, index, resolved);
  if (traced.trace) return { status: 'traced', trace: traced.trace, testIndex: index, verdict };
  const test = { source: tests[index] ?? '', index };
  return traceLoading(host, program, test, traced.verdict, verdict, resolved);
}
