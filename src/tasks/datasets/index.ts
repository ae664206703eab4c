import { NxtError } from '../../shared/index.js';
import { DATASET_NAMES, DATASET_TABLE, isDatasetName } from '../catalog.js';
import type { Problem, RepairTask } from '../schema.js';
import type { DataStore } from '../store.js';

export { mbppSplit } from './common.js';

/** Loads a named dataset. Throws `NxtError('data')` for an unknown name, a missing file or a bad record. */
export async function loadDataset(name: string, store: DataStore): Promise<(Problem | RepairTask)[]> {
  if (!isDatasetName(name)) {
    throw new NxtError(
      'data',
      `unknown dataset '${name}': known are ${DATASET_NAMES.join(', ')}, or a .jsonl file of tasks`,
    );
  }
  return DATASET_TABLE[name].load(store);
}

export function isRepairTask(task: Problem | RepairTask): task is RepairTask {
  return 'buggyProgram' in task;
}
