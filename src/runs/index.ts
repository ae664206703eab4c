export { devRunDir, REPORT_FILE, RUN_FILES, type RunFileName, runFile, selftrainLayout } from './files.js';
export {
  differingFields,
  isRunFolder,
  openRunFolder,
  readManifest,
  readPrompts,
  readResults,
  readRunManifest,
  readRunSummary,
  readSamples,
  writeRunSummary,
} from './folder.js';
export { appendRecords, openRunFile, readRecords, readRunFile, readRunJson, writeJsonAtomic } from './io.js';
export {
  checkSamePython,
  describeRun,
  type EvalManifest,
  EvalManifestSchema,
  ImportManifestSchema,
  manifestBasics,
  ProxyManifestSchema,
  type RunConfig,
  type RunConfigInput,
  RunConfigSchema,
  type RunDescription,
  type RunManifest,
  RunManifestSchema,
} from './manifest.js';
export {
  appendRating,
  type Rating,
  type RatingInput,
  RatingRecordSchema,
  RatingSchema,
  readRatings,
} from './ratings.js';
export {
  type Judged,
  JudgedSchema,
  type Mode,
  ModeSchema,
  type PromptRecord,
  PromptRecordSchema,
  type ResultRecord,
  ResultRecordSchema,
  RUN_SCHEMA_VERSION,
  type SampleRecord,
  SampleRecordSchema,
  type Shard,
  ShardFields,
  ShardSchema,
  type TurnRecord,
  TurnRecordSchema,
} from './records.js';
export { type IndexEntry, RunIndex } from './result-index.js';
export {
  promptKey,
  RecordLog,
  type RunLogs,
  resultKey,
  resumePromptLog,
  resumeRunLogs,
  sampleKey,
} from './resume.js';
export {
  type IterationState,
  IterationStateSchema,
  readSelftrainState,
  readSelftrainSummary,
  type SelftrainState,
  SelftrainStateSchema,
  type SelftrainSummary,
  SelftrainSummarySchema,
  writeSelftrainState,
  writeSelftrainSummary,
} from './selftrain.js';
export { type MergedShards, mergeShardFolders } from './shards.js';
export { type Metrics, type Summary, SummarySchema } from './summary-schema.js';
