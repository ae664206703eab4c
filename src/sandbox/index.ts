export type { Calibration, CalibrationOptions, CaseCalibration } from './calibrate.js';
export type { EntryPointInference } from './entry-points.js';
export type { PythonInfo } from './interpreter.js';
export { BUSY_CPU_SHARE, mayHaveBeenStarved } from './judge-request.js';
export type { IsolationLayer } from './layers.js';
export {
  CASE_ORACLES,
  type CaseBatch,
  CaseBatchSchema,
  type CaseOracle,
  type JudgeOptions,
  JudgeOptionsSchema,
  type JudgeTest,
  type ResourceLimits,
  ResourceLimitsSchema,
  type SandboxOptions,
  SandboxOptionsSchema,
  type TraceOptions,
  TraceOptionsSchema,
} from './options.js';
export { createSandbox, type Sandbox, type TestPlan } from './sandbox.js';
export type { SandboxHost } from './startup.js';
export { chooseTestToTrace } from './trace-choice.js';
export type { TraceResult } from './trace-run.js';
export {
  type CaseCount,
  type ExceptionInfo,
  notRunReasons,
  type TestStatus,
  type TestVerdict,
  VERDICT_SCHEMA_VERSION,
  type Verdict,
  VerdictSchema,
  type VerdictStatus,
} from './verdict.js';
