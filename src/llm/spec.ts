import { z } from 'zod';

/** Dollars per million tokens. */
export const PriceSchema = z.strictObject({
  inputPerMTok: z.number().nonnegative(),
  outputPerMTok: z.number().nonnegative(),
});
export type Price = z.infer<typeof PriceSchema>;

/**
 * Where a model is served and how hard to push it. The CLI builds these from flags, environment and the
 * config file; everything here is already resolved (the key is a value, not a variable name).
 */
export const ModelSpecSchema = z.strictObject({
  /** The model name the server expects. */
  model: z.string().min(1),
  /** One or more base URLs serving the same model (replicas share load and fail over). */
  baseUrls: z.array(z.url()).min(1),
  apiKey: z.string().min(1),
  headers: z.record(z.string(), z.string()).default({}),
  /** `chat` for chat completions, `completions` for base models on /v1/completions. */
  api: z.enum(['chat', 'completions']).default('chat'),
  /** Most requests in flight per base URL (it shrinks on 429 and grows back). */
  concurrency: z.number().int().positive().default(16),
  requestsPerMinute: z.number().positive().optional(),
  tokensPerMinute: z.number().positive().optional(),
  /** Whether the server honours `n`; `auto` tries it and falls back to one request per sample. */
  supportsN: z.union([z.boolean(), z.literal('auto')]).default('auto'),
  timeoutMs: z.number().int().positive().default(120_000),
  maxAttempts: z.number().int().positive().default(6),
  /** Backoff before retry k is a random delay in [0, min(maxBackoffMs, baseBackoffMs × 2^k)]. */
  baseBackoffMs: z.number().nonnegative().default(500),
  maxBackoffMs: z.number().nonnegative().default(30_000),
  price: PriceSchema.optional(),
  /**
   * The cache's name for what this model serves. Default: its base URLs, so the same model name at
   * another server is never answered from the cache. Give two specs the same `cacheKey` when they
   * serve the same weights (replicas moved to new hosts) and their answers may be shared.
   */
  cacheKey: z.string().min(1).optional(),
});
export type ModelSpec = z.output<typeof ModelSpecSchema>;
export type ModelSpecInput = z.input<typeof ModelSpecSchema>;
