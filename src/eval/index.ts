export { type Comparison, compareRuns } from './compare.js';
export { exportSamples, importSamples } from './interop.js';
export { type ProxyOptions, proxyPrompt, runProxy } from './proxy.js';
export {
  type Judged,
  type PromptRecord,
  PromptRecordSchema,
  type ResultRecord,
  ResultRecordSchema,
  readRecords,
  type SampleRecord,
  SampleRecordSchema,
  type TurnRecord,
  TurnRecordSchema,
} from './records.js';
export {
  type EvalConfig,
  type EvalConfigInput,
  EvalConfigSchema,
  type EvalDeps,
  type EvalProgress,
  formatSummary,
  type Manifest,
  ManifestSchema,
  runEval,
  taskPromptInput,
  writeSummary,
} from './run.js';
export {
  describeRun,
  ImportManifestSchema,
  isRunFolder,
  ProxyManifestSchema,
  type RunDescription,
  type RunManifest,
  RunManifestSchema,
  readManifest,
} from './run-folder.js';
export { bootstrapInterval, mean, pairedBootstrap, passAtK } from './stats.js';
export {
  type FeedbackContext,
  isStrategyName,
  type RepairStrategy,
  STRATEGIES,
  STRATEGY_NAMES,
  type StrategyName,
} from './strategies/index.js';
export { countsByTask, type Summary, SummarySchema, sealingLine, sealingOf, summarize } from './summary.js';
