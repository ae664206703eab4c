/**
 * Code-generation samples judged like human-eval and EvalPlus judge them: HumanEval, HumanEval+, MBPP
 * and MBPP+, samples as EvalPlus's `{task_id, solution}` or human-eval's `{task_id, completion}`, task
 * ids as each tool spells them; re-importing resumes; uneven n reports only the k every task allows.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importSamples, ResultRecordSchema, readRecords } from '../../src/eval/index.js';
import { createSandbox, type Sandbox } from '../../src/sandbox/index.js';
import type { Problem } from '../../src/tasks/index.js';
import { loadSharedTasks, sharedDataDir } from '../support/shared-data.js';

const dir = mkdtempSync(join(tmpdir(), 'nxt-generation-import-'));
let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await createSandbox();
});
afterAll(async () => {
  await sandbox?.close();
  rmSync(dir, { recursive: true, force: true });
});

const jsonl = (lines: readonly object[]) => `${lines.map((line) => JSON.stringify(line)).join('\n')}\n`;

/** A program that defines the entry point and returns a wrong constant. */
const wrong = (task: Problem) => `def ${task.entryPoint}(*args, **kwargs):\n    return -12345\n`;

async function judge(name: string, file: string, tasks: readonly Problem[], k = [1]) {
  const out = join(dir, name);
  const summary = await importSamples(file, out, tasks, sandbox, { k });
  // Results are written as samples finish; read them in task and sample order.
  const results = (await readRecords(join(out, 'results.jsonl'), ResultRecordSchema)).sort(
    (a, b) => a.taskId.localeCompare(b.taskId, 'en', { numeric: true }) || a.index - b.index,
  );
  return { out, summary, results };
}

describe('importing code-generation samples', () => {
  it('HumanEval: completions (human-eval) and solutions (EvalPlus), ids in either spelling', async () => {
    const tasks = (await loadSharedTasks('humaneval')).slice(0, 3);
    expect(tasks.every((task) => task.prompt && task.reference?.startsWith(task.prompt))).toBe(true);
    const file = join(dir, 'humaneval.jsonl');
    writeFileSync(
      file,
      jsonl([
        // human-eval: the completion continues the prompt.
        ...tasks.map((task) => ({
          task_id: task.id,
          completion: task.reference?.slice(task.prompt?.length ?? 0),
          completion_id: 0,
        })),
        // EvalPlus: whole programs; HumanEvalFix's spelling of the same problem.
        ...tasks.map((task) => ({ task_id: task.id.replace('HumanEval/', 'Python/'), solution: wrong(task) })),
      ]),
    );
    const { summary, results } = await judge('humaneval', file, tasks, [1, 2]);
    expect(results).toHaveLength(6);
    expect(results.filter((result) => result.pass).map((result) => `${result.taskId}#${result.index}`)).toEqual(
      tasks.map((task) => `${task.id}#0`),
    );
    expect(summary).toMatchObject({ kind: 'generation', tasks: 3, byLabel: {}, base: null });
    expect(summary['pass@k'].values).toEqual({ 'pass@1': 0.5, 'pass@2': 1 });
  });

  it('HumanEval+: a solution that passes the base tests and fails the EvalPlus tests does not pass', async () => {
    const tasks = (await loadSharedTasks('humaneval-plus')).slice(0, 2);
    expect(tasks.every((task) => task.plusTests !== null)).toBe(true);
    const file = join(dir, 'humaneval-plus.jsonl');
    // HumanEval/0 (has_close_elements): right on HumanEval's asserts (lists of at most 6), wrong on
    // the longer lists EvalPlus tries.
    const narrow =
      'def has_close_elements(numbers, threshold):\n' +
      '    if len(numbers) > 6:\n        return False\n' +
      '    return any(abs(a - b) < threshold for i, a in enumerate(numbers) for b in numbers[i + 1:])\n';
    writeFileSync(
      file,
      jsonl([
        ...tasks.map((task) => ({ task_id: task.id, solution: task.reference })),
        { task_id: 'HumanEval/0', solution: narrow },
      ]),
    );
    const { summary, results } = await judge('humaneval-plus', file, tasks);
    const byKey = new Map(results.map((result) => [`${result.taskId}#${result.index}`, result]));
    expect(byKey.get('HumanEval/0#0')?.pass).toBe(true);
    expect(byKey.get('HumanEval/1#0')?.pass).toBe(true);
    expect(byKey.get('HumanEval/0#1')).toMatchObject({ basePass: true, pass: false });
    expect(summary.base).not.toBeNull();
  });

  it('MBPP and MBPP+: whole programs under either spelling; a completion without a prompt is refused', async () => {
    const mbpp = (await loadSharedTasks('mbpp')).slice(10, 12);
    const plus = (await loadSharedTasks('mbpp-plus')).slice(0, 2);
    const mbppFile = join(dir, 'mbpp.jsonl');
    writeFileSync(
      mbppFile,
      jsonl(
        mbpp.map((task, index) => ({
          // EvalPlus spells MBPP ids Mbpp/N; the original dataset's are MBPP/N; some tools write the number.
          task_id: index === 0 ? task.id.replace('MBPP/', 'Mbpp/') : Number(task.id.split('/')[1]),
          solution: task.reference,
        })),
      ),
    );
    const judged = await judge('mbpp', mbppFile, mbpp);
    expect(judged.results.map((result) => [result.taskId, result.pass])).toEqual(mbpp.map((task) => [task.id, true]));
    const refused = join(dir, 'mbpp-completion.jsonl');
    writeFileSync(refused, jsonl([{ task_id: mbpp[0]?.id, completion: 'return 1' }]));
    await expect(importSamples(refused, join(dir, 'mbpp-refused'), mbpp, sandbox)).rejects.toThrow(
      /mbpp-completion\.jsonl:1: mbpp has no prompt a completion continues/,
    );

    const plusFile = join(dir, 'mbpp-plus.jsonl');
    // A human-eval-style completion of EvalPlus's MBPP+ prompt (a docstring) is the whole program.
    writeFileSync(
      plusFile,
      jsonl(plus.map((task) => ({ task_id: task.id.replace('Mbpp/', 'MBPP/'), completion: task.reference }))),
    );
    const plusJudged = await judge('mbpp-plus', plusFile, plus);
    expect(plusJudged.results.map((result) => result.pass)).toEqual([true, true]);
    expect(plusJudged.results.every((result) => result.program?.startsWith('"""\n'))).toBe(true);
  });

  it("MBPP+ prompts are EvalPlus's own, for all 378 problems", async () => {
    const tasks = await loadSharedTasks('mbpp-plus');
    const theirs = new Map(
      gunzipSync(readFileSync(join(sharedDataDir, 'evalplus/MbppPlus-v0.2.0.jsonl.gz')))
        .toString('utf8')
        .split('\n')
        .filter((line) => line.trim())
        // EvalPlus writes Python's bare -Infinity and NaN into its JSON.
        .map((line) => line.replace(/(?<=[[:,]\s*)-?(?:Infinity|NaN)(?=\s*[,\]}])/g, 'null'))
        .map((line) => JSON.parse(line) as { task_id: string; prompt: string })
        .map((record) => [record.task_id, record.prompt]),
    );
    expect(tasks).toHaveLength(378);
    expect(tasks.filter((task) => task.prompt !== theirs.get(task.id)).map((task) => task.id)).toEqual([]);
  });

  it('re-importing the same file resumes (no duplicates); uneven n reports only the k every task has', async () => {
    const tasks = (await loadSharedTasks('humaneval')).slice(0, 2);
    const [first, second] = tasks as [Problem, Problem];
    const file = join(dir, 'uneven.jsonl');
    // Three samples of the first task, one of the second.
    writeFileSync(
      file,
      jsonl([
        { task_id: first.id, solution: first.reference },
        { task_id: first.id, solution: wrong(first) },
        { task_id: first.id, solution: first.reference },
        { task_id: second.id, solution: second.reference },
      ]),
    );
    const once = await judge('uneven', file, tasks, [1, 2, 3]);
    const twice = await judge('uneven', file, tasks, [1, 2, 3]);
    expect(twice.results).toHaveLength(4);
    expect(twice.summary).toEqual(once.summary);
    expect(once.summary['pass@k'].values).toEqual({ 'pass@1': (2 / 3 + 1) / 2 });
    expect(once.summary['pass@k'].omitted).toEqual({
      'pass@2': { tasksBelow: 1, minSamples: 1 },
      'pass@3': { tasksBelow: 1, minSamples: 1 },
    });
  });

  it('records the judging interpreter, and refuses to resume a folder judged under another Python', async () => {
    const tasks = (await loadSharedTasks('humaneval')).slice(0, 1);
    const [task] = tasks as [Problem];
    const file = join(dir, 'one.jsonl');
    writeFileSync(file, jsonl([{ task_id: task.id, solution: task.reference }]));
    const { out } = await judge('interpreter', file, tasks);
    const manifestPath = join(out, 'manifest.json');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    expect(manifest.pythonExecutable).toBe(sandbox.python.executable);
    expect(manifest.python).toBe(sandbox.pythonVersion);
    // As if the folder had been judged on a machine with another interpreter.
    writeFileSync(
      manifestPath,
      JSON.stringify({ ...manifest, python: '3.9.1 (default)', pythonExecutable: '/opt/py39/bin/python3' }),
    );
    await expect(judge('interpreter', file, tasks)).rejects.toThrow(
      `was judged with Python 3.9.1 (/opt/py39/bin/python3), but this command would judge with Python ${sandbox.pythonVersion.split(' ')[0]} (${sandbox.python.executable}); resume it with --python /opt/py39/bin/python3 or choose another --out`,
    );
  });
});
