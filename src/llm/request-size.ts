import type { SampleRequest } from './types.js';

/** A request's likely size in tokens (4 characters a token, answers of `maxTokens` or 256): for rate limits. */
export function estimateTokens(request: SampleRequest, n: number): number {
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
