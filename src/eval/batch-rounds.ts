import {
  endpointIdentity,
  type LlmClient,
  requestKey,
  type SampleOutcome,
  type SampleRequest,
  sampleWithBatch,
} from '../llm/index.js';
import type { Summary } from '../runs/index.js';
import { NxtError } from '../shared/index.js';

export interface BatchRoundsOptions {
  pollIntervalMs?: number;
  /** Each poll of the running batch, and each round's number of requests. */
  onPoll?: (status: { batchId: string; status: string; completed: number; total: number }) => void;
  onRound?: (round: number, requests: number) => void;
}

/**
 * A run whose model calls go through the Batch API, one batch per round. In a round the run sees a
 * client that answers only from the sample cache: a request it cannot answer is noted and its samples
 * are missing for now (the engine records nothing for them). The round's requests then go out as one
 * batch, whose answers land in the cache, and the run resumes: samples answered now are judged, and a
 * multi-turn conversation gets as far as the cache goes, so its next turns make the next round's batch.
 * Ends when a round asks for nothing (or only for what the last batch failed to answer: those samples
 * stay missing, and running again retries them). A process killed while a batch runs finds the same
 * batch again (sampleWithBatch records its id in the cache) when the same command runs again.
 */
export async function inBatchRounds(
  client: LlmClient,
  run: (client: LlmClient) => Promise<Summary>,
  options: BatchRoundsOptions = {},
): Promise<Summary> {
  const cache = client.cache;
  if (!cache) throw new NxtError('llm-batch', 'batch sampling needs the sample cache (do not combine with --no-cache)');
  let previous = new Set<string>();
  for (let round = 1; ; round++) {
    const wanted = new Map<string, SampleRequest>();
    const cacheOnly = (request: SampleRequest): Promise<SampleOutcome[]> => {
      const key = requestKey(client.spec.api, client.spec.model, request, endpointIdentity(client.spec));
      const outcomes = Array.from({ length: request.n }, (_, index): SampleOutcome => {
        const sample = cache.get(key, index);
        if (sample) return { index, status: 'ok', sample, cached: true };
        wanted.set(key, request);
        return {
          index,
          status: 'failed',
          error: { code: 'llm-batch-pending', status: null, message: 'waiting for the batch', attempts: 0 },
        };
      });
      return Promise.resolve(outcomes);
    };
    const roundClient = new Proxy(client, {
      get: (target, property, receiver) =>
        property === 'sample' ? cacheOnly : Reflect.get(target, property, receiver),
    });
    const summary = await run(roundClient);
    const keys = new Set(wanted.keys());
    const stuck = keys.size > 0 && [...keys].every((key) => previous.has(key));
    if (keys.size === 0 || stuck) return summary;
    options.onRound?.(round, keys.size);
    await sampleWithBatch(client, [...wanted.values()], {
      ...(options.pollIntervalMs === undefined ? {} : { pollIntervalMs: options.pollIntervalMs }),
      ...(options.onPoll ? { onPoll: options.onPoll } : {}),
    });
    previous = keys;
  }
}
