export { splitCheckTests, splitTopLevel } from './check-split.js';
export { DATASETS, type DatasetInfo, isRepairTask, loadDataset, mbppSplit } from './datasets.js';
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
