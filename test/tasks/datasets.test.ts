import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkDataset } from '../../src/datagen/index.js';
import { createSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { DataStore, isRepairTask, loadDataset, type RepairTask } from '../../src/tasks/index.js';
import { sharedDataDir } from '../support/shared-data.js';

const store = new DataStore({ dataDir: sharedDataDir, cacheDir: '/nonexistent', fetch: null });
let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await createSandbox();
});
afterAll(async () => {
  await sandbox.close();
});

function countBy<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}

describe('HumanEvalFix', () => {
  it('has 164 repair tasks with their bug types, split into individual asserts', async () => {
    const tasks = (await loadDataset('humanevalfix', store)) as RepairTask[];
    expect(tasks).toHaveLength(164);
    expect(countBy(tasks, (task) => task.bugLabel?.value ?? '')).toEqual({
      'value misuse': 44,
      'missing logic': 33,
      'excess logic': 31,
      'operator misuse': 25,
      'variable misuse': 23,
      'function misuse': 8,
    });
    expect(
      tasks.every((task) => task.tests.length >= 1 && task.tests.every((test) => !test.includes('candidate'))),
    ).toBe(true);
    expect(tasks[0]?.tests[0]).toBe('assert has_close_elements([1.0, 2.0, 3.9, 4.0, 5.0, 2.2], 0.3) == True');
    expect(tasks.reduce((sum, task) => sum + task.tests.length, 0)).toBe(1141);
  });

  it('passes every reference and fails every buggy program, three of them by timeout', async () => {
    const report = await checkDataset(await loadDataset('humanevalfix', store), sandbox);
    expect(report.reference.counts).toEqual({ pass: 164, fail: 0, error: 0, timeout: 0 });
    expect(report.buggy?.counts).toEqual({ pass: 0, fail: 161, error: 0, timeout: 3 });
    // As PROVENANCE.md records; each buggy program stops at its first failing test.
    expect(report.buggy?.notable.map((item) => item.id)).toEqual(['Python/10', 'Python/156', 'Python/160']);
  }, 120_000);
});

describe('HumanEval+', () => {
  it("is HumanEval with EvalPlus's tests, prompts and references; its references pass both", async () => {
    const problems = await loadDataset('humaneval-plus', store);
    expect(problems).toHaveLength(164);
    expect(problems.some(isRepairTask)).toBe(false);
    expect(problems.reduce((sum, task) => sum + (task.plusTests?.inputs ?? 0), 0)).toBe(123_981);
    expect(problems.every((task) => task.prompt && task.reference?.startsWith(task.prompt))).toBe(true);
    const plain = await loadDataset('humaneval', store);
    expect(plain.map((task) => task.tests)).toEqual(problems.map((task) => task.tests));
    const report = await checkDataset(problems.slice(0, 4), sandbox);
    expect(report.reference.counts.pass).toBe(4);
    expect(report.referencePlus?.counts.pass).toBe(4);
  }, 120_000);
});

describe('HumanEvalFix-Plus', () => {
  it('adds EvalPlus HumanEval+ tests to every task', async () => {
    const tasks = await loadDataset('humanevalfix-plus', store);
    expect(tasks).toHaveLength(164);
    expect(tasks.every((task) => task.plusTests !== null && task.plusTests.inputs >= 2)).toBe(true);
    expect(tasks.reduce((sum, task) => sum + (task.plusTests?.inputs ?? 0), 0)).toBe(123_981);
    expect(tasks.find((task) => task.id === 'Python/32')?.plusTests?.test).toContain(
      'abs(_poly(*inp, candidate(*inp)))',
    );
  });

  it('judges a reference and a buggy program on the EvalPlus tests', async () => {
    const tasks = (await loadDataset('humanevalfix-plus', store)) as RepairTask[];
    const picked = tasks.filter((task) => ['Python/0', 'Python/32', 'Python/2'].includes(task.id));
    const report = await checkDataset(picked, sandbox);
    expect(report.referencePlus?.counts.pass).toBe(3);
    expect(report.buggyPlus?.counts.pass).toBe(0);
  }, 120_000);
});

describe('MBPP and MBPP+', () => {
  it('has 974 MBPP problems with 3 tests each, in the standard splits', async () => {
    const problems = await loadDataset('mbpp', store);
    expect(problems).toHaveLength(974);
    expect(problems.every((problem) => problem.tests.length === 3 && problem.promptTests.length === 3)).toBe(true);
    expect(countBy(problems, (problem) => problem.split ?? '')).toEqual({
      prompt: 10,
      test: 500,
      validation: 90,
      train: 374,
    });
    expect(problems.some(isRepairTask)).toBe(false);
    const report = await checkDataset(problems, sandbox);
    expect(report.reference.counts.pass, JSON.stringify(report.reference.unexpected)).toBe(974);
  }, 120_000);

  it('has 378 MBPP+ problems with EvalPlus tests', async () => {
    const problems = await loadDataset('mbpp-plus', store);
    expect(problems).toHaveLength(378);
    expect(problems[0]).toMatchObject({ id: 'Mbpp/2', entryPoint: 'similar_elements', split: 'prompt' });
    expect(problems.every((problem) => (problem.plusTests?.inputs ?? 0) > 0)).toBe(true);
  });
});

describe("EvalPlus's tolerances", () => {
  /** Each task's `atol` as EvalPlus's own files state it (the files evalplus.evaluate reads). */
  function statedAtol(file: string): Map<string, number> {
    const text = gunzipSync(readFileSync(join(sharedDataDir, 'evalplus', file))).toString('utf8');
    const records = text
      .split('\n')
      .filter((line) => line.trim())
      // Python wrote them: bare NaN and infinities, read here as null (inside a string the text stays valid JSON).
      .map((line) => JSON.parse(line.replace(/-?Infinity|NaN/g, 'null')) as { task_id: string; atol: number });
    return new Map(records.map((record) => [record.task_id, record.atol]));
  }

  it('every HumanEval+ and MBPP+ task has the atol its EvalPlus file states (HumanEval/32: 1e-4)', async () => {
    const humanEval = statedAtol('HumanEvalPlus-v0.1.10.jsonl.gz');
    const mbpp = statedAtol('MbppPlus-v0.2.0.jsonl.gz');
    expect(humanEval.get('HumanEval/32')).toBe(1e-4);
    for (const [name, stated] of [
      ['humaneval-plus', humanEval],
      ['humanevalfix-plus', humanEval],
      ['mbpp-plus', mbpp],
    ] as const) {
      const tasks = await loadDataset(name, store);
      const ours = new Map(tasks.map((task) => [task.id.replace(/^Python\//, 'HumanEval/'), task.plusTests?.atol]));
      expect(ours, name).toEqual(stated);
    }
  });
});
