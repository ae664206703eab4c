import { createHash } from 'node:crypto';
import type { SampleRequest } from './types.js';

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return Object.fromEntries(entries.map(([key, item]) => [key, canonical(item)]));
  }
  return value;
}

/**
 * What serves a model, for the cache: the explicit `cacheKey` when the spec has one (replicas or
 * moves of the same weights), else the set of base URLs. The same model name at another server (a new
 * checkpoint under the same served name, another Ollama tag) is another model.
 */
export function endpointIdentity(spec: { baseUrls: readonly string[]; cacheKey?: string | undefined }): string {
  return (
    spec.cacheKey ??
    [...spec.baseUrls]
      .map((url) => url.replace(/\/+$/, ''))
      .sort()
      .join(' ')
  );
}

/**
 * The cache identity of a request, without its sample count: everything that changes the output
 * (endpoint, API, model, messages or prompt, sampling parameters) and nothing that does not
 * (timeouts, concurrency, retries, which replica answers). A sample's key is this plus its index.
 */
export function requestKey(
  api: 'chat' | 'completions',
  model: string,
  request: SampleRequest,
  endpoint: string,
): string {
  const identity = canonical({
    v: 2,
    endpoint,
    api,
    model,
    messages: request.messages?.map((message) => ({ role: message.role, content: message.content })),
    prompt: request.prompt,
    temperature: request.temperature,
    topP: request.topP,
    maxTokens: request.maxTokens,
    stop: request.stop ? [...request.stop] : undefined,
    seed: request.seed,
    salt: request.salt,
  });
  return createHash('sha256').update(JSON.stringify(identity)).digest('hex');
}
