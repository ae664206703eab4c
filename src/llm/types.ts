import { z } from 'zod';

export const ChatMessageSchema = z.object({
  role: z.enum(['system', 'user', 'assistant']),
  content: z.string(),
});
export type ChatMessage = z.infer<typeof ChatMessageSchema>;

/** What to sample. Everything here changes the output, so everything here is in the cache key. */
export interface SampleRequest {
  /** Chat messages (chat API) ... */
  messages?: readonly ChatMessage[];
  /** ... or a plain prompt (completions API). */
  prompt?: string;
  /** Samples wanted: indices 0..n-1. */
  n: number;
  temperature?: number;
  topP?: number;
  maxTokens?: number;
  stop?: readonly string[];
  seed?: number;
  /**
   * Part of the cache key only, never sent: requests that are the same text but must not share
   * answers (the follow-up turns of two samples whose conversations happen to be equal).
   */
  salt?: string;
}

export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
}

export const SampleSchema = z.object({
  index: z.number().int().nonnegative(),
  text: z.string(),
  finishReason: z.string().nullable(),
  /** This sample's share of the request's usage (a request with `n` reports usage once). */
  usage: z.object({ promptTokens: z.number(), completionTokens: z.number() }),
  model: z.string(),
});
export type Sample = z.infer<typeof SampleSchema>;

/** One sample slot: a sample, or why there is none. Failures are data, not exceptions. */
export type SampleOutcome =
  | { index: number; status: 'ok'; sample: Sample; cached: boolean }
  | {
      index: number;
      status: 'failed';
      error: { code: string; status: number | null; message: string; attempts: number };
    };
