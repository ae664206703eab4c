export type { PythonInfo } from './interpreter.js';
export type { IsolationLayer } from './isolation.js';
export {
  type JudgeOptions,
  JudgeOptionsSchema,
  type ResourceLimits,
  ResourceLimitsSchema,
  type SandboxOptions,
  SandboxOptionsSchema,
  type TraceOptions,
  TraceOptionsSchema,
} from './options.js';
export {
  type Calibration,
  type CalibrationOptions,
  createSandbox,
  type Sandbox,
  type SandboxHost,
  type TraceResult,
} from './sandbox.js';
export {
  type ExceptionInfo,
  type TestStatus,
  type TestVerdict,
  type Verdict,
  VerdictSchema,
  type VerdictStatus,
} from './verdict.js';
