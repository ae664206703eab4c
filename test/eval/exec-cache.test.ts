/**
 * The execution cache: a program identical to one judged before (same syntax tree, same tests, same
 * limits rule, same judge) takes that verdict instead of being judged again, within a run and across runs.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type EngineProgress,
  importSamples,
  ResultRecordSchema,
  readRecords,
  taskPromptInput,
  VerdictCache,
} from '../../src/eval/index.js';
import { createSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { isRepairTask, type Problem } from '../../src/tasks/index.js';
import { loadSharedTasks } from '../support/shared-data.js';

const dir = mkdtempSync(join(tmpdir(), 'nxt-exec-cache-'));
let sandbox: Sandbox;
let task: Problem;

beforeAll(async () => {
  sandbox = await createSandbox();
  task = (await loadSharedTasks('humaneval')).find((item) => item.id === 'HumanEval/0') as Problem;
});
afterAll(async () => {
  await sandbox?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Five different programs for has_close_elements: the reference and four wrong ones. */
function programs(): string[] {
  const head = 'def has_close_elements(numbers, threshold):\n';
  return [
    task.reference as string,
    `${head}    return True\n`,
    `${head}    return False\n`,
    `${head}    return any(abs(a - b) <= threshold for a in numbers for b in numbers)\n`,
    `${head}    return len(numbers) > 3\n`,
  ];
}

/** The same program five ways: as written, with comments, blank lines, other spacing and quotes. */
function spellings(program: string): string[] {
  return [
    program,
    `# a model's preamble\n${program}# trailing comment\n`,
    `\n\n${program.replace(/:\n/, ':\n\n')}`,
    program.replace(/\(numbers, threshold\)/, '( numbers ,threshold )').replace(/ - /g, '-'),
    `${program}\n\n\n`,
  ];
}

async function run(name: string, file: string, cache: VerdictCache | null) {
  let last: EngineProgress | null = null;
  const summary = await importSamples(file, join(dir, name), [task], sandbox, {
    k: [1, 5, 10],
    ...(cache ? { execCache: cache } : {}),
    onProgress: (progress) => {
      last = { ...progress };
    },
  });
  return { summary, progress: last as EngineProgress | null };
}

describe('the execution cache', () => {
  it('judges 25 samples that are 5 programs 5 times, gives the same pass@k, and a second run judges nothing', async () => {
    const samples = programs().flatMap((program) => spellings(program));
    expect(samples).toHaveLength(25);
    expect(new Set(samples).size).toBe(25); // every sample's text differs
    const file = join(dir, 'samples.jsonl');
    writeFileSync(file, samples.map((solution) => JSON.stringify({ task_id: task.id, solution })).join('\n'));

    const all = await run('every-program', file, null);
    expect(all.progress).toMatchObject({ judged: 25, reused: 0 });

    const cache = VerdictCache.open(join(dir, 'exec.sqlite'));
    try {
      const once = await run('cached', file, cache);
      expect(once.progress).toMatchObject({ judged: 5, reused: 20 });
      const results = await readRecords(join(dir, 'cached', 'results.jsonl'), ResultRecordSchema);
      expect(results.filter((result) => result.reused)).toHaveLength(20);
      expect(once.summary['pass@k']).toEqual(all.summary['pass@k']);
      expect(once.summary.outcomes).toEqual(all.summary.outcomes);
      expect(cache.size()).toBe(5);

      const again = await run('cached-again', file, cache);
      expect(again.progress).toMatchObject({ judged: 0, reused: 25 });
      expect(again.summary['pass@k']).toEqual(all.summary['pass@k']);
    } finally {
      cache.close();
    }
  }, 120_000);

  it('does not answer a program on other tests, or a different program, from the cache', async () => {
    const cache = VerdictCache.open(':memory:');
    const file = join(dir, 'one.jsonl');
    writeFileSync(file, JSON.stringify({ task_id: task.id, solution: task.reference }));
    try {
      await run('one', file, cache);
      // The same program against a task whose tests differ is judged again.
      const stricter = { ...task, tests: [...task.tests, 'assert has_close_elements([1.0, 1.05], 0.01) == False'] };
      let last: EngineProgress | null = null;
      await importSamples(file, join(dir, 'stricter'), [stricter], sandbox, {
        execCache: cache,
        onProgress: (progress) => {
          last = { ...progress };
        },
      });
      expect(last).toMatchObject({ judged: 1, reused: 0 });
      const wrong = join(dir, 'wrong.jsonl');
      writeFileSync(wrong, JSON.stringify({ task_id: task.id, solution: programs()[1] }));
      const other = await run('other', wrong, cache);
      expect(other.progress).toMatchObject({ judged: 1, reused: 0 });
      expect(other.summary['pass@k'].values['pass@1']).toBe(0);
    } finally {
      cache.close();
    }
  }, 60_000);

  it("keeps a buggy program's trace: the prompt of the next run renders it without tracing again", async () => {
    const repair = (await loadSharedTasks('humanevalfix')).find((item) => item.id === 'Python/0');
    if (!repair || !isRepairTask(repair)) throw new Error('Python/0 is missing');
    let traced = 0;
    const counting = new Proxy(sandbox, {
      get: (target, property, receiver) =>
        property === 'traceProgram'
          ? (...args: Parameters<Sandbox['traceProgram']>) => {
              traced += 1;
              return target.traceProgram(...args);
            }
          : Reflect.get(target, property, receiver),
    });
    const cache = VerdictCache.open(':memory:');
    const config = { trace: 'inline' as const, traceBudgetTokens: 2048 };
    const deps = { sandbox: counting, countTokens: (text: string) => text.length, execCache: cache };
    try {
      const first = await taskPromptInput(repair, config, deps);
      const second = await taskPromptInput(repair, config, deps);
      const scratchpad = await taskPromptInput(repair, { ...config, trace: 'scratchpad' }, deps);
      expect(traced).toBe(1);
      expect(first.trace).toContain('# (');
      expect(second).toEqual(first);
      expect(scratchpad.trace).not.toEqual(first.trace);
      await taskPromptInput(repair, config, { ...deps, execCache: null });
      expect(traced).toBe(2);
    } finally {
      cache.close();
    }
  }, 60_000);
});
