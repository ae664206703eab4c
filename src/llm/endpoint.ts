import OpenAI from 'openai';
import { AdaptiveConcurrency, PerMinuteBudget } from './limiter.js';
import type { ModelSpec } from './spec.js';
import type { SampleRequest } from './types.js';

/** One base URL of a model: its SDK client, its concurrency and rate limits, and its health. */
export interface Endpoint {
  baseUrl: string;
  sdk: OpenAI;
  concurrency: AdaptiveConcurrency;
  requests: PerMinuteBudget | null;
  tokens: PerMinuteBudget | null;
  /** Until when it is avoided after failures (ms since the epoch, by the client's clock). */
  downUntil: number;
  /** Failures in a row (server errors, network), which lengthen `downUntil`. */
  failures: number;
}

export interface Choice {
  text: string;
  finishReason: string | null;
}

/** One answered request: its choices in index order, its usage and the model that answered. */
export interface CallResult {
  choices: Choice[];
  promptTokens: number;
  completionTokens: number;
  model: string;
}

export function createEndpoint(
  spec: ModelSpec,
  baseUrl: string,
  options: { fetch?: typeof fetch; now: () => number },
): Endpoint {
  return {
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
    requests: spec.requestsPerMinute ? new PerMinuteBudget(spec.requestsPerMinute, options.now) : null,
    tokens: spec.tokensPerMinute ? new PerMinuteBudget(spec.tokensPerMinute, options.now) : null,
    downUntil: 0,
    failures: 0,
  };
}

/** The least loaded endpoint that is up, or the one that comes back first when none is. */
export function pickEndpoint(endpoints: readonly Endpoint[], time: number): Endpoint {
  const up = endpoints.filter((endpoint) => endpoint.downUntil <= time);
  const pool = up.length > 0 ? up : [...endpoints].sort((a, b) => a.downUntil - b.downUntil).slice(0, 1);
  const load = (endpoint: Endpoint) =>
    (endpoint.concurrency.active + endpoint.concurrency.waiting) / endpoint.concurrency.limit;
  return pool.reduce((best, endpoint) => (load(endpoint) < load(best) ? endpoint : best));
}

/** The sampling parameters of a request, as the OpenAI API spells them. */
function samplingParams(spec: ModelSpec, request: SampleRequest, n: number, seed: number | undefined) {
  return {
    model: spec.model,
    ...(n > 1 ? { n } : {}),
    ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
    ...(request.topP === undefined ? {} : { top_p: request.topP }),
    ...(request.maxTokens === undefined ? {} : { max_tokens: request.maxTokens }),
    ...(request.stop ? { stop: [...request.stop] } : {}),
    ...(seed === undefined ? {} : { seed }),
  };
}

/** Sends one request to `endpoint` (no retry: see retry.ts), on the completions or the chat API. */
export async function send(
  endpoint: Endpoint,
  spec: ModelSpec,
  request: SampleRequest,
  n: number,
  seed: number | undefined,
): Promise<CallResult> {
  const common = samplingParams(spec, request, n, seed);
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
