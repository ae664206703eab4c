import type { Price } from './spec.js';

/** When the list prices below were taken from OpenAI's pricing page; they change, so they are dated. */
export const OPENAI_PRICES_AS_OF = '2025-08';

/**
 * OpenAI's published standard-tier prices, dollars per million tokens (input, output), for models people
 * commonly evaluate. Used only for models served by api.openai.com that have no price in nxt.config.json,
 * which always wins ("prices": {"gpt-4o-mini": {...}}). The Batch API is billed at half of these.
 */
export const OPENAI_PRICES: Readonly<Record<string, Price>> = {
  'gpt-5': { inputPerMTok: 1.25, outputPerMTok: 10 },
  'gpt-5-mini': { inputPerMTok: 0.25, outputPerMTok: 2 },
  'gpt-5-nano': { inputPerMTok: 0.05, outputPerMTok: 0.4 },
  'gpt-4.1': { inputPerMTok: 2, outputPerMTok: 8 },
  'gpt-4.1-mini': { inputPerMTok: 0.4, outputPerMTok: 1.6 },
  'gpt-4.1-nano': { inputPerMTok: 0.1, outputPerMTok: 0.4 },
  'gpt-4o': { inputPerMTok: 2.5, outputPerMTok: 10 },
  'gpt-4o-mini': { inputPerMTok: 0.15, outputPerMTok: 0.6 },
  o3: { inputPerMTok: 2, outputPerMTok: 8 },
  'o3-mini': { inputPerMTok: 1.1, outputPerMTok: 4.4 },
  'o4-mini': { inputPerMTok: 1.1, outputPerMTok: 4.4 },
  'gpt-3.5-turbo': { inputPerMTok: 0.5, outputPerMTok: 1.5 },
};
