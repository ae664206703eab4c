import type { Sandbox, Verdict } from '../sandbox/index.js';
import { PLUS_MEMORY_BYTES, plusTestOf, type RepairTask } from '../tasks/index.js';
import { type Judged, type ResultRecord, RUN_SCHEMA_VERSION } from './records.js';

export interface FixLimits {
  testTimeoutMs: number | number[];
  programTimeoutMs: number;
  plusTimeoutMs: number;
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
 * failure and re-checking a timeout once (a load spike must not fail a correct fix); then, only when
 * those pass, the EvalPlus tests. The fix passes when both do.
 */
export async function judgeFix(
  sandbox: Sandbox,
  task: RepairTask,
  program: string,
  limits: FixLimits,
): Promise<Pick<ResultRecord, 'base' | 'plus' | 'pass' | 'basePass'>> {
  // The entry point and the reference let tests that are more than one call run sealed (python/seal.py).
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
    plus = judged(
      await sandbox.judgeProgram(program, [plusTestOf(task.plusTests)], {
        ...sealing,
        testTimeoutMs: limits.plusTimeoutMs,
        programTimeoutMs: limits.plusTimeoutMs + 5000,
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
 * The one judging-limits policy of every run (eval, proxy, import): per-test limits calibrated on
 * the task's reference as EvalPlus does (max(floor, 4 × reference time)); the fixed limits where
 * there is no reference or it does not pass here. Calibrated once per task and sandbox.
 */
export function limitsPolicy(
  sandbox: Sandbox,
  policy: { testTimeoutMs: number; floorMs: number; plusTimeoutMs: number } = {
    testTimeoutMs: DEFAULT_FIX_LIMITS.testTimeoutMs as number,
    floorMs: 1000,
    plusTimeoutMs: DEFAULT_FIX_LIMITS.plusTimeoutMs,
  },
): (task: RepairTask) => Promise<FixLimits> {
  const known = new Map<string, Promise<FixLimits>>();
  const fallback = (task: RepairTask): FixLimits => ({
    testTimeoutMs: policy.testTimeoutMs,
    programTimeoutMs: policy.testTimeoutMs * Math.max(2, task.tests.length),
    plusTimeoutMs: policy.plusTimeoutMs,
  });
  const calibrate = async (task: RepairTask): Promise<FixLimits> => {
    if (!task.reference) return fallback(task);
    try {
      const calibration = await sandbox.calibrateTimeouts(task.reference, task.tests, {
        entryPoint: task.entryPoint,
        floorMs: policy.floorMs,
        factor: 4,
      });
      return {
        testTimeoutMs: calibration.testTimeoutMs,
        programTimeoutMs: calibration.programTimeoutMs,
        plusTimeoutMs: policy.plusTimeoutMs,
      };
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
