// The run folder (its files, records, manifests and summaries) is runs/'s: its names stay reachable here,
// where the library's users import them.
export {
  appendRecords,
  describeRun,
  ImportManifestSchema,
  isRunFolder,
  type Judged,
  openRunFile,
  type PromptRecord,
  PromptRecordSchema,
  ProxyManifestSchema,
  type Rating,
  type RatingInput,
  RatingRecordSchema,
  RatingSchema,
  type ResultRecord,
  ResultRecordSchema,
  type RunDescription,
  type RunManifest,
  RunManifestSchema,
  readManifest,
  readRecords,
  readRunFile,
  readRunJson,
  type SampleRecord,
  SampleRecordSchema,
  type Shard,
  type Summary,
  SummarySchema,
  type TurnRecord,
  TurnRecordSchema,
  writeJsonAtomic,
} from '../runs/index.js';
export { type BatchRoundsOptions, inBatchRounds } from './batch-rounds.js';
export { type Comparison, compareRuns } from './compare.js';
export {
  type AnswerSource,
  type Conversation,
  type ConversationOptions,
  type EngineOptions,
  type EngineProgress,
  isFinalFailure,
  type Opening,
  runEngine,
} from './engine.js';
export { EXEC_CACHE_VERSION, FixJudge, type JudgedFix, traceKey, VerdictCache } from './exec-cache.js';
export { exportSamples, type ImportOptions, importSamples, sampleLines, taskResolver } from './interop.js';
export {
  DEFAULT_LIMITS_RULE,
  type FixLimits,
  judgeFix,
  type LimitsRule,
  limitsPolicy,
} from './judge-fix.js';
export { type ProxyOptions, proxyPrompt, runProxy, teacherManifest } from './proxy.js';
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
export { mergeShards, shardTasks } from './shard.js';
export { bootstrapInterval, mean, pairedBootstrap, passAtK } from './stats.js';
export {
  type FeedbackContext,
  isStrategyName,
  type RepairStrategy,
  STRATEGIES,
  STRATEGY_NAMES,
  type StrategyName,
} from './strategies/index.js';
export { countsByTask, sealingLine, sealingOf, summarize } from './summary.js';
