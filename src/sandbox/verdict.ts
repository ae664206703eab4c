import { z } from 'zod';
import { RawTraceSchema } from './trace-record.js';

export const ExceptionInfoSchema = z.object({
  /** Exception class name, e.g. `AssertionError`; `Crash`, `ProcessExit` or `TamperError` for what the judge saw. */
  type: z.string(),
  message: z.string(),
  /** 1-based line of the innermost frame in the program or the test, when known. */
  line: z.number().int().nullable(),
  source: z.enum(['program', 'test']).nullable(),
});
export type ExceptionInfo = z.infer<typeof ExceptionInfoSchema>;

export const TestStatusSchema = z.enum(['pass', 'fail', 'error', 'timeout', 'not_run']);
export type TestStatus = z.infer<typeof TestStatusSchema>;

/** How far a case batch (EvalPlus inputs) got: inputs judged and inputs that passed, in order. */
export const CaseCountSchema = z.object({
  total: z.number().int().nonnegative(),
  passed: z.number().int().nonnegative(),
  /** Milliseconds each judged input took inside the program (only when asked for: `caseTimes`). */
  ms: z.array(z.number().nonnegative()).optional(),
  /** The input whose own time limit ran out (0-based), when that ended the batch. */
  timedOutInput: z.number().int().nonnegative().optional(),
});
export type CaseCount = z.infer<typeof CaseCountSchema>;

export const TestVerdictSchema = z.object({
  index: z.number().int().nonnegative(),
  status: TestStatusSchema,
  exception: ExceptionInfoSchema.nullable(),
  durationMs: z.number().nonnegative(),
  /**
   * True when the program's process never saw what the test expects: the result came back as plain
   * data and was compared by the judge (or the test ran in nxt's own test process). False when the
   * test had to run as a statement inside the program's process, where a program can interfere.
   */
  sealed: z.boolean(),
  /** For a case batch: how many inputs passed before the first failure; null for other tests. */
  cases: CaseCountSchema.nullable(),
});
export type TestVerdict = z.infer<typeof TestVerdictSchema>;

export const VerdictStatusSchema = z.enum(['pass', 'fail', 'error', 'timeout']);
export type VerdictStatus = z.infer<typeof VerdictStatusSchema>;

export const VERDICT_SCHEMA_VERSION = 2 as const;

export const VerdictSchema = z.object({
  /** 2 added per-test `sealed` and `cases`. */
  schemaVersion: z.literal(VERDICT_SCHEMA_VERSION),
  /** `pass` only when the program loaded and every test ran and passed. */
  status: VerdictStatusSchema,
  /** One line saying why the program did not pass; empty on a pass. */
  reason: z.string(),
  program: z.object({
    status: z.enum(['ok', 'error', 'timeout']),
    exception: ExceptionInfoSchema.nullable(),
    durationMs: z.number().nonnegative(),
  }),
  tests: z.array(TestVerdictSchema),
  stdout: z.string(),
  stderr: z.string(),
  stdoutTruncated: z.boolean(),
  stderrTruncated: z.boolean(),
  /** Why judging could not finish normally (the program tampered with the judge, or ended between tests). */
  problem: z.string().nullable(),
  /** `sys.version` of the interpreter that ran the program. */
  python: z.string(),
  durationMs: z.number().nonnegative(),
  /** True when a first timeout was judged again and this is the second verdict. */
  rechecked: z.boolean(),
  /**
   * When something timed out: the share of a core its process had over its life (near 1: it computed
   * until stopped; far less: it waited, or a loaded machine starved it). Null otherwise.
   */
  timeoutCpuShare: z.number().nullable().default(null),
  /**
   * True when the judge itself failed on this program (a fault of nxt, not of the program): the
   * verdict is `error`, `problem` says what failed, and run summaries count these apart.
   */
  judgeFault: z.boolean().default(false),
});
export type Verdict = z.infer<typeof VerdictSchema>;

const RawOutcomeSchema = z.object({
  status: z.string(),
  ms: z.number(),
  exception: ExceptionInfoSchema.nullable().optional(),
});
const RawTestOutcomeSchema = RawOutcomeSchema.extend({
  sealed: z.boolean(),
  cases: CaseCountSchema.nullable().optional(),
});

/** What a fork-server answers for one program (validated at the process boundary). */
export const RawResultSchema = z.object({
  program: RawOutcomeSchema,
  tests: z.array(RawTestOutcomeSchema),
  stdout: z.string(),
  stderr: z.string(),
  stdoutTruncated: z.boolean(),
  stderrTruncated: z.boolean(),
  problem: z.string().nullable(),
  wallMs: z.number(),
  forks: z.number(),
  trace: RawTraceSchema.nullable().optional(),
  timeoutCpuShare: z.number().nullable().optional(),
});
export type RawResult = z.infer<typeof RawResultSchema>;

function programStatus(raw: string): Verdict['program']['status'] {
  return raw === 'ok' || raw === 'timeout' ? raw : 'error';
}

function testStatus(raw: string): TestStatus {
  const parsed = TestStatusSchema.safeParse(raw);
  return parsed.success ? parsed.data : 'error';
}

function describe(exception: ExceptionInfo | null): string {
  if (!exception) return '';
  const message = exception.message ? `: ${exception.message.split('\n')[0]}` : '';
  return `${exception.type}${message}`;
}

function decide(verdict: Omit<Verdict, 'status' | 'reason'>): { status: VerdictStatus; reason: string } {
  if (verdict.problem) return { status: 'error', reason: verdict.problem };
  const { program, tests } = verdict;
  if (program.status === 'timeout') return { status: 'timeout', reason: 'the program timed out while loading' };
  if (program.status === 'error')
    return { status: 'error', reason: `the program failed to load: ${describe(program.exception)}` };
  const failed = tests.filter((test) => test.status !== 'pass');
  const first = failed[0];
  if (!first) return { status: 'pass', reason: '' };
  const timedOut = failed.find((test) => test.status === 'timeout');
  if (timedOut) return { status: 'timeout', reason: `test ${timedOut.index} timed out` };
  const what = first.status === 'not_run' ? 'was not run' : `${first.status}ed`;
  const detail = describe(first.exception);
  return { status: 'fail', reason: `test ${first.index} ${what}${detail ? ` (${detail})` : ''}` };
}

/** Turns a fork-server answer into a verdict: the overall status follows from the parts, never from output. */
export function toVerdict(raw: RawResult, python: string, rechecked = false): Verdict {
  const parts = {
    schemaVersion: VERDICT_SCHEMA_VERSION,
    program: {
      status: programStatus(raw.program.status),
      exception: raw.program.exception ?? null,
      durationMs: Math.max(0, raw.program.ms),
    },
    tests: raw.tests.map((test, index) => ({
      index,
      status: testStatus(test.status),
      exception: test.exception ?? null,
      durationMs: Math.max(0, test.ms),
      sealed: test.sealed,
      cases: test.cases ?? null,
    })),
    stdout: raw.stdout,
    stderr: raw.stderr,
    stdoutTruncated: raw.stdoutTruncated,
    stderrTruncated: raw.stderrTruncated,
    problem: raw.problem,
    python,
    durationMs: raw.wallMs,
    rechecked,
    timeoutCpuShare: raw.timeoutCpuShare ?? null,
    judgeFault: false,
  };
  return { ...decide(parts), ...parts };
}

/** The verdict for a program the judge failed on: `error`, every test not run, the fault as `problem`. */
export function judgeFaultVerdict(testCount: number, fault: string, python: string): Verdict {
  return {
    schemaVersion: VERDICT_SCHEMA_VERSION,
    status: 'error',
    reason: `judge fault: ${fault.split('\n')[0]}`,
    program: { status: 'error', exception: null, durationMs: 0 },
    tests: Array.from({ length: testCount }, (_, index) => ({
      index,
      status: 'not_run' as const,
      exception: null,
      durationMs: 0,
      sealed: false,
      cases: null,
    })),
    stdout: '',
    stderr: '',
    stdoutTruncated: false,
    stderrTruncated: false,
    problem: `judge fault: ${fault}`,
    python,
    durationMs: 0,
    timeoutCpuShare: null,
    rechecked: false,
    judgeFault: true,
  };
}

const STOPPED_AFTER: Partial<Record<string, string>> = {
  fail: 'failed',
  error: 'raised an error',
  timeout: 'timed out',
};

/**
 * Why each test of a verdict was not run, from the verdict alone (null for a test that ran): the batch
 * stopped after the test just before it failed, raised or timed out ("stopped after test 2 failed");
 * otherwise the verdict's own reason, such as "the program failed to load: NameError: ...".
 */
export function notRunReasons(verdict: { reason: string; tests: readonly { status: string }[] }): (string | null)[] {
  let lastRun: { index: number; status: string } | null = null;
  return verdict.tests.map((test, index) => {
    if (test.status !== 'not_run') {
      lastRun = { index, status: test.status };
      return null;
    }
    const stopped = lastRun && STOPPED_AFTER[lastRun.status];
    if (lastRun && stopped) return `stopped after test ${lastRun.index} ${stopped}`;
    return verdict.reason || 'the judge gave no reason';
  });
}
