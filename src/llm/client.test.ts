import { afterEach, describe, expect, it } from 'vitest';
import { SampleCache } from './cache.js';
import { createLlmClient, type LlmClientOptions } from './client.js';
import { LlmApiError } from './errors.js';
import { type ModelSpecInput, ModelSpecSchema } from './spec.js';
import { startTestServer, type TestServer, type TestServerOptions } from './testing/test-server.js';
import type { SampleRequest } from './types.js';

const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function server(options: TestServerOptions = {}): Promise<TestServer> {
  const started = await startTestServer(options);
  servers.push(started);
  return started;
}

function spec(urls: string[], extra: Partial<ModelSpecInput> = {}) {
  return ModelSpecSchema.parse({
    model: 'test-model',
    baseUrls: urls,
    apiKey: 'sk-test',
    timeoutMs: 500,
    baseBackoffMs: 2,
    maxBackoffMs: 20,
    maxAttempts: 12,
    ...extra,
  });
}

const ask = (content: string, extra: Partial<SampleRequest> = {}): SampleRequest => ({
  messages: [{ role: 'user', content }],
  n: 1,
  ...extra,
});

describe('sampling', () => {
  it('asks for n samples in one request when the server honours n', async () => {
    const fake = await server();
    const client = createLlmClient(spec([fake.url]));
    const outcomes = await client.sample(ask('hi', { n: 5, temperature: 0.8 }));
    expect(
      outcomes.map((outcome) => outcome.status === 'ok' && outcome.sample.text.endsWith(`#${outcome.index}`)),
    ).toEqual(Array(5).fill(true));
    expect(fake.completions()).toHaveLength(1);
    expect((fake.completions()[0]?.body as { n: number } | undefined)?.n).toBe(5);
  });

  it('fans out one request per sample, with distinct seeds, when the server ignores n', async () => {
    const fake = await server({ supportsN: false });
    const client = createLlmClient(spec([fake.url]));
    const outcomes = await client.sample(ask('hi', { n: 4, seed: 100 }));
    expect(outcomes.filter((outcome) => outcome.status === 'ok')).toHaveLength(4);
    // One request with n=4 came back with a single choice; the three missing went out one by one.
    const seeds = fake.completions().map((entry) => (entry.body as { seed: number }).seed);
    expect(seeds).toEqual([100, 101, 102, 103]);
    const again = await client.sample(ask('other', { n: 3 }));
    expect(again.every((outcome) => outcome.status === 'ok')).toBe(true);
    expect(
      fake
        .completions()
        .slice(4)
        .every((entry) => (entry.body as { n?: number }).n === undefined),
    ).toBe(true);
  });

  it('records finish reason and token usage, and samples base models through /v1/completions', async () => {
    const fake = await server({ respond: (request) => ({ text: `${request.prompt}!`, finishReason: 'length' }) });
    const client = createLlmClient(spec([fake.url], { api: 'completions' }));
    const [outcome] = await client.sample({ prompt: 'def f(', n: 1, maxTokens: 5 });
    expect(outcome).toMatchObject({
      status: 'ok',
      sample: { text: 'def f(!', finishReason: 'length', usage: { promptTokens: 2, completionTokens: 2 } },
    });
    expect(fake.log.at(-1)?.path).toBe('/completions');
    expect(client.stats()).toMatchObject({ requests: 1, promptTokens: 2, completionTokens: 2 });
  });
});

describe('faults', () => {
  it('completes every sample exactly once with 20% injected faults', async () => {
    const fake = await server({ faultRate: 0.2, faultSeed: 42, retryAfterMs: 5 });
    // A hung request is given up after the timeout; it is long enough that a slow answer on a busy machine
    // is not given up too (it would then be answered twice).
    const client = createLlmClient(spec([fake.url], { timeoutMs: 3000 }), { cache: SampleCache.open(':memory:') });
    const requests = Array.from({ length: 150 }, (_, index) => ask(`task ${index}`));
    const outcomes = (await Promise.all(requests.map((request) => client.sample(request)))).flat();
    expect(outcomes.every((outcome) => outcome.status === 'ok')).toBe(true);
    const faults = fake.log.filter((entry) => entry.fault !== null);
    expect(faults.length).toBeGreaterThan(15);
    // Each prompt was answered exactly once; every other request for it was a fault.
    const answered = fake
      .completions()
      .map((entry) => (entry.body as { messages: { content: string }[] }).messages[0]?.content);
    expect(answered).toHaveLength(150);
    expect(new Set(answered).size).toBe(150);
    const stats = client.stats();
    expect(stats.requests).toBe(fake.log.length);
    expect(stats.retries).toBe(faults.length);
    expect(stats.failedRequests).toBe(0);
  });

  it('waits at least what Retry-After asks', async () => {
    let count = 0;
    const fake = await server({ fault: () => (count++ === 0 ? '429' : null), retryAfterMs: 300 });
    const slept: number[] = [];
    const options: LlmClientOptions = {
      sleep: async (ms) => {
        slept.push(ms);
      },
    };
    const client = createLlmClient(spec([fake.url]), options);
    const [outcome] = await client.sample(ask('x'));
    expect(outcome?.status).toBe('ok');
    expect(slept).toHaveLength(1);
    expect(slept[0]).toBeGreaterThanOrEqual(300);
    expect(client.stats().throttled).toBe(1);
  });

  it('times out a hanging request and retries it', async () => {
    let count = 0;
    const fake = await server({ fault: () => (count++ === 0 ? 'hang' : null) });
    const client = createLlmClient(spec([fake.url], { timeoutMs: 200 }));
    const [outcome] = await client.sample(ask('x'));
    expect(outcome?.status).toBe('ok');
    expect(client.stats().retries).toBe(1);
  });

  it('records a request that keeps failing as an outcome, not a crash', async () => {
    const fake = await server({ fault: () => '500' });
    const client = createLlmClient(spec([fake.url], { maxAttempts: 3 }));
    const outcomes = await client.sample(ask('x', { n: 2 }));
    expect(outcomes).toHaveLength(2);
    for (const outcome of outcomes) {
      expect(outcome).toMatchObject({ status: 'failed', error: { status: 500, attempts: 3 } });
    }
  });

  it('stops at once with what to fix when the key is rejected or the model is unknown', async () => {
    const fake = await server({ apiKey: 'sk-right', models: ['test-model'] });
    const wrongKey = createLlmClient(spec([fake.url], { apiKey: 'sk-wrong' }));
    await expect(wrongKey.sample(ask('x'))).rejects.toThrow(/rejected the API key/);
    expect(fake.log).toHaveLength(1);
    await expect(wrongKey.sample(ask('y'))).rejects.toBeInstanceOf(LlmApiError);
    expect(fake.log).toHaveLength(1);
    const unknown = createLlmClient(spec([fake.url], { apiKey: 'sk-right', model: 'nope' }));
    await expect(unknown.sample(ask('x'))).rejects.toThrow(/model 'nope' was not found/);
  });

  it('halves concurrency on 429 and recovers', async () => {
    let throttle = true;
    const fake = await server({ fault: () => (throttle ? '429' : null), retryAfterMs: 1 });
    const client = createLlmClient(spec([fake.url], { concurrency: 16, maxAttempts: 3 }));
    await Promise.all(Array.from({ length: 8 }, (_, index) => client.sample(ask(`t${index}`))));
    expect(client.stats().throttled).toBe(24);
    expect(client.concurrencyLimits()[0]).toBe(1);
    throttle = false;
    await Promise.all(Array.from({ length: 300 }, (_, index) => client.sample(ask(`u${index}`))));
    expect(client.concurrencyLimits()).toEqual([16]);
  });
});

describe('replicas', () => {
  it('shares load between base URLs and fails over when one is down', async () => {
    const first = await server({ latencyMs: 10 });
    const second = await server({ latencyMs: 10 });
    const client = createLlmClient(spec([first.url, second.url], { concurrency: 4 }));
    await Promise.all(Array.from({ length: 40 }, (_, index) => client.sample(ask(`a${index}`))));
    expect(first.completions().length).toBeGreaterThan(5);
    expect(second.completions().length).toBeGreaterThan(5);
    await first.close();
    servers.splice(servers.indexOf(first), 1);
    const outcomes = (
      await Promise.all(Array.from({ length: 20 }, (_, index) => client.sample(ask(`b${index}`))))
    ).flat();
    expect(outcomes.every((outcome) => outcome.status === 'ok')).toBe(true);
    expect(second.completions().length).toBeGreaterThanOrEqual(20);
  });
});

describe('the cache', () => {
  it('serves repeated samples without a request and fetches only missing indices', async () => {
    const fake = await server();
    const cache = SampleCache.open(':memory:');
    const client = createLlmClient(spec([fake.url]), { cache });
    const first = await client.sample(ask('q', { n: 3, temperature: 1 }));
    const again = await client.sample(ask('q', { n: 5, temperature: 1 }));
    expect(again.slice(0, 3)).toEqual(first.map((outcome) => ({ ...outcome, cached: true })));
    expect(fake.completions().map((entry) => (entry.body as { n?: number }).n)).toEqual([3, 2]);
    expect(client.stats()).toMatchObject({ cacheHits: 3, cacheMisses: 5 });
    // Settings that do not change the output do not change the key.
    const patient = createLlmClient(spec([fake.url], { timeoutMs: 9000, concurrency: 1, maxAttempts: 2 }), { cache });
    await patient.sample(ask('q', { n: 5, temperature: 1 }));
    expect(fake.completions()).toHaveLength(2);
  });

  it('makes identical requests in flight once', async () => {
    const fake = await server({ latencyMs: 50 });
    const client = createLlmClient(spec([fake.url]), { cache: SampleCache.open(':memory:') });
    const [a, b] = await Promise.all([client.sample(ask('same', { n: 2 })), client.sample(ask('same', { n: 2 }))]);
    expect(a).toEqual(b);
    expect(fake.completions()).toHaveLength(1);
    expect(client.stats().shared).toBe(2);
  });
});

describe('accounting', () => {
  // $1000 per million tokens: one token costs $0.001, so the numbers below are token counts in thousandths.
  const price = { inputPerMTok: 1000, outputPerMTok: 1000 };

  it('counts tokens and cost, and stops before a request could pass the budget', async () => {
    const fake = await server({ respond: () => 'x'.repeat(400) });
    const client = createLlmClient(spec([fake.url], { price }), { budgetUsd: 0.5 });
    const outcomes = [];
    for (let index = 0; index < 10; index++)
      outcomes.push(...(await client.sample(ask(`p${index}`, { maxTokens: 100 }))));
    expect(client.overBudget).toBe(true);
    const sent = outcomes.filter((outcome) => outcome.status === 'ok').length;
    expect(sent).toBeGreaterThan(0);
    expect(
      outcomes.slice(sent).every((outcome) => outcome.status === 'failed' && outcome.error.code === 'budget'),
    ).toBe(true);
    expect(fake.completions()).toHaveLength(sent);
    expect(client.stats().costUsd).toBeLessThanOrEqual(0.5);
    expect(client.accounting.exceededBudget).toBe(false);
  });

  it('holds the worst case of every request in flight, so parallel requests do not pass the budget', async () => {
    const fake = await server({ respond: () => 'x'.repeat(400), latencyMs: 30 });
    const client = createLlmClient(spec([fake.url], { price, concurrency: 16 }), { budgetUsd: 0.5 });
    const outcomes = (
      await Promise.all(Array.from({ length: 12 }, (_, index) => client.sample(ask(`q${index}`, { maxTokens: 100 }))))
    ).flat();
    const sent = outcomes.filter((outcome) => outcome.status === 'ok').length;
    // Each is billed about $0.10 and may cost at most about $0.17: 3 fit at once, more once those are
    // billed, and the run stops only when the next worst case no longer fits.
    expect(sent).toBeGreaterThan(3);
    expect(sent).toBeLessThan(12);
    expect(fake.completions()).toHaveLength(sent);
    const spent = client.stats().costUsd ?? 0;
    expect(spent).toBeLessThanOrEqual(0.5);
    expect(spent + 0.166).toBeGreaterThan(0.5);
    const refused = outcomes.find((outcome) => outcome.status === 'failed');
    expect(refused?.status === 'failed' && refused.error.message).toMatch(
      /^the budget of \$0\.5 cannot cover this request's worst case \(\$0\.\d{4}\) with \$0\.\d{4} spent and \$0\.\d{4} held for requests in flight$/,
    );
    expect(client.accounting.reservedUsd).toBe(0);
  });

  it('holds nothing for requests waiting for a connection: with one connection, as many go as one by one', async () => {
    const fake = await server({ respond: () => 'x'.repeat(400) });
    const client = createLlmClient(spec([fake.url], { price, concurrency: 1 }), { budgetUsd: 0.5 });
    const outcomes = (
      await Promise.all(Array.from({ length: 10 }, (_, index) => client.sample(ask(`r${index}`, { maxTokens: 100 }))))
    ).flat();
    // One at a time, each billed about $0.101: four are billed, a fifth's worst case would pass $0.50.
    expect(outcomes.filter((outcome) => outcome.status === 'ok')).toHaveLength(4);
    expect(client.stats().costUsd).toBeLessThanOrEqual(0.5);
  });

  it('sends no request without max tokens under a budget: its cost has no bound', async () => {
    const fake = await server();
    const client = createLlmClient(spec([fake.url], { price }), { budgetUsd: 100 });
    const [outcome] = await client.sample(ask('unbounded'));
    expect(outcome).toMatchObject({ status: 'failed', error: { code: 'budget' } });
    expect(outcome?.status === 'failed' && outcome.error.message).toContain('without max_tokens');
    expect(fake.completions()).toHaveLength(0);
  });

  it('says when the server billed more than the worst case it was allowed', async () => {
    // The scripted server ignores max_tokens, as a misbehaving one might: 4000 characters for a cap of 10.
    const fake = await server({ respond: () => 'x'.repeat(4000) });
    const client = createLlmClient(spec([fake.url], { price }), { budgetUsd: 0.5 });
    await client.sample(ask('over', { maxTokens: 10 }));
    expect(client.stats().costUsd).toBeGreaterThan(0.5);
    expect(client.accounting.exceededBudget).toBe(true);
  });
});

describe('the sample cache', () => {
  it('never answers a model at one server with samples from another, unless their cacheKey says so', async () => {
    const first = await server({ respond: () => 'from the first server' });
    const second = await server({ respond: () => 'from the second server' });
    const cache = SampleCache.open(':memory:');
    const one = createLlmClient(spec([first.url]), { cache });
    expect((await one.sample(ask('same prompt')))[0]).toMatchObject({ status: 'ok', cached: false });

    // The same model name served elsewhere (another checkpoint, another tag): asked, not read.
    const other = createLlmClient(spec([second.url]), { cache });
    const answer = (await other.sample(ask('same prompt')))[0];
    expect(answer).toMatchObject({ status: 'ok', cached: false, sample: { text: 'from the second server' } });
    expect(second.completions()).toHaveLength(1);

    // Replicas of the same weights, declared so: shared.
    const shared = { cacheKey: 'qwen-7b-ckpt-1200' };
    await createLlmClient(spec([first.url], shared), { cache }).sample(ask('shared prompt'));
    const replica = createLlmClient(spec([second.url], shared), { cache });
    const reused = (await replica.sample(ask('shared prompt')))[0];
    expect(reused).toMatchObject({ status: 'ok', cached: true, sample: { text: 'from the first server' } });
    expect(second.completions()).toHaveLength(1);
    cache.close();
  });
});
