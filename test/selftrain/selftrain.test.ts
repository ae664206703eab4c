import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLlmClient, type LlmClient, ModelSpecSchema, SampleCache } from '../../src/llm/index.js';
import { startTestServer, type TestServer } from '../../src/llm/testing/test-server.js';
import { readSelftrainSummary } from '../../src/runs/index.js';
import { createSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { runSelftrain } from '../../src/selftrain/index.js';
import { DataStore, loadDataset, type RepairTask } from '../../src/tasks/index.js';
import { createTokenCounter } from '../../src/trace/index.js';
import { sharedDataDir } from '../support/shared-data.js';
import { improvingModel } from './script.js';

const dir = mkdtempSync(join(tmpdir(), 'nxt-selftrain-'));
let sandbox: Sandbox;
let server: TestServer;
let train: RepairTask[];
let dev: RepairTask[];

beforeAll(async () => {
  sandbox = await createSandbox();
  const store = new DataStore({ dataDir: sharedDataDir, cacheDir: '/nonexistent', fetch: null });
  const all = (await loadDataset('humanevalfix', store)) as RepairTask[];
  train = all.slice(0, 6);
  dev = all.slice(20, 25);
  server = await startTestServer({ respond: improvingModel(train, dev), fineTunePolls: 2 });
});
afterAll(async () => {
  await sandbox.close();
  await server.close();
});

/** A fresh scripted model for each test: its generations count the fine-tuned ids it has seen. */
function freshModel(): void {
  server.options = { ...server.options, respond: improvingModel(train, dev) };
}

function deps(
  cache: SampleCache,
  extra: Partial<Parameters<typeof runSelftrain>[1]> = {},
): Parameters<typeof runSelftrain>[1] {
  const clients = new Map<string, LlmClient>();
  return {
    sandbox,
    loadTasks: async (name) => (name === 'train' ? train : dev),
    client: (spec) => {
      const existing = clients.get(spec);
      if (existing) return existing;
      const [model, url] = spec.split('@');
      const client = createLlmClient(ModelSpecSchema.parse({ model, baseUrls: [url], apiKey: 'sk' }), { cache });
      clients.set(spec, client);
      return client;
    },
    derive: (base, model) => `${model}@${base.split('@')[1]}`,
    countTokens: (text) => text.length,
    nxtVersion: 'test',
    log: () => {},
    pollIntervalMs: 1,
    ...extra,
  };
}

/** A one-iteration plan on the scripted tasks; each test adds its folder and trainer. */
const common = () => ({
  baseModel: `base@${server.url}`,
  trainTasks: 'train',
  devTasks: 'dev',
  samples: 4,
  hardThreshold: 0.3,
  iterations: 1,
  devSamples: 2,
  k: [1],
});

describe('trainer back-ends', () => {
  it('command: fills the template, runs it, and samples the model it names', async () => {
    freshModel();
    const out = join(dir, 'command');
    const commands: string[] = [];
    const result = await runSelftrain(
      {
        ...common(),
        out,
        trainer: {
          kind: 'command',
          command: 'train --data {train_file} --base {base_model} --out {output_dir} --iter {iteration}',
          model: `ft:cmd-{iteration}@${server.url}`,
        },
      },
      deps(SampleCache.open(':memory:'), {
        runCommand: async (command) => {
          commands.push(command);
          return 0;
        },
      }),
    );
    expect(result.status).toBe('done');
    expect(commands).toEqual([
      `train --data ${join(out, 'iter-0', 'sft.openai.jsonl')} --base base@${server.url} --out ${join(out, 'iter-0', 'model')} --iter 1`,
    ]);
    expect(result.state.iterations[0]?.trainedModel).toBe(`ft:cmd-1@${server.url}`);
    await expect(
      runSelftrain(
        { ...common(), out: join(dir, 'command-fails'), trainer: { kind: 'command', command: 'false', model: 'x' } },
        deps(SampleCache.open(':memory:'), { runCommand: async () => 3 }),
      ),
    ).rejects.toThrow(/the training command exited with code 3; see .*train\.log/);
  }, 60_000);

  it('manual: stops with instructions, then continues with the model it is given', async () => {
    freshModel();
    const out = join(dir, 'manual');
    const cache = SampleCache.open(':memory:');
    const waiting = await runSelftrain({ ...common(), out, trainer: { kind: 'manual' } }, deps(cache));
    expect(waiting.status).toBe('waiting');
    expect(waiting.message).toContain(
      `Iteration 0's training set is ready: ${join(out, 'iter-0', 'sft.openai.jsonl')}`,
    );
    expect(waiting.message).toContain('nxt selftrain --plan PLAN --trained-model MODEL_SPEC');
    const done = await runSelftrain(
      { ...common(), out, trainer: { kind: 'manual' } },
      deps(cache, { trainedModel: `ft:mine@${server.url}` }),
    );
    expect(done.status).toBe('done');
    expect(done.state.iterations[0]).toMatchObject({ trainedModel: `ft:mine@${server.url}`, phase: 'done' });
    expect(done.state.iterations[0]?.dev?.['pass@1']).toBeCloseTo(2 / 5, 12);
  }, 60_000);
});

describe('batch sampling', () => {
  it('with "batch": true every sample goes through the Batch API, and the loop ends as without it', async () => {
    freshModel();
    const cache = SampleCache.open(':memory:');
    const out = join(dir, 'batched');
    const direct = () => server.log.filter((entry) => entry.path === '/chat/completions').length;
    const batches = () => server.log.filter((entry) => entry.method === 'POST' && entry.path === '/batches').length;
    const [directBefore, batchesBefore] = [direct(), batches()];
    const config = { ...common(), out, trainer: { kind: 'manual' as const }, batch: true };
    const waiting = await runSelftrain(config, deps(cache));
    expect(waiting.status).toBe('waiting');
    const done = await runSelftrain(config, deps(cache, { trainedModel: `ft:mine@${server.url}` }));
    expect(done.status).toBe('done');
    expect(done.state.iterations[0]?.dev?.['pass@1']).toBeCloseTo(2 / 5, 12);
    expect(direct()).toBe(directBefore);
    expect(batches()).toBeGreaterThan(batchesBefore);
  }, 60_000);
});

describe('nothing to train on', () => {
  it('says the hard set is empty when the base model already fixes every training task', async () => {
    freshModel();
    const lines: string[] = [];
    const result = await runSelftrain(
      {
        baseModel: `base@${server.url}`,
        trainTasks: 'train',
        devTasks: 'dev',
        samples: 2,
        hardThreshold: 0, // no pass@1 is below 0: no task is hard
        iterations: 1,
        devSamples: 1,
        k: [1],
        out: join(dir, 'empty-hard-set'),
        trainer: { kind: 'manual' },
      },
      deps(SampleCache.open(':memory:'), { log: (line) => lines.push(line) }),
    );
    expect(result.status).toBe('done');
    expect(lines.join('\n')).toContain('nothing to train on: the hard set is empty: base@');
  }, 60_000);
});

describe('the self-training loop', () => {
  it('builds the hard set, filters, trains the base model each iteration and picks the best on dev', async () => {
    freshModel();
    const jobsBefore = server.log.filter(
      (entry) => entry.method === 'POST' && entry.path === '/fine_tuning/jobs',
    ).length;
    const uploadsBefore = server.log.filter((entry) => entry.path === '/files').length;
    const cache = SampleCache.open(':memory:');
    const out = join(dir, 'run');
    const result = await runSelftrain(
      {
        baseModel: `base@${server.url}`,
        trainTasks: 'train',
        devTasks: 'dev',
        samples: 4,
        hardThreshold: 0.3,
        iterations: 2,
        devSamples: 4,
        k: [1, 4],
        trainer: { kind: 'openai', pollIntervalMs: 1 },
        out,
      },
      deps(cache, { countTokens: await createTokenCounter() }),
    );
    expect(result.status).toBe('done');
    const state = result.state;
    // Hard set: base pass@1 < 0.3: tasks 1 and 2 (0.25), 3, 4, 5 (0); task 0 is always fixed.
    expect(state.hardSet).toEqual(train.slice(1).map((task) => task.id));
    const [first, second] = state.iterations;
    // Iteration 0: the 24 base samples; accepted: tasks 1 and 2 once each (one passing sample each).
    expect(first).toMatchObject({ samplesDrawn: 24, accepted: 2, acceptedTasks: 2, trainFixRate: 0.1 });
    // Iteration 1: the hard set (5 tasks × 4) with model 1; tasks 1-3 pass on two choices, deduplicated to one.
    expect(second).toMatchObject({ samplesDrawn: 20, accepted: 3, acceptedTasks: 3, trainFixRate: 0.3 });
    expect(first?.dev?.['pass@1']).toBeCloseTo(2 / 5, 12);
    expect(second?.dev?.['pass@1']).toBeCloseTo(4 / 5, 12);
    expect(state.baseDev?.['pass@1']).toBeCloseTo(0.25 / 5, 12);
    expect(state.best).toBe(1);
    // Both jobs fine-tune the BASE model, on each iteration's own set.
    const jobs = server.log
      .filter((entry) => entry.method === 'POST' && entry.path === '/fine_tuning/jobs')
      .slice(jobsBefore);
    expect(jobs.map((entry) => (entry.body as { model: string }).model)).toEqual(['base', 'base']);
    const uploads = server.log
      .filter((entry) => entry.path === '/files')
      .slice(uploadsBefore)
      .map((entry) => (entry.body as { bytes: number }).bytes);
    expect(uploads).toEqual([0, 1].map((index) => readFileSync(join(out, `iter-${index}`, 'sft.openai.jsonl')).length));
    // The training set: zero-shot chat prompts with the trace, answered by the accepted rationale and fix.
    const lines = readFileSync(join(out, 'iter-1', 'sft.openai.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines).toHaveLength(3);
    for (const [position, line] of lines.entries()) {
      const task = train[position + 1] as RepairTask;
      expect(line.messages.map((message: { role: string }) => message.role)).toEqual(['system', 'user', 'assistant']);
      expect(line.messages[1].content).toContain(`Task: ${task.description.trim()}`);
      expect(line.messages[1].content).toMatch(/# \(\d+\) __exception__ = /);
      expect(line.messages[2].content).toContain(task.reference?.trimEnd());
      // The training prompt is exactly the one the fine-tuned model is sampled with (same trace budget).
      const asked = server.log
        .filter((entry) => entry.path === '/chat/completions')
        .map((entry) => (entry.body as { messages: { content: string }[] }).messages);
      expect(asked.some((messages) => messages.length === 2 && messages[1]?.content === line.messages[1].content)).toBe(
        true,
      );
    }
    const hf = readFileSync(join(out, 'iter-1', 'sft.hf.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(hf.map((line) => line.task_id)).toEqual(train.slice(1, 4).map((task) => task.id));
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary).toMatchObject({ hardSet: 5, trainTasks: 6, best: 1, bestModel: second?.trainedModel });
    expect(summary.iterations[1].acceptedPerTask).toBe(1);
    // What selftrain writes is what readers (viewer, report) read: the one schema of the summary.
    expect(await readSelftrainSummary(out)).toEqual(summary);
  }, 120_000);
});
