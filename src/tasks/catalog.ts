import { choiceNames, isChoice } from '../shared/index.js';

/**
 * The datasets nxt loads from upstream files, by the name `--dataset` takes: the one table of them
 * (built sets such as MBPP-R and synthetic ones are task files of their own). `kind`: whether its
 * tasks carry a buggy program (repair) or only a problem and its reference. `files`: the upstream
 * files it reads (store.ts). Loaders are in datasets.ts, one per name (the compiler checks).
 */
export const DATASET_TABLE = {
  humanevalfix: {
    kind: 'repair',
    description: 'HumanEvalFix (HumanEvalPack, Python): 164 human-written bugs with bug types',
    files: ['humanevalpack'],
  },
  'humanevalfix-plus': {
    kind: 'repair',
    description: 'HumanEvalFix judged also on EvalPlus HumanEval+ v0.1.10 tests',
    files: ['humanevalpack', 'humanevalPlus', 'humanevalPlusEvalplusFormat'],
  },
  humaneval: {
    kind: 'problems',
    description: 'HumanEval: 164 problems with reference solutions',
    files: ['humaneval'],
  },
  'humaneval-plus': {
    kind: 'problems',
    description: 'HumanEval judged also on EvalPlus HumanEval+ v0.1.10 tests (EvalPlus prompts and references)',
    files: ['humaneval', 'humanevalPlus', 'humanevalPlusEvalplusFormat'],
  },
  mbpp: {
    kind: 'problems',
    description: 'MBPP: 974 problems, 3 tests each, splits prompt/test/validation/train',
    files: ['mbpp'],
  },
  'mbpp-plus': { kind: 'problems', description: 'MBPP+ v0.2.0: 378 problems with EvalPlus tests', files: ['mbppPlus'] },
} as const satisfies Record<string, { kind: 'repair' | 'problems'; description: string; files: readonly string[] }>;

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
export const DATASETS: readonly DatasetInfo[] = DATASET_NAMES.map((name) => ({ name, ...DATASET_TABLE[name] }));
