/**
 * The execution cache: a program identical to one judged before (the same text, same tests, same
 * limits rule, same judge) takes that verdict instead of being judged again, within a run and across runs.
 * Only the same text: a program can read its own line numbers, columns and source, so the same syntax
 * tree laid out differently may behave differently.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_LIMITS_RULE,
  type EngineProgress,
  FixJudge,
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

/** The same syntax tree five ways: as written, with comments, blank lines, other spacing, more blank lines. */
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
  it('judges 25 samples that are 15 texts once each, gives the same pass@k, and a second run judges nothing', async () => {
    // Each of the 5 programs: its text 3 times, and 2 other layouts of the same syntax tree.
    const samples = programs().flatMap((program) => {
      const [text, ...others] = spellings(program);
      return [text, text, text, ...others.slice(0, 2)] as string[];
    });
    expect(samples).toHaveLength(25);
    expect(new Set(samples).size).toBe(15);
    const file = join(dir, 'samples.jsonl');
    writeFileSync(file, samples.map((solution) => JSON.stringify({ task_id: task.id, solution })).join('\n'));

    const all = await run('every-program', file, null);
    expect(all.progress).toMatchObject({ judged: 25, reused: 0 });

    const cache = VerdictCache.open(join(dir, 'exec.sqlite'));
    try {
      const once = await run('cached', file, cache);
      expect(once.progress).toMatchObject({ judged: 15, reused: 10 });
      const results = await readRecords(join(dir, 'cached', 'results.jsonl'), ResultRecordSchema);
      expect(results.filter((result) => result.reused)).toHaveLength(10);
      expect(once.summary['pass@k']).toEqual(all.summary['pass@k']);
      expect(once.summary.outcomes).toEqual(all.summary.outcomes);
      expect(cache.size()).toBe(15);

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

  it('never gives a program the verdict of the same syntax tree at other lines or columns, either way', async () => {
    // Each pair: one layout passes, the other fails, and their syntax trees (without positions) are equal.
    const pairs = [
      {
        test: 'assert f() == 5',
        right: 'import sys\n\n\ndef f():\n    return sys._getframe().f_lineno\n',
        wrong: 'import sys\n\n\n\ndef f():\n    return sys._getframe().f_lineno\n',
      },
      {
        test: 'assert f() == 35',
        right: 'def f():\n    return max(c for _, _, c, _ in f.__code__.co_positions() if c is not None)\n',
        wrong: 'def f():\n    return  max(c for _, _, c, _ in f.__code__.co_positions() if c is not None)\n',
      },
    ];
    const trees = await sandbox.normalize(pairs.flatMap((pair) => [pair.right, pair.wrong]));
    expect(trees[0]).toBe(trees[1]);
    expect(trees[2]).toBe(trees[3]);
    const limits = async () => ({ testTimeoutMs: 5000, programTimeoutMs: 10_000, plusTimeoutMs: 10_000 });
    for (const pair of pairs) {
      const own = { ...task, id: 'layout', entryPoint: 'f', tests: [pair.test], plusTests: null, reference: null };
      for (const order of [
        [pair.right, pair.wrong],
        [pair.wrong, pair.right],
      ] as const) {
        const cache = VerdictCache.open(':memory:');
        const judge = new FixJudge(sandbox, cache, DEFAULT_LIMITS_RULE);
        const first = await judge.judge(own, order[0], limits);
        const second = await judge.judge(own, order[1], limits);
        cache.close();
        const verdictOf = (program: string) => (program === pair.right ? 'pass' : 'fail');
        expect(first.verdict.base?.status, pair.test).toBe(verdictOf(order[0]));
        expect(second.verdict.base?.status, `${pair.test}, judged after the other layout`).toBe(verdictOf(order[1]));
        expect(second.reused).toBe(false);
        expect(judge.counts).toEqual({ judged: 2, reused: 0 });
      }
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
