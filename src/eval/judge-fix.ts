import { type Judged, type ResultRecord, RUN_SCHEMA_VERSION } from '../runs/index.js';
import type { Sandbox, Verdict } from '../sandbox/index.js';
import { PLUS_MEMORY_BYTES, type Problem, plusTestOf } from '../tasks/index.js';

export interface FixLimits {
  testTimeoutMs: number | number[];
  programTimeoutMs: number;
  /** The EvalPlus test's limit as a whole (EvalPlus: min(60 s, sum of the per-input limits) + 1 s). */
  plusTimeoutMs: number;
  /** One limit per EvalPlus input (max(floor, factor x the reference's time on it)); null: none calibrated. */
  plusCaseTimeoutsMs?: number[] | null;
}

export function judged(verdict: Verdict): Judged {
  return {
    status: verdict.status,
    passed: verdict.tests.filter((test) => test.status === 'pass').length,
    total: verdict.tests.length,
    reason: verdict.reason,
    sealed: verdict.tests.filter((test) => test.sealed).length,
    ...(verdict.judgeFault ? { judgeFault: true } : {}),
    tests: verdict.tests.map((test) => ({
      status: test.status,
      exception: test.exception ? `${test.exception.type}: ${test.exception.message.slice(0, 300)}` : null,
      sealed: test.sealed,
    })),
  };
}

/**
 * Judges a fixed program the one way every part of nxt does: the base tests, stopping at the first
 * failure; then, only when those pass, the EvalPlus tests, each input within its own limit. The fix
 * passes when both do. Re-check policy (sandbox `mayHaveBeenStarved`): a timeout, in either, is judged
 * again and counts only if it happens again, unless the program had a core almost to itself until it
 * was stopped (then load did not stop it). A correct fix is not failed by a load spike; a busy loop
 * pays its limit once.
 */
export async function judgeFix(
  sandbox: Sandbox,
  task: Problem,
  program: string,
  limits: FixLimits,
): Promise<Pick<ResultRecord, 'base' | 'plus' | 'pass' | 'basePass'>> {
  // The entry point and the reference let tests that are more than one call run sealed (python/nxt/server/seal.py).
  const sealing = { entryPoint: task.entryPoint, reference: task.reference };
  const base = await sandbox.judgeProgram(program, task.tests, {
    ...sealing,
    testTimeoutMs: limits.testTimeoutMs,
    programTimeoutMs: limits.programTimeoutMs,
    stopAtFirstFailure: true,
    recheckTimeouts: true,
    maxOutputBytes: 2048,
  });
  const basePass = base.status === 'pass';
  let plus: Judged | null = null;
  if (basePass && task.plusTests) {
    const perInput = limits.plusCaseTimeoutsMs ?? null;
    plus = judged(
      await sandbox.judgeProgram(program, [plusTestOf(task.plusTests)], {
        ...sealing,
        testTimeoutMs: limits.plusTimeoutMs,
        programTimeoutMs: limits.plusTimeoutMs + 5000,
        ...(perInput ? { caseTimeoutsMs: { 0: perInput } } : {}),
        recheckTimeouts: true,
        maxOutputBytes: 2048,
        limits: { memoryBytes: PLUS_MEMORY_BYTES },
      }),
    );
  }
  return { base: judged(base), plus, pass: basePass && (task.plusTests === null || plus?.status === 'pass'), basePass };
}

/** A result for a sample that was never judged: the call failed, or the answer held no program. */
export function unjudged(
  taskId: string,
  mode: 'sample' | 'greedy',
  index: number,
  outcome: 'sample_failed' | 'parse_error',
  rationale: string | null = null,
): ResultRecord {
  return {
    schemaVersion: RUN_SCHEMA_VERSION,
    taskId,
    mode,
    index,
    outcome,
    rationale,
    program: null,
    base: null,
    plus: null,
    pass: false,
    basePass: false,
  };
}

/** Default limits where no reference calibrated them. */
export const DEFAULT_FIX_LIMITS: FixLimits = { testTimeoutMs: 5000, programTimeoutMs: 30_000, plusTimeoutMs: 60_000 };

/**
 * How limits are set. Base tests: per test, max(floorMs, 4 x the reference's time on it) (EvalPlus's
 * rule, applied to HumanEval's and MBPP's asserts), `testTimeoutMs` where there is no reference.
 * EvalPlus tests: per input, max(plusFloorMs, plusFactor x the reference's time on that input), as
 * EvalPlus does (its `--min-time-limit` and `--gt-time-limit-factor`), the batch bounded by
 * min(plusTimeoutMs, sum of the input limits) + 1 s.
 */
export interface LimitsRule {
  testTimeoutMs: number;
  floorMs: number;
  plusTimeoutMs: number;
  /** EvalPlus's `min_time_limit` (4 s since EvalPlus of April 2025; 1 s before). */
  plusFloorMs?: number;
  /** EvalPlus's `gt_time_limit_factor`. */
  plusFactor?: number;
}

export const DEFAULT_LIMITS_RULE: Required<LimitsRule> = {
  testTimeoutMs: DEFAULT_FIX_LIMITS.testTimeoutMs as number,
  floorMs: 1000,
  plusTimeoutMs: DEFAULT_FIX_LIMITS.plusTimeoutMs,
  plusFloorMs: 4000,
  plusFactor: 4,
};

/**
 * The one judging-limits policy of every run (eval, proxy, import, self-training): limits calibrated
 * on the task's reference (see LimitsRule); the fixed limits where there is no reference or it does
 * not pass here. Calibrated once per task and sandbox.
 */
export function limitsPolicy(
  sandbox: Sandbox,
  rule: LimitsRule = DEFAULT_LIMITS_RULE,
): (task: Problem) => Promise<FixLimits> {
  const policy = { ...DEFAULT_LIMITS_RULE, ...rule };
  const known = new Map<string, Promise<FixLimits>>();
  const fallback = (task: Problem): FixLimits => ({
    testTimeoutMs: policy.testTimeoutMs,
    programTimeoutMs: policy.testTimeoutMs * Math.max(2, task.tests.length),
    plusTimeoutMs: policy.plusTimeoutMs,
  });
  const calibratePlus = async (task: Problem): Promise<Pick<FixLimits, 'plusTimeoutMs' | 'plusCaseTimeoutsMs'>> => {
    const batch = task.plusTests ? plusTestOf(task.plusTests) : null;
    if (!task.reference || !batch || typeof batch === 'string') return { plusTimeoutMs: policy.plusTimeoutMs };
    const calibrated = await sandbox
      .calibrateCases(task.reference, batch, {
        entryPoint: task.entryPoint,
        floorMs: policy.plusFloorMs,
        factor: policy.plusFactor,
        limits: { memoryBytes: PLUS_MEMORY_BYTES },
      })
      .catch(() => null); // a reference that does not pass its EvalPlus inputs here: the fixed limit
    if (!calibrated) return { plusTimeoutMs: policy.plusTimeoutMs };
    const { timeoutsMs } = calibrated;
    const sum = timeoutsMs.reduce((total, ms) => total + ms, 0);
    return { plusTimeoutMs: Math.ceil(Math.min(policy.plusTimeoutMs, sum) + 1000), plusCaseTimeoutsMs: timeoutsMs };
  };
  const calibrate = async (task: Problem): Promise<FixLimits> => {
    if (!task.reference) return fallback(task);
    try {
      const [calibration, plus] = await Promise.all([
        sandbox.calibrateTimeouts(task.reference, task.tests, {
          entryPoint: task.entryPoint,
          floorMs: policy.floorMs,
          factor: 4,
        }),
        calibratePlus(task),
      ]);
      return { testTimeoutMs: calibration.testTimeoutMs, programTimeoutMs: calibration.programTimeoutMs, ...plus };
    } catch {
      return fallback(task); // a reference that does not pass here
    }
  };
  return (task) => {
    let limits = known.get(task.id);
    if (!limits) {
      limits = calibrate(task);
      known.set(task.id, limits);
    }
    return limits;
  };
}
