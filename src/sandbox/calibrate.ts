import { NxtError } from '../shared/index.js';
import type { CaseBatch, JudgeOptions, JudgeTest } from './options.js';
import type { Verdict } from './verdict.js';

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

/** How a calibration judges the reference: the sandbox's `judgeProgram`. */
export type JudgeFunction = (program: string, tests: readonly JudgeTest[], options: JudgeOptions) => Promise<Verdict>;

/** `Sandbox.calibrateTimeouts`: per-test limits max(floor, factor × the reference's time). */
export async function calibrateTimeouts(
  judge: JudgeFunction,
  reference: string,
  tests: readonly JudgeTest[],
  calibration: CalibrationOptions = {},
): Promise<Calibration> {
  const floorMs = calibration.floorMs ?? 1000;
  const factor = calibration.factor ?? 4;
  const referenceTimeoutMs = calibration.referenceTimeoutMs ?? 60_000;
  const verdict = await judge(reference, tests, {
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
}

/** `Sandbox.calibrateCases`: per-input limits of a case batch by EvalPlus's rule. */
export async function calibrateCases(
  judge: JudgeFunction,
  reference: string,
  batch: CaseBatch,
  calibration: CalibrationOptions = {},
): Promise<CaseCalibration> {
  const floorMs = calibration.floorMs ?? 4000;
  const factor = calibration.factor ?? 4;
  const referenceTimeoutMs = calibration.referenceTimeoutMs ?? 120_000;
  const verdict = await judge(reference, [batch], {
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
}
