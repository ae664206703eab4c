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
 * The cache identity of a request, without its sample count: everything that changes the output (API,
 * model, messages or prompt, sampling parameters) and nothing that does not (timeouts, concurrency,
 * retries, which replica answers). A sample's key is this plus its index.
 */
export function requestKey(api: 'chat' | 'completions', model: string, request: SampleRequest): string {
  const identity = canonical({
    v: 1,
    api,
    model,
    messages: request.messages?.map((message) => ({ role: message.role, content: message.content })),
    prompt: request.prompt,
    temperature: request.temperature,
    topP: request.topP,
    maxTokens: request.maxTokens,
    stop: request.stop ? [...request.stop] : undefined,
    seed: request.seed,
  });
  return createHash('sha256').update(JSON.stringify(identity)).digest('hex');
}
