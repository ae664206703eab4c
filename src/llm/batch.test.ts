import { afterEach, describe, expect, it } from 'vitest';
import { sampleWithBatch } from './batch.js';
import { SampleCache } from './cache.js';
import { createLlmClient } from './client.js';
import { FineTuner } from './fine-tune.js';
import { ModelSpecSchema } from './spec.js';
import { startTestServer, type TestServer } from './testing/test-server.js';

let server: TestServer;
afterEach(async () => {
  await server?.close();
});

function client(
  url: string,
  cache = SampleCache.open(':memory:'),
  options: { budgetUsd?: number; perMTok?: number } = {},
) {
  const perMTok = options.perMTok ?? 2;
  const spec = ModelSpecSchema.parse({
    model: 'test-model',
    baseUrls: [url],
    apiKey: 'sk',
    price: { inputPerMTok: perMTok, outputPerMTok: 2 * perMTok },
  });
  return createLlmClient(spec, { cache, ...(options.budgetUsd === undefined ? {} : { budgetUsd: options.budgetUsd }) });
}

const requests = Array.from({ length: 6 }, (_, index) => ({
  messages: [{ role: 'user' as const, content: `task ${index}` }],
  n: 2,
}));

describe('the Batch API', () => {
  it('uploads, creates, polls, downloads and fills the cache at half price', async () => {
    server = await startTestServer({ batchPolls: 3 });
    const llm = client(server.url);
    const polls: string[] = [];
    const outcomes = await sampleWithBatch(llm, requests, {
      pollIntervalMs: 1,
      onPoll: (status) => polls.push(status.status),
    });
    expect(outcomes.flat().every((outcome) => outcome.status === 'ok')).toBe(true);
    expect(polls).toEqual(['in_progress', 'in_progress', 'completed']);
    const upload = server.log.find((entry) => entry.path === '/files');
    expect(upload?.body).toMatchObject({ purpose: 'batch', filename: 'nxt-batch.jsonl' });
    expect(server.log.filter((entry) => entry.path === '/chat/completions')).toHaveLength(0);
    // Live sampling afterwards is all cache hits.
    const live = await Promise.all(requests.map((request) => llm.sample(request)));
    expect(live.flat().every((outcome) => outcome.status === 'ok' && outcome.cached)).toBe(true);
    const stats = llm.stats();
    expect(stats.costUsd).toBeCloseTo((0.5 * (stats.promptTokens * 2 + stats.completionTokens * 4)) / 1e6, 12);
  });

  it('puts in a batch only the requests whose worst case the budget holds, and says why the rest are missing', async () => {
    server = await startTestServer({ batchPolls: 1 });
    // $1000/$2000 per million tokens at half price: each line (2 × 50 tokens out, about 150 in) holds ≈ $0.18.
    const llm = client(server.url, SampleCache.open(':memory:'), { budgetUsd: 0.5, perMTok: 1000 });
    const capped = requests.map((request) => ({ ...request, maxTokens: 50 }));
    const outcomes = await sampleWithBatch(llm, capped, { pollIntervalMs: 1 });
    const ok = outcomes.filter((samples) => samples.every((outcome) => outcome.status === 'ok'));
    expect(ok.length).toBeGreaterThan(0);
    expect(ok.length).toBeLessThan(requests.length);
    const held = outcomes.slice(ok.length).flat();
    expect(held.every((outcome) => outcome.status === 'failed' && outcome.error.code === 'budget')).toBe(true);
    expect(llm.stats().costUsd).toBeLessThanOrEqual(0.5);
    expect(llm.accounting.reservedUsd).toBe(0);
  });

  it('resumes polling the same batch after a crash', async () => {
    server = await startTestServer({ batchPolls: 4 });
    const cache = SampleCache.open(':memory:');
    const crashing = client(server.url, cache);
    let polls = 0;
    const crash = sampleWithBatch(crashing, requests, {
      sleep: async () => {
        polls += 1;
        if (polls === 2) throw new Error('killed');
      },
    });
    await expect(crash).rejects.toThrow('killed');
    const resumed = await sampleWithBatch(client(server.url, cache), requests, { pollIntervalMs: 1 });
    expect(resumed.flat().every((outcome) => outcome.status === 'ok')).toBe(true);
    expect(server.log.filter((entry) => entry.method === 'POST' && entry.path === '/batches')).toHaveLength(1);
    expect(server.log.filter((entry) => entry.path === '/files')).toHaveLength(1);
  });

  it("refuses an output line that is not what the Batch API writes, naming the output file's line", async () => {
    server = await startTestServer({ batchPolls: 1, batchOutputTail: '{"custom_id": "x", "response": {"status_c' });
    const failed = sampleWithBatch(client(server.url), requests, { pollIntervalMs: 1 });
    await expect(failed).rejects.toMatchObject({ code: 'llm-batch' });
    await expect(failed).rejects.toThrow(/^the batch's output file file-\w+:7: not valid JSON \(/);
  });

  it('asks only for what the cache lacks', async () => {
    server = await startTestServer({ batchPolls: 1 });
    const llm = client(server.url);
    await llm.sample(requests[0] as (typeof requests)[number]);
    await sampleWithBatch(llm, requests, { pollIntervalMs: 1 });
    const created = server.log.find((entry) => entry.method === 'POST' && entry.path === '/batches');
    const inputId = (created?.body as { input_file_id: string } | undefined)?.input_file_id ?? '';
    const input = await (await llm.sdk.files.content(inputId)).text();
    expect(input.trim().split('\n')).toHaveLength(5);
  });
});

describe('the fine-tuning API', () => {
  it('uploads a training file, creates a job, reports its events and returns the model id', async () => {
    server = await startTestServer({ fineTunePolls: 3 });
    const tuner = new FineTuner(client(server.url).sdk, { pollIntervalMs: 1 });
    const fileId = await tuner.uploadFile('{"messages": []}\n', 'train.jsonl');
    const jobId = await tuner.createJob({
      model: 'test-model',
      trainingFileId: fileId,
      suffix: 'next',
      hyperparameters: { n_epochs: 2 },
    });
    const events: string[] = [];
    const model = await tuner.waitForJob(jobId, (event) => events.push(event.message));
    expect(model).toMatch(/^ft:test-model:nxt:next:/);
    expect(events).toEqual([
      'Fine-tuning job started',
      'Step 2: training loss=0.500',
      `New fine-tuned model created: ${model}`,
    ]);
    const created = server.log.find((entry) => entry.path === '/fine_tuning/jobs');
    expect(created?.body).toMatchObject({
      model: 'test-model',
      training_file: fileId,
      suffix: 'next',
      hyperparameters: { n_epochs: 2 },
    });
  });

  it('throws when the job fails, and can cancel', async () => {
    server = await startTestServer({ fineTunePolls: 2, fineTuneFails: true });
    const tuner = new FineTuner(client(server.url).sdk, { pollIntervalMs: 1 });
    const fileId = await tuner.uploadFile('{}\n');
    await expect(
      tuner.waitForJob(await tuner.createJob({ model: 'test-model', trainingFileId: fileId })),
    ).rejects.toThrow(/fine-tuning job ftjob-\d+ failed: The training file is invalid/);
    const other = await tuner.createJob({ model: 'test-model', trainingFileId: fileId });
    await tuner.cancel(other);
    await expect(tuner.waitForJob(other)).rejects.toThrow(/cancelled/);
  });
});
