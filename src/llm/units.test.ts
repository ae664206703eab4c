import { describe, expect, it } from 'vitest';
import { requestKey } from './cache-key.js';
import { classifyError, retryAfterMs } from './errors.js';
import { AdaptiveConcurrency, PerMinuteBudget } from './limiter.js';

const headers = (values: Record<string, string>) => new Headers(values);

describe('retryAfterMs', () => {
  it('reads retry-after-ms, seconds, and HTTP dates', () => {
    expect(retryAfterMs(headers({ 'retry-after-ms': '250' }))).toBe(250);
    expect(retryAfterMs(headers({ 'retry-after': '3' }))).toBe(3000);
    const now = Date.parse('2026-11-24T12:00:00Z');
    expect(retryAfterMs(headers({ 'retry-after': 'Tue, 24 Nov 2026 12:00:05 GMT' }), now)).toBe(5000);
    expect(retryAfterMs(headers({}))).toBeNull();
    expect(retryAfterMs(headers({ 'retry-after': 'soon' }))).toBeNull();
  });
});

describe('classifyError', () => {
  const context = { model: 'm', baseUrl: 'http://x/v1' };
  it('retries 408, 409, 429 and 5xx, and honours Retry-After', () => {
    for (const status of [408, 409, 429, 500, 502, 503])
      expect(classifyError({ status }, context).isRetryable).toBe(true);
    const throttled = classifyError(
      { status: 429, headers: headers({ 'retry-after': '2' }), message: 'slow down' },
      context,
    );
    expect(throttled).toMatchObject({ status: 429, isRetryable: true, retryAfterMs: 2000 });
  });

  it('fails at once on 400, and stops the run on 401, 403 and 404 with what to fix', () => {
    expect(classifyError({ status: 400 }, context).isRetryable).toBe(false);
    const key = classifyError({ status: 401 }, context);
    expect(key).toMatchObject({ isRetryable: false, isFatal: true });
    expect(key.message).toMatchInlineSnapshot(
      `"the server at http://x/v1 rejected the API key: check the key variable named in the model spec (default OPENAI_API_KEY)"`,
    );
    expect(classifyError({ status: 404 }, context).message).toMatch(/^model 'm' was not found at http:\/\/x\/v1/);
    expect(classifyError({ status: 403 }, context).isFatal).toBe(true);
  });

  it('treats network errors and timeouts as retryable', () => {
    expect(classifyError(new TypeError('fetch failed'), context)).toMatchObject({
      status: null,
      isRetryable: true,
      code: 'llm-network',
    });
    expect(classifyError({ name: 'APIConnectionTimeoutError', message: 'Request timed out.' }, context).code).toBe(
      'llm-timeout',
    );
  });
});

describe('requestKey', () => {
  const base = { messages: [{ role: 'user' as const, content: 'hi' }], n: 3, temperature: 0.8 };
  it('changes with anything that changes the output', () => {
    const key = requestKey('chat', 'm', base, 'E');
    expect(requestKey('chat', 'm2', base, 'E')).not.toBe(key);
    expect(requestKey('completions', 'm', base, 'E')).not.toBe(key);
    expect(requestKey('chat', 'm', { ...base, temperature: 0.7 }, 'E')).not.toBe(key);
    expect(requestKey('chat', 'm', { ...base, seed: 1 }, 'E')).not.toBe(key);
    expect(requestKey('chat', 'm', { ...base, messages: [{ role: 'user', content: 'hi!' }] }, 'E')).not.toBe(key);
    expect(requestKey('chat', 'm', { ...base, maxTokens: 10 }, 'E')).not.toBe(key);
    expect(requestKey('chat', 'm', { ...base, stop: ['\n'] }, 'E')).not.toBe(key);
    expect(requestKey('chat', 'm', base, 'http://other:8000/v1')).not.toBe(key);
  });

  it('ignores the sample count and the order of fields', () => {
    expect(requestKey('chat', 'm', { ...base, n: 10 }, 'E')).toBe(requestKey('chat', 'm', base, 'E'));
    expect(requestKey('chat', 'm', { temperature: 0.8, n: 1, messages: base.messages }, 'E')).toBe(
      requestKey('chat', 'm', base, 'E'),
    );
  });
});

describe('AdaptiveConcurrency', () => {
  it('halves on throttling, grows back on success, and never passes its limit', async () => {
    const limiter = new AdaptiveConcurrency(8);
    limiter.throttled();
    expect(limiter.limit).toBe(4);
    limiter.throttled();
    limiter.throttled();
    limiter.throttled();
    expect(limiter.limit).toBe(1);
    const first = await limiter.acquire();
    let second = false;
    const pending = limiter.acquire().then((release) => {
      second = true;
      return release;
    });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(second).toBe(false);
    first();
    (await pending)();
    expect(second).toBe(true);
    for (let i = 0; i < 100; i++) limiter.succeeded();
    expect(limiter.limit).toBe(8);
  });
});

describe('PerMinuteBudget', () => {
  it('waits for the bucket to refill', async () => {
    let now = 0;
    const slept: number[] = [];
    const budget = new PerMinuteBudget(60, () => now);
    const sleep = async (ms: number) => {
      slept.push(ms);
      now += ms;
    };
    for (let i = 0; i < 60; i++) await budget.take(1, sleep);
    expect(slept).toEqual([]);
    await budget.take(2, sleep);
    expect(now).toBeGreaterThanOrEqual(2000);
    budget.refund(10);
    await budget.take(10, sleep);
    expect(now).toBeLessThan(2100);
  });
});
