import { mkdtempSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildMbppR, buildSynthetic, extractCode } from '../../src/datagen/index.js';
import { createLlmClient, ModelSpecSchema, SampleCache } from '../../src/llm/index.js';
import { startTestServer, type TestServer } from '../../src/llm/testing/test-server.js';
import { createSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { DataStore, loadDataset, type Problem, writeTaskFile } from '../../src/tasks/index.js';
import { sharedDataDir } from '../support/shared-data.js';

const store = new DataStore({ dataDir: sharedDataDir, cacheDir: '/nonexistent', fetch: null });
let sandbox: Sandbox;
let mbpp: Problem[];

beforeAll(async () => {
  sandbox = await createSandbox();
  mbpp = (await loadDataset('mbpp', store)) as Problem[];
});
afterAll(async () => {
  await sandbox.close();
});

describe('synthetic repair tasks', () => {
  it('are byte-identical when built twice with the same seed, and differ with another', async () => {
    const problems = mbpp.filter((problem) => problem.split === 'train').slice(0, 20);
    const dir = mkdtempSync(join(tmpdir(), 'nxt-syn-'));
    const first = await buildSynthetic(problems, sandbox, { seed: 11 });
    const second = await buildSynthetic(problems, sandbox, { seed: 11 });
    const other = await buildSynthetic(problems, sandbox, { seed: 12 });
    await writeTaskFile(join(dir, 'a.jsonl'), first.tasks);
    await writeTaskFile(join(dir, 'b.jsonl'), second.tasks);
    await writeTaskFile(join(dir, 'c.jsonl'), other.tasks);
    const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((name) => readFile(join(dir, `${name}.jsonl`))));
    expect(a?.equals(b as Buffer)).toBe(true);
    expect(a?.equals(c as Buffer)).toBe(false);
    expect(first.manifest).toEqual(second.manifest);
  }, 120_000);

  it('keep labelled mutants that fail a test, differ from each other and cover at least 8 kinds', async () => {
    const problems = mbpp.filter((problem) => problem.split === 'train').slice(20, 80);
    const { tasks, manifest } = await buildSynthetic(problems, sandbox, { seed: 3, perProblem: 3 });
    expect(tasks.length).toBeGreaterThan(120);
    expect(Object.keys(manifest.byKind).length).toBeGreaterThanOrEqual(8);
    expect(manifest.counts.kept).toBe(tasks.length);
    const verdicts = await Promise.all(tasks.map((task) => sandbox.judgeProgram(task.buggyProgram, task.tests)));
    expect(verdicts.every((verdict) => verdict.status === 'fail')).toBe(true);
    for (const [index, task] of tasks.entries()) {
      expect(verdicts[index]?.tests[task.failingTest ?? -1]?.status).not.toBe('pass');
    }
    const trees = await sandbox.normalize(tasks.map((task) => task.buggyProgram));
    const perProblem = new Map<string, Set<string | null>>();
    for (const [index, task] of tasks.entries()) {
      const problem = task.id.replace(/\/m\d+$/, '');
      const seen = perProblem.get(problem) ?? new Set();
      expect(seen.has(trees[index] ?? null)).toBe(false);
      seen.add(trees[index] ?? null);
      perProblem.set(problem, seen);
      expect(task.bugLabel?.kind).toBe('mutation');
    }
  }, 120_000);
});

describe('extractCode', () => {
  it('takes the last fenced block, else the text before [DONE]', () => {
    expect(extractCode('Here:\n```python\ndef a(): pass\n```\nand better:\n```\ndef b(): pass\n```\nDone.')).toBe(
      'def b(): pass\n',
    );
    expect(extractCode('def c():\n    return 1\n[DONE] trailing')).toBe('def c():\n    return 1\n');
    expect(extractCode('   ')).toBe('');
  });
});

describe('the MBPP-R builder', () => {
  let server: TestServer;
  afterAll(async () => {
    await server?.close();
  });

  it('keeps running-but-failing, deduplicated samples, splits them and counts every filter step', async () => {
    const byDescription = new Map(mbpp.map((problem) => [problem.description, problem]));
    // A scripted model: per problem, 6 samples of known kinds.
    server = await startTestServer({
      respond: (request) => {
        const last = request.messages.at(-1)?.content ?? '';
        const description = /^Problem: (.*)\n/.exec(last)?.[1] ?? '';
        const problem = byDescription.get(description);
        const name = problem?.entryPoint ?? 'f';
        const kinds = [
          `\`\`\`python\n${problem?.reference ?? ''}\n\`\`\``, // correct: dropped
          `\`\`\`python\ndef ${name}(*args):\n    return None\n\`\`\``, // runs, fails: kept
          `\`\`\`python\ndef ${name}(*args):\n    # the same, reformatted\n    return  None\n\`\`\``, // duplicate
          'I am not sure how to solve this.', // no fenced code: taken as code, does not parse
          `\`\`\`python\ndef ${name}(*args)\n    return 1\n\`\`\``, // does not load
          `\`\`\`python\ndef ${name}(*args):\n    raise ValueError("no")\n\`\`\``, // runs, fails: kept
        ];
        return kinds[request.choice % kinds.length] as string;
      },
    });
    const client = createLlmClient(ModelSpecSchema.parse({ model: 'scripted', baseUrls: [server.url], apiKey: 'sk' }), {
      cache: SampleCache.open(':memory:'),
    });
    const shots = mbpp.filter((problem) => ['MBPP/2', 'MBPP/3', 'MBPP/4'].includes(problem.id));
    const chosen = [
      ...mbpp.filter((problem) => problem.split === 'train').slice(0, 4),
      ...mbpp.filter((problem) => problem.split === 'validation').slice(0, 2),
      ...mbpp.filter((problem) => problem.split === 'test').slice(0, 2),
    ];
    const { train, dev, manifest } = await buildMbppR(chosen, shots, client, sandbox, {
      samples: 6,
      temperature: 0.8,
      seed: 5,
    });
    expect(manifest.counts).toEqual({
      problems: 6,
      sampled: 36,
      failedRequests: 0,
      noCode: 0,
      passed: 6,
      notLoading: 12,
      timedOut: 0,
      failing: 18,
      duplicates: 6,
      overCap: 0,
      kept: { train: 8, dev: 4 },
    });
    expect(
      train.every((task) => task.split === 'train' && task.dataset === 'mbpp-r' && task.bugLabel?.value === 'scripted'),
    ).toBe(true);
    expect(dev.every((task) => task.split === 'validation')).toBe(true);
    expect([...train, ...dev].every((task) => task.failingTest === 0)).toBe(true);
    expect(manifest).toMatchObject({
      model: 'scripted',
      seed: 5,
      temperature: 0.8,
      paper: { train: 10_047, dev: 1_468 },
    });
    expect(manifest.promptHash).toMatch(/^[0-9a-f]{16}$/);
    // The prompt is chat with three worked examples.
    const body = server.completions()[0]?.body as { messages: { role: string }[] };
    expect(body.messages.map((message) => message.role)).toEqual([
      'system',
      'user',
      'assistant',
      'user',
      'assistant',
      'user',
      'assistant',
      'user',
    ]);
  }, 120_000);
});
