import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { DataStore, loadDataset, type Problem } from '../../src/tasks/index.js';
import { testDataDir } from './data-location.js';

/** The dataset folder tests and benchmarks read, found by the rule in data-location.ts. */
export const sharedDataDir = testDataDir;

/** A program with its tests, as the sandbox judges it. */
export interface ProgramCase {
  id: string;
  program: string;
  tests: string[];
  /** What the shared data's provenance notes say the verdict must be. */
  expected: 'pass' | 'fail';
}

function readJsonl(path: string): Record<string, string>[] {
  if (!existsSync(path)) {
    throw new Error(
      `dataset file ${path} is missing: tests read ../shared/data next to the checkout, or set NXT_DATA_DIR`,
    );
  }
  const raw = readFileSync(path);
  const text = path.endsWith('.gz') ? gunzipSync(raw).toString('utf8') : raw.toString('utf8');
  // Split on \n only: some upstream strings contain U+2028, which other splitters treat as a line break.
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, string>);
}

/** HumanEval canonical solutions: prompt + solution, judged by `check(entry_point)`. All must pass. */
export function humanEvalCanonical(): ProgramCase[] {
  return readJsonl(join(sharedDataDir, 'humaneval', 'HumanEval.jsonl.gz')).map((task) => ({
    id: task['task_id'] as string,
    program: `${task['prompt']}${task['canonical_solution']}\n\n${task['test']}\n`,
    tests: [`check(${task['entry_point']})`],
    expected: 'pass',
  }));
}

/** HumanEvalFix buggy solutions: prompt + buggy solution, judged by the test (which ends with check). All must fail. */
export function humanEvalFixBuggy(): ProgramCase[] {
  return readJsonl(join(sharedDataDir, 'humanevalpack', 'humanevalpack_python.jsonl')).map((task) => ({
    id: task['task_id'] as string,
    program: `${task['prompt']}${task['buggy_solution']}\n`,
    tests: [task['test'] as string],
    expected: 'fail',
  }));
}

/** A dataset loaded the way users load it, from the shared data folder (tasks, not raw records). */
export async function loadSharedTasks(name: string): Promise<Problem[]> {
  const store = new DataStore({ dataDir: sharedDataDir, cacheDir: join(tmpdir(), `nxt-test-cache-${process.pid}`) });
  return loadDataset(name, store);
}
