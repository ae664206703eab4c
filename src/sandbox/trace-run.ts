import { UsageError } from '../shared/index.js';
import type { Trace } from '../trace/index.js';
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
import { type RawResult, toVerdict, type Verdict } from './verdict.js';

type ResolvedTraceOptions = ReturnType<typeof resolveTraceOptions>;

/** What `traceProgram` did: traced a test, or found nothing to trace and why. */
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

function tracerConfig(options: ResolvedTraceOptions, testIndex: number): Record<string, unknown> {
  return {
    testIndex,
    maxSteps: options.maxSteps,
    maxEvents: options.maxEvents,
    maxChars: options.maxChars,
    maxSeconds: options.maxSeconds,
    valueChars: options.valueChars,
    valueItems: options.valueItems,
  };
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
  const raw = await host.runTraced(program, tests, judge, tracerConfig(options, index));
  const verdict = toVerdict(raw, host.pythonVersion);
  const outcome = verdict.tests[index];
  if (verdict.program.status !== 'ok' || !raw.trace || !outcome) return { verdict, trace: null };
  const test = tests[index] as string;
  return {
    verdict,
    trace: toTrace(raw.trace, { program, test, testIndex: index, python: host.pythonVersion, outcome }),
  };
}

/**
 * Traces test `options.testIndex`, or else the one `chooseTestToTrace` picks from a verdict of every
 * test. Throws `UsageError` for a test index out of range or invalid options.
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
    if (verdict.program.status !== 'ok') return { status: 'program-failed', verdict };
    index = chooseTestToTrace(verdict);
    if (index === null) return { status: 'nothing-failed', verdict };
  }
  const traced = await traceTest(host, program, tests, index, resolved);
  if (!traced.trace) return { status: 'program-failed', verdict: traced.verdict };
  return { status: 'traced', trace: traced.trace, testIndex: index, verdict };
}
