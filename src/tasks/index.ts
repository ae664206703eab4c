export {
  DATASET_NAMES,
  DATASET_TABLE,
  DATASETS,
  type DatasetInfo,
  type DatasetName,
  isDatasetName,
  REPAIR_DATASET_NAMES,
} from './catalog.js';
export { splitCheckTests, splitTopLevel } from './check-split.js';
export { isRepairTask, loadDataset, mbppSplit } from './datasets/index.js';
export { DATA_FILES, type DataFile, type DataFileName } from './files.js';
export {
  countListItems,
  listLiteral,
  PLUS_MEMORY_BYTES,
  plusCases,
  plusOracle,
  plusTestOf,
  toPlusTest,
} from './plus.js';
export {
  type BugLabel,
  BugLabelSchema,
  type MbppSplit,
  type PlusCases,
  PlusCasesSchema,
  type PlusTests,
  PlusTestsSchema,
  type Problem,
  ProblemSchema,
  type RepairTask,
  RepairTaskSchema,
  TASK_SCHEMA_VERSION,
} from './schema.js';
export { DataStore, type DataStoreOptions, type LoadedFile, type ProgressCallback } from './store.js';
export { readTaskFile, writeTaskFile } from './task-file.js';
