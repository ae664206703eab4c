export { Accounting, type AccountingSnapshot } from './accounting.js';
export { type BatchOptions, sampleWithBatch } from './batch.js';
export { type BatchRecord, type CacheStats, SampleCache } from './cache.js';
export { endpointIdentity, requestKey } from './cache-key.js';
export { createLlmClient, type LlmClient, type LlmClientOptions } from './client.js';
export { classifyError, LlmApiError, retryAfterMs } from './errors.js';
export { type FineTuneEvent, type FineTuneJobRequest, FineTuner } from './fine-tune.js';
export { OPENAI_PRICES, OPENAI_PRICES_AS_OF } from './prices.js';
export { type ModelSpec, type ModelSpecInput, ModelSpecSchema, type Price, PriceSchema } from './spec.js';
export {
  type ChatMessage,
  ChatMessageSchema,
  type Sample,
  type SampleOutcome,
  type SampleRequest,
  SampleSchema,
  type TokenUsage,
} from './types.js';
