import { createHash } from 'node:crypto';
import { toFile } from 'openai';
import { z } from 'zod';
import { formatJsonLines, NxtError, parseJsonLines } from '../shared/index.js';
import { endpointIdentity, requestKey } from './cache-key.js';
import type { LlmClient } from './client.js';
import { worstCaseTokens } from './request-size.js';
import type { Sample, SampleOutcome, SampleRequest } from './types.js';

export interface BatchOptions {
  pollIntervalMs?: number;
  /** Called after every poll with the batch's status and counts. */
  onPoll?: (status: { batchId: string; status: string; completed: number; total: number }) => void;
  sleep?: (ms: number) => Promise<void>;
}

const TERMINAL = new Set(['completed', 'failed', 'expired', 'cancelled']);

interface Line {
  customId: string;
  key: string;
  indices: number[];
  body: Record<string, unknown>;
}

function body(client: LlmClient, request: SampleRequest, n: number): Record<string, unknown> {
  const spec = client.spec;
  return {
    model: spec.model,
    ...(spec.api === 'chat' ? { messages: request.messages ?? [] } : { prompt: request.prompt ?? '' }),
    ...(n > 1 ? { n } : {}),
    ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
    ...(request.topP === undefined ? {} : { top_p: request.topP }),
    ...(request.maxTokens === undefined ? {} : { max_tokens: request.maxTokens }),
    ...(request.stop ? { stop: [...request.stop] } : {}),
    ...(request.seed === undefined ? {} : { seed: request.seed }),
  };
}

/** A line of the batch's output file: only what is read of it (an external response, checked). */
const OutputLineSchema = z.object({
  custom_id: z.string(),
  response: z.object({ status_code: z.number(), body: z.record(z.string(), z.unknown()).optional() }).nullish(),
});
type OutputLine = z.infer<typeof OutputLineSchema>;

function samplesOf(line: Line, output: OutputLine, chat: boolean): Sample[] {
  const response = output.response?.body as
    | {
        model?: string;
        usage?: { prompt_tokens?: number; completion_tokens?: number };
        choices?: Record<string, unknown>[];
      }
    | undefined;
  if (!response || output.response?.status_code !== 200) return [];
  const choices = [...(response.choices ?? [])].sort((a, b) => Number(a['index']) - Number(b['index']));
  const share = Math.max(1, Math.min(choices.length, line.indices.length));
  return choices.slice(0, line.indices.length).map((choice, j) => ({
    index: line.indices[j] as number,
    text: chat
      ? String((choice['message'] as { content?: string } | undefined)?.content ?? '')
      : String(choice['text'] ?? ''),
    finishReason: (choice['finish_reason'] as string | undefined) ?? null,
    usage: {
      promptTokens: (response.usage?.prompt_tokens ?? 0) / share,
      completionTokens: (response.usage?.completion_tokens ?? 0) / share,
    },
    model: response.model ?? '',
  }));
}

/**
 * Samples `requests` through the OpenAI Batch API (half price, up to 24 h): writes the batch file,
 * uploads it, creates the batch, polls, downloads the output and fills the cache. Only samples missing
 * from the cache are asked for. The batch id is recorded in the cache before polling, so a process that
 * crashes while waiting resumes the same batch when run again with the same requests.
 */
export async function sampleWithBatch(
  client: LlmClient,
  requests: readonly SampleRequest[],
  options: BatchOptions = {},
): Promise<SampleOutcome[][]> {
  const cache = client.cache;
  if (!cache) throw new NxtError('llm-batch', 'the Batch API needs the sample cache: its results arrive there');
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const spec = client.spec;
  const keys = requests.map((request) => requestKey(spec.api, spec.model, request, endpointIdentity(spec)));
  const lines: Line[] = [];
  requests.forEach((request, position) => {
    const key = keys[position] as string;
    const indices = Array.from({ length: request.n }, (_, index) => index).filter((index) => !cache.get(key, index));
    if (indices.length === 0 || lines.some((line) => line.key === key)) return;
    lines.push({ customId: `${key}|${indices.join(',')}`, key, indices, body: body(client, request, indices.length) });
  });
  const { sent, heldUsd } = withinBudget(client, lines, requests, keys);
  try {
    if (sent.length > 0) await runBatch(client, sent, options, sleep);
  } finally {
    for (const usd of heldUsd) client.accounting.release(usd);
  }
  const held = new Set(lines.filter((line) => !sent.includes(line)).map((line) => line.key));
  const notSent = {
    code: 'budget',
    status: null,
    message: 'not sent: the budget cannot cover the worst case of this request on top of the batch',
    attempts: 0,
  };
  const notReturned = { code: 'llm-batch', status: null, message: 'the batch did not return this sample', attempts: 1 };
  return requests.map((request, position) =>
    Array.from({ length: request.n }, (_, index): SampleOutcome => {
      const key = keys[position] as string;
      const sample = cache.get(key, index);
      if (sample) return { index, status: 'ok', sample, cached: true };
      return { index, status: 'failed', error: held.has(key) ? notSent : notReturned };
    }),
  );
}

/**
 * The lines whose worst case (at the Batch API's half price) the budget can hold, in order, and what each
 * holds. The first line that does not fit stops the run's spending: it and the rest are not sent.
 */
function withinBudget(
  client: LlmClient,
  lines: Line[],
  requests: readonly SampleRequest[],
  keys: string[],
): { sent: Line[]; heldUsd: number[] } {
  const sent: Line[] = [];
  const heldUsd: number[] = [];
  for (const line of lines) {
    const request = requests[keys.indexOf(line.key)] as SampleRequest;
    const worst = worstCaseTokens(request, line.indices.length);
    const usd = client.accounting.costOf(worst.promptTokens, worst.completionTokens, 0.5);
    if (!client.accounting.tryReserve(usd)) {
      client.accounting.refusedForBudget += 1;
      break;
    }
    sent.push(line);
    heldUsd.push(usd);
  }
  return { sent, heldUsd };
}

async function runBatch(
  client: LlmClient,
  lines: Line[],
  options: BatchOptions,
  sleep: (ms: number) => Promise<void>,
): Promise<void> {
  const cache = client.cache as NonNullable<LlmClient['cache']>;
  const sdk = client.sdk;
  const endpoint = client.spec.api === 'chat' ? '/v1/chat/completions' : '/v1/completions';
  const jobKey = createHash('sha256')
    .update(
      lines
        .map((line) => line.customId)
        .sort()
        .join('\n'),
    )
    .digest('hex');
  let batchId = cache.getBatch(jobKey)?.batchId;
  let batch = batchId ? await sdk.batches.retrieve(batchId) : null;
  if (!batch || ['failed', 'expired', 'cancelled'].includes(batch.status)) {
    const jsonl = formatJsonLines(
      lines.map((line) => ({ custom_id: line.customId, method: 'POST', url: endpoint, body: line.body })),
    );
    const file = await sdk.files.create({
      file: await toFile(Buffer.from(jsonl), 'nxt-batch.jsonl'),
      purpose: 'batch',
    });
    batch = await sdk.batches.create({ input_file_id: file.id, endpoint, completion_window: '24h' });
    batchId = batch.id;
    cache.putBatch({ jobKey, batchId, status: batch.status });
  }
  while (!TERMINAL.has(batch.status)) {
    await sleep(options.pollIntervalMs ?? 30_000);
    batch = await sdk.batches.retrieve(batch.id);
    cache.putBatch({ jobKey, batchId: batch.id, status: batch.status });
    options.onPoll?.({
      batchId: batch.id,
      status: batch.status,
      completed: batch.request_counts?.completed ?? 0,
      total: batch.request_counts?.total ?? lines.length,
    });
  }
  if (!batch.output_file_id) return;
  const text = await (await sdk.files.content(batch.output_file_id)).text();
  const byId = new Map(lines.map((line) => [line.customId, line]));
  const outputs = parseJsonLines(text, OutputLineSchema, {
    from: `the batch's output file ${batch.output_file_id}`,
    code: 'llm-batch',
  });
  for (const { record: output } of outputs.records) {
    const line = byId.get(output.custom_id);
    if (!line) continue;
    const samples = samplesOf(line, output, client.spec.api === 'chat');
    const usage = (
      output.response?.body as { usage?: { prompt_tokens?: number; completion_tokens?: number } } | undefined
    )?.usage;
    if (samples.length > 0) client.accounting.addUsage(usage?.prompt_tokens ?? 0, usage?.completion_tokens ?? 0, 0.5);
    cache.put(line.key, samples, client.spec.model);
  }
}
