/**
 * nxt as a library: what a researcher scripts. Load a dataset, judge and trace programs in the
 * sandbox, render traces for a model, run an evaluation with a repair strategy, read a run folder.
 * Each domain's whole API is also reachable by its own entry: `nxt/sandbox`, `nxt/trace`,
 * `nxt/tasks`, `nxt/llm`, `nxt/eval`.
 */
export {
  compareRuns,
  describeRun,
  type EvalConfigInput,
  type EvalDeps,
  formatSummary,
  importSamples,
  isRunFolder,
  mergeShards,
  type ResultRecord,
  ResultRecordSchema,
  readManifest,
  readRecords,
  runEval,
  runProxy,
  STRATEGIES,
  type StrategyName,
  type Summary,
  SummarySchema,
  VerdictCache,
} from './eval/index.js';
export { createLlmClient, type LlmClient, type ModelSpec, ModelSpecSchema, SampleCache } from './llm/index.js';
export {
  type CaseBatch,
  createSandbox,
  type JudgeOptions,
  type JudgeTest,
  type Sandbox,
  type SandboxOptions,
  type TraceResult,
  type Verdict,
} from './sandbox/index.js';
export {
  DATASET_NAMES,
  DataStore,
  isRepairTask,
  loadDataset,
  type Problem,
  type RepairTask,
  readTaskFile,
  writeTaskFile,
} from './tasks/index.js';
export {
  createTokenCounter,
  fitTrace,
  renderTrace,
  TRACE_FORMATS,
  type Trace,
  type TraceFormat,
} from './trace/index.js';
