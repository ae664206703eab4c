import OpenAI from 'openai';
import { Accounting, type AccountingSnapshot } from './accounting.js';
import type { SampleCache } from './cache.js';
import { endpointIdentity, requestKey } from './cache-key.js';
import { classifyError, LlmApiError } from './errors.js';
import { AdaptiveConcurrency, PerMinuteBudget } from './limiter.js';
import type { ModelSpec } from './spec.js';
import type { Sample, SampleOutcome, SampleRequest } from './types.js';

/** Samples from one model. Failures after retries are outcomes; a rejected key or unknown model throws. */
export interface LlmClient {
  readonly spec: ModelSpec;
  sample(request: SampleRequest): Promise<SampleOutcome[]>;
  stats(): AccountingSnapshot;
  /** The current concurrency limit of each base URL (it shrinks on 429s and grows back). */
  concurrencyLimits(): number[];
  /** True once the cost budget is spent; further samples fail with code `budget`. */
  readonly overBudget: boolean;
  /** The raw SDK client of the first endpoint (Batch and fine-tuning APIs use it). */
  readonly sdk: OpenAI;
  readonly cache: SampleCache | null;
  readonly accounting: Accounting;
}

export interface LlmClientOptions {
  cache?: SampleCache | null;
  budgetUsd?: number;
  /** Injected for tests: the fetch the SDK uses, and the clock/sleep used for backoff and rate limits. */
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  random?: () => number;
}

interface Endpoint {
  baseUrl: string;
  sdk: OpenAI;
  concurrency: AdaptiveConcurrency;
  requests: PerMinuteBudget | null;
  tokens: PerMinuteBudget | null;
  downUntil: number;
  failures: number;
}

interface Choice {
  text: string;
  finishReason: string | null;
}

interface CallResult {
  choices: Choice[];
  promptTokens: number;
  completionTokens: number;
  model: string;
}

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function estimateTokens(request: SampleRequest, n: number): number {
  const text = request.prompt ?? (request.messages ?? []).map((message) => message.content).join('\n');
  return Math.ceil(text.length / 4) + n * (request.maxTokens ?? 256);
}

/** Tokens a chat template may add per message and around the conversation (roles, separators, priming). */
const TEMPLATE_TOKENS = 32;

/**
 * The most a request can be billed for: a byte-level tokenizer never makes more tokens than the text has
 * UTF-8 bytes, plus template tokens, and the answer is capped at `maxTokens` per choice (no cap: unbounded).
 */
export function worstCaseTokens(request: SampleRequest, n: number): { promptTokens: number; completionTokens: number } {
  const texts = request.prompt !== undefined ? [request.prompt] : (request.messages ?? []).map((m) => m.content);
  const bytes = texts.reduce((sum, text) => sum + Buffer.byteLength(text, 'utf8') + TEMPLATE_TOKENS, TEMPLATE_TOKENS);
  return { promptTokens: bytes, completionTokens: request.maxTokens === undefined ? Infinity : n * request.maxTokens };
}

/** Creates a client for `spec`: replicas, adaptive concurrency, rate limits, one retry layer, the cache. */
export function createLlmClient(spec: ModelSpec, options: LlmClientOptions = {}): LlmClient {
  const sleep = options.sleep ?? wait;
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const cache = options.cache ?? null;
  const accounting = new Accounting({ price: spec.price, budgetUsd: options.budgetUsd });
  const endpoints: Endpoint[] = spec.baseUrls.map((baseUrl) => ({
    baseUrl,
    sdk: new OpenAI({
      apiKey: spec.apiKey,
      baseURL: baseUrl,
      organization: null,
      project: null,
      maxRetries: 0, // the one retry layer is ours
      timeout: spec.timeoutMs,
      defaultHeaders: spec.headers,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    }),
    concurrency: new AdaptiveConcurrency(spec.concurrency),
    requests: spec.requestsPerMinute ? new PerMinuteBudget(spec.requestsPerMinute, now) : null,
    tokens: spec.tokensPerMinute ? new PerMinuteBudget(spec.tokensPerMinute, now) : null,
    downUntil: 0,
    failures: 0,
  }));
  const inflight = new Map<string, Promise<SampleOutcome>>();
  let supportsN = spec.supportsN;
  let fatal: LlmApiError | null = null;

  function pickEndpoint(): Endpoint {
    const time = now();
    const up = endpoints.filter((endpoint) => endpoint.downUntil <= time);
    const pool = up.length > 0 ? up : [...endpoints].sort((a, b) => a.downUntil - b.downUntil).slice(0, 1);
    const load = (endpoint: Endpoint) =>
      (endpoint.concurrency.active + endpoint.concurrency.waiting) / endpoint.concurrency.limit;
    return pool.reduce((best, endpoint) => (load(endpoint) < load(best) ? endpoint : best));
  }

  async function send(
    endpoint: Endpoint,
    request: SampleRequest,
    n: number,
    seed: number | undefined,
  ): Promise<CallResult> {
    const common = {
      model: spec.model,
      ...(n > 1 ? { n } : {}),
      ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
      ...(request.topP === undefined ? {} : { top_p: request.topP }),
      ...(request.maxTokens === undefined ? {} : { max_tokens: request.maxTokens }),
      ...(request.stop ? { stop: [...request.stop] } : {}),
      ...(seed === undefined ? {} : { seed }),
    };
    if (spec.api === 'completions') {
      const response = await endpoint.sdk.completions.create({ ...common, prompt: request.prompt ?? '' });
      const choices = [...(response.choices ?? [])].sort((a, b) => a.index - b.index);
      return {
        choices: choices.map((choice) => ({ text: choice.text ?? '', finishReason: choice.finish_reason ?? null })),
        promptTokens: response.usage?.prompt_tokens ?? 0,
        completionTokens: response.usage?.completion_tokens ?? 0,
        model: response.model ?? spec.model,
      };
    }
    const messages = (request.messages ?? []).map((message) => ({ role: message.role, content: message.content }));
    const response = await endpoint.sdk.chat.completions.create({ ...common, messages });
    const choices = [...(response.choices ?? [])].sort((a, b) => a.index - b.index);
    return {
      choices: choices.map((choice) => ({
        text: choice.message?.content ?? '',
        finishReason: choice.finish_reason ?? null,
      })),
      promptTokens: response.usage?.prompt_tokens ?? 0,
      completionTokens: response.usage?.completion_tokens ?? 0,
      model: response.model ?? spec.model,
    };
  }

  /** One logical request through the retry layer: backoff with jitter, Retry-After, failover. */
  async function call(request: SampleRequest, n: number, seed: number | undefined): Promise<CallResult> {
    for (let attempt = 1; ; attempt++) {
      if (fatal) throw fatal;
      const endpoint = pickEndpoint();
      const release = await endpoint.concurrency.acquire();
      // Only requests about to be sent hold budget: one queued for a connection holds none.
      const worst = worstCaseTokens(request, n);
      const heldUsd = accounting.costOf(worst.promptTokens, worst.completionTokens);
      if (!(await accounting.reserve(heldUsd))) {
        release();
        throw new LlmApiError(budgetMessage(heldUsd), { status: null, isRetryable: false, code: 'budget' });
      }
      const estimate = estimateTokens(request, n);
      try {
        if (endpoint.requests) await endpoint.requests.take(1, sleep);
        if (endpoint.tokens) await endpoint.tokens.take(estimate, sleep);
        accounting.requests += 1;
        const result = await send(endpoint, request, n, seed);
        if (result.choices.length === 0) {
          throw new LlmApiError(`${endpoint.baseUrl} answered with no choices`, {
            status: null,
            isRetryable: true,
            code: 'llm-empty',
          });
        }
        endpoint.tokens?.refund(Math.max(0, estimate - result.promptTokens - result.completionTokens));
        endpoint.concurrency.succeeded();
        endpoint.failures = 0;
        accounting.addUsage(result.promptTokens, result.completionTokens);
        return result;
      } catch (caught) {
        const error = classifyError(caught, { model: spec.model, baseUrl: endpoint.baseUrl });
        if (error.isFatal) {
          fatal = error;
          throw error;
        }
        if (error.status === 429) {
          accounting.throttled += 1;
          endpoint.concurrency.throttled();
        }
        if (error.status === null || (error.status >= 500 && error.status !== 529)) {
          endpoint.failures += 1;
          endpoint.downUntil = now() + Math.min(spec.maxBackoffMs, spec.baseBackoffMs * 2 ** endpoint.failures);
        }
        if (!error.isRetryable || attempt >= spec.maxAttempts) {
          accounting.failedRequests += 1;
          throw Object.assign(error, { attempts: attempt });
        }
        accounting.retries += 1;
        const backoff = random() * Math.min(spec.maxBackoffMs, spec.baseBackoffMs * 2 ** (attempt - 1));
        await sleep(Math.max(backoff, error.retryAfterMs ?? 0));
      } finally {
        release();
        accounting.release(heldUsd);
      }
    }
  }

  function budgetMessage(heldUsd: number): string {
    const spent = `$${accounting.costUsd.toFixed(4)} spent and $${accounting.reservedUsd.toFixed(4)} held for requests in flight`;
    if (!Number.isFinite(heldUsd))
      return 'a request without max_tokens has no worst-case cost, so it cannot be sent under a budget';
    return `the budget of $${accounting.budgetUsd} cannot cover this request's worst case ($${heldUsd.toFixed(4)}) with ${spent}`;
  }

  function failure(index: number, error: unknown): SampleOutcome {
    const api =
      error instanceof LlmApiError
        ? error
        : classifyError(error, { model: spec.model, baseUrl: spec.baseUrls[0] ?? '' });
    const attempts = (api as LlmApiError & { attempts?: number }).attempts ?? 1;
    return { index, status: 'failed', error: { code: api.code, status: api.status, message: api.message, attempts } };
  }

  /** Fetches `indices` of `request`: one request with `n` when the server honours it, else one each. */
  async function fetchMissing(
    key: string,
    request: SampleRequest,
    indices: number[],
  ): Promise<Map<number, SampleOutcome>> {
    const results = new Map<number, SampleOutcome>();
    const store = (index: number, choice: Choice, result: CallResult, share: number) => {
      const sample: Sample = {
        index,
        text: choice.text,
        finishReason: choice.finishReason,
        usage: { promptTokens: result.promptTokens / share, completionTokens: result.completionTokens / share },
        model: result.model,
      };
      cache?.put(key, [sample], spec.model);
      results.set(index, { index, status: 'ok', sample, cached: false });
    };
    let remaining = indices;
    if (remaining.length > 1 && supportsN !== false) {
      try {
        const result = await call(request, remaining.length, request.seed);
        const got = result.choices.slice(0, remaining.length);
        for (const [j, choice] of got.entries()) store(remaining[j] as number, choice, result, got.length);
        if (got.length < remaining.length) supportsN = false;
        else supportsN = true;
        remaining = remaining.slice(got.length);
      } catch (error) {
        if (error instanceof LlmApiError && error.isFatal) throw error;
        if (error instanceof LlmApiError && error.status === 400 && supportsN === 'auto') supportsN = false;
        else {
          for (const index of remaining) results.set(index, failure(index, error));
          return results;
        }
      }
    }
    await Promise.all(
      remaining.map(async (index) => {
        const seed = request.seed === undefined ? undefined : request.seed + index;
        try {
          const result = await call(request, 1, seed);
          store(index, result.choices[0] as Choice, result, 1);
        } catch (error) {
          if (error instanceof LlmApiError && error.isFatal) throw error;
          results.set(index, failure(index, error));
        }
      }),
    );
    return results;
  }

  async function sample(request: SampleRequest): Promise<SampleOutcome[]> {
    if (fatal) throw fatal;
    if (!Number.isInteger(request.n) || request.n < 1)
      throw new LlmApiError(`n must be a positive integer, got ${request.n}`, {
        status: null,
        isRetryable: false,
        code: 'usage',
      });
    const key = requestKey(spec.api, spec.model, request, endpointIdentity(spec));
    const outcomes: Promise<SampleOutcome>[] = [];
    const missing: number[] = [];
    for (let index = 0; index < request.n; index++) {
      const cached = cache?.get(key, index);
      if (cached) {
        accounting.cacheHits += 1;
        outcomes.push(Promise.resolve({ index, status: 'ok', sample: cached, cached: true }));
        continue;
      }
      const pending = inflight.get(`${key}:${index}`);
      if (pending) {
        accounting.shared += 1;
        outcomes.push(pending);
        continue;
      }
      accounting.cacheMisses += 1;
      missing.push(index);
    }
    if (missing.length > 0) {
      const fetched = fetchMissing(key, request, missing);
      for (const index of missing) {
        const slot = `${key}:${index}`;
        const outcome = fetched.then((results) => results.get(index) ?? failure(index, new Error('no result')));
        inflight.set(slot, outcome);
        outcome.finally(() => inflight.delete(slot)).catch(() => {});
        outcomes.push(outcome);
      }
    }
    const settled = await Promise.all(outcomes);
    return settled.sort((a, b) => a.index - b.index);
  }

  return {
    spec,
    sample,
    stats: () => accounting.snapshot(),
    concurrencyLimits: () => endpoints.map((endpoint) => endpoint.concurrency.limit),
    get overBudget() {
      return accounting.overBudget;
    },
    sdk: (endpoints[0] as Endpoint).sdk,
    cache,
    accounting,
  };
}
