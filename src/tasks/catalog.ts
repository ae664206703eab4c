import { choiceNames, isChoice } from '../shared/index.js';
import type { Problem, RepairTask } from './schema.js';
import type { DataStore } from './store.js';

/** Reads a dataset's tasks; each loader is a file of its own in datasets/, imported when it is used. */
type Loader = (store: DataStore) => Promise<(Problem | RepairTask)[]>;

/**
 * The datasets nxt loads from upstream files, by the name `--dataset` takes: the one table of them
 * (built sets such as MBPP-R and synthetic ones are task files of their own). `kind`: whether its
 * tasks carry a buggy program (repair) or only a problem and its reference. `files`: the upstream
 * files it reads (files.ts). `load`: its loader, a file in datasets/ imported only when the dataset is
 * read (so `nxt --help`, which lists this table, loads no loader). A new dataset is one file in
 * datasets/ and one entry here (and a files.ts entry for an upstream file nxt does not know yet).
 */
export const DATASET_TABLE = {
  humanevalfix: {
    kind: 'repair',
    description: 'HumanEvalFix (HumanEvalPack, Python): 164 human-written bugs with bug types',
    files: ['humanevalpack'],
    load: async (store) => (await import('./datasets/humanevalfix.js')).loadHumanEvalFix(store, false),
  },
  'humanevalfix-plus': {
    kind: 'repair',
    description: 'HumanEvalFix judged also on EvalPlus HumanEval+ v0.1.10 tests',
    files: ['humanevalpack', 'humanevalPlus', 'humanevalPlusEvalplusFormat'],
    load: async (store) => (await import('./datasets/humanevalfix.js')).loadHumanEvalFix(store, true),
  },
  humaneval: {
    kind: 'problems',
    description: 'HumanEval: 164 problems with reference solutions',
    files: ['humaneval'],
    load: async (store) => (await import('./datasets/humaneval.js')).loadHumanEval(store, false),
  },
  'humaneval-plus': {
    kind: 'problems',
    description: 'HumanEval judged also on EvalPlus HumanEval+ v0.1.10 tests (EvalPlus prompts and references)',
    files: ['humaneval', 'humanevalPlus', 'humanevalPlusEvalplusFormat'],
    load: async (store) => (await import('./datasets/humaneval.js')).loadHumanEval(store, true),
  },
  mbpp: {
    kind: 'problems',
    description: 'MBPP: 974 problems, 3 tests each, splits prompt/test/validation/train',
    files: ['mbpp'],
    load: async (store) => (await import('./datasets/mbpp.js')).loadMbpp(store),
  },
  'mbpp-plus': {
    kind: 'problems',
    description: 'MBPP+ v0.2.0: 378 problems with EvalPlus tests',
    files: ['mbppPlus'],
    load: async (store) => (await import('./datasets/mbpp-plus.js')).loadMbppPlus(store),
  },
} as const satisfies Record<
  string,
  { kind: 'repair' | 'problems'; description: string; files: readonly string[]; load: Loader }
>;

export type DatasetName = keyof typeof DATASET_TABLE;
export const DATASET_NAMES = choiceNames(DATASET_TABLE);

export function isDatasetName(value: string): value is DatasetName {
  return isChoice(DATASET_TABLE, value);
}

/** The named datasets whose tasks are repairs (what `nxt eval` and self-training take by name). */
export const REPAIR_DATASET_NAMES = DATASET_NAMES.filter((name) => DATASET_TABLE[name].kind === 'repair');

export interface DatasetInfo {
  name: DatasetName;
  kind: 'repair' | 'problems';
  description: string;
  files: readonly string[];
}

/** The table as a list, for `nxt data list`. */
export const DATASETS: readonly DatasetInfo[] = DATASET_NAMES.map((name) => {
  const { kind, description, files } = DATASET_TABLE[name];
  return { name, kind, description, files };
});
