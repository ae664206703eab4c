import type OpenAI from 'openai';
import { Accounting, type AccountingSnapshot } from './accounting.js';
import type { SampleCache } from './cache.js';
import { endpointIdentity, requestKey } from './cache-key.js';
import { type CallResult, type Choice, createEndpoint, type Endpoint } from './endpoint.js';
import { classifyError, LlmApiError } from './errors.js';
import { callWithRetries, type RetryContext } from './retry.js';
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

/** A client's options resolved once, and what it learns while it runs. */
interface ClientState extends RetryContext {
  readonly cache: SampleCache | null;
  /** Samples being fetched, by request key and index: identical requests in flight are made once. */
  readonly inflight: Map<string, Promise<SampleOutcome>>;
  /** Whether the server honours `n` (learnt from its answers when `auto`). */
  supportsN: boolean | 'auto';
}

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function resolveState(spec: ModelSpec, options: LlmClientOptions): ClientState {
  const now = options.now ?? Date.now;
  return {
    spec,
    accounting: new Accounting({ price: spec.price, budgetUsd: options.budgetUsd }),
    endpoints: spec.baseUrls.map((baseUrl) =>
      createEndpoint(spec, baseUrl, { now, ...(options.fetch ? { fetch: options.fetch } : {}) }),
    ),
    sleep: options.sleep ?? wait,
    now,
    random: options.random ?? Math.random,
    fatal: null,
    cache: options.cache ?? null,
    inflight: new Map(),
    supportsN: spec.supportsN,
  };
}

/** Creates a client for `spec`: replicas, adaptive concurrency, rate limits, one retry layer, the cache. */
export function createLlmClient(spec: ModelSpec, options: LlmClientOptions = {}): LlmClient {
  const state = resolveState(spec, options);
  return {
    spec,
    sample: (request) => sample(state, request),
    stats: () => state.accounting.snapshot(),
    concurrencyLimits: () => state.endpoints.map((endpoint) => endpoint.concurrency.limit),
    get overBudget() {
      return state.accounting.overBudget;
    },
    sdk: (state.endpoints[0] as Endpoint).sdk,
    cache: state.cache,
    accounting: state.accounting,
  };
}

/** Every sample of `request`: from the cache, from an identical request in flight, or fetched. */
async function sample(state: ClientState, request: SampleRequest): Promise<SampleOutcome[]> {
  if (state.fatal) throw state.fatal;
  if (!Number.isInteger(request.n) || request.n < 1)
    throw new LlmApiError(`n must be a positive integer, got ${request.n}`, {
      status: null,
      isRetryable: false,
      code: 'usage',
    });
  const key = requestKey(state.spec.api, state.spec.model, request, endpointIdentity(state.spec));
  const outcomes: Promise<SampleOutcome>[] = [];
  const missing: number[] = [];
  for (let index = 0; index < request.n; index++) {
    const known = lookUp(state, key, index);
    if (known) outcomes.push(known);
    else missing.push(index);
  }
  if (missing.length > 0) outcomes.push(...fetchShared(state, key, request, missing));
  const settled = await Promise.all(outcomes);
  return settled.sort((a, b) => a.index - b.index);
}

/** Sample `index` from the cache or from an identical request in flight, or null (counted as a miss). */
function lookUp(state: ClientState, key: string, index: number): Promise<SampleOutcome> | null {
  const cached = state.cache?.get(key, index);
  if (cached) {
    state.accounting.cacheHits += 1;
    return Promise.resolve({ index, status: 'ok', sample: cached, cached: true });
  }
  const pending = state.inflight.get(`${key}:${index}`);
  if (pending) {
    state.accounting.shared += 1;
    return pending;
  }
  state.accounting.cacheMisses += 1;
  return null;
}

/** Fetches `missing`, each of them shared with identical requests while it is in flight. */
function fetchShared(
  state: ClientState,
  key: string,
  request: SampleRequest,
  missing: number[],
): Promise<SampleOutcome>[] {
  const fetched = fetchMissing(state, key, request, missing);
  return missing.map((index) => {
    const slot = `${key}:${index}`;
    const outcome = fetched.then((results) => results.get(index) ?? failure(state.spec, index, new Error('no result')));
    state.inflight.set(slot, outcome);
    outcome.finally(() => state.inflight.delete(slot)).catch(() => {});
    return outcome;
  });
}

/** Fetches `indices` of `request`: one request with `n` when the server honours it, else one each. */
async function fetchMissing(
  state: ClientState,
  key: string,
  request: SampleRequest,
  indices: number[],
): Promise<Map<number, SampleOutcome>> {
  const results = new Map<number, SampleOutcome>();
  let remaining = indices;
  if (remaining.length > 1 && state.supportsN !== false) {
    const left = await fetchWithN(state, key, request, remaining, results);
    if (left === null) return results;
    remaining = left;
  }
  await Promise.all(remaining.map((index) => fetchOne(state, key, request, index, results)));
  return results;
}

/**
 * One request for all of `indices` with `n`. Returns the indices still to fetch one by one (a server
 * that gave fewer choices, or refused `n` with a 400 while `supportsN` was `auto`, then no longer gets
 * `n`), or null when the request failed for all of them.
 */
async function fetchWithN(
  state: ClientState,
  key: string,
  request: SampleRequest,
  indices: number[],
  results: Map<number, SampleOutcome>,
): Promise<number[] | null> {
  try {
    const result = await callWithRetries(state, request, indices.length, request.seed);
    const got = result.choices.slice(0, indices.length);
    for (const [j, choice] of got.entries()) {
      const index = indices[j] as number;
      results.set(index, store(state, key, index, choice, result, got.length));
    }
    state.supportsN = got.length >= indices.length;
    return indices.slice(got.length);
  } catch (error) {
    if (error instanceof LlmApiError && error.isFatal) throw error;
    if (error instanceof LlmApiError && error.status === 400 && state.supportsN === 'auto') {
      state.supportsN = false;
      return indices;
    }
    for (const index of indices) results.set(index, failure(state.spec, index, error));
    return null;
  }
}

/** Sample `index` on its own request (seed + index, so each differs). */
async function fetchOne(
  state: ClientState,
  key: string,
  request: SampleRequest,
  index: number,
  results: Map<number, SampleOutcome>,
): Promise<void> {
  const seed = request.seed === undefined ? undefined : request.seed + index;
  try {
    const result = await callWithRetries(state, request, 1, seed);
    results.set(index, store(state, key, index, result.choices[0] as Choice, result, 1));
  } catch (error) {
    if (error instanceof LlmApiError && error.isFatal) throw error;
    results.set(index, failure(state.spec, index, error));
  }
}

/** One choice as sample `index` (its share of the request's usage), written to the cache as it arrives. */
function store(
  state: ClientState,
  key: string,
  index: number,
  choice: Choice,
  result: CallResult,
  share: number,
): SampleOutcome {
  const sample: Sample = {
    index,
    text: choice.text,
    finishReason: choice.finishReason,
    usage: { promptTokens: result.promptTokens / share, completionTokens: result.completionTokens / share },
    model: result.model,
  };
  state.cache?.put(key, [sample], state.spec.model);
  return { index, status: 'ok', sample, cached: false };
}

function failure(spec: ModelSpec, index: number, error: unknown): SampleOutcome {
  const api =
    error instanceof LlmApiError ? error : classifyError(error, { model: spec.model, baseUrl: spec.baseUrls[0] ?? '' });
  const attempts = (api as LlmApiError & { attempts?: number }).attempts ?? 1;
  return { index, status: 'failed', error: { code: api.code, status: api.status, message: api.message, attempts } };
}
