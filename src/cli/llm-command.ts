import type { CacheStats } from '../llm/index.js';
import { UsageError } from '../shared/index.js';
import type { CacheFlags, PingFlags, SampleFlags } from './command-flags.js';
import { cachePath, checkBudget, loadConfig, resolveModel } from './config.js';
import { readText } from './inputs.js';
import type { CliIo } from './io.js';

/** `nxt llm ping`: for each base URL, is it reachable, is the key accepted, does the model answer, and how fast. */
export async function pingCommand(flags: PingFlags, io: CliIo): Promise<number> {
  const { createLlmClient, ModelSpecSchema, classifyError } = await import('../llm/index.js');
  const config = loadConfig(flags.config, io.cwd, io.env);
  const spec = resolveModel(flags.model, config, io.env);
  let failures = 0;
  for (const baseUrl of spec.baseUrls) {
    const single = ModelSpecSchema.parse({
      ...spec,
      baseUrls: [baseUrl],
      maxAttempts: 1,
      timeoutMs: Math.min(spec.timeoutMs, 30_000),
    });
    const client = createLlmClient(single);
    const started = performance.now();
    let listed = 'not listed';
    try {
      const models = await client.sdk.models.list();
      const ids = models.data.map((model) => model.id);
      listed = ids.includes(spec.model)
        ? 'listed'
        : `not among the ${ids.length} models listed: ${ids.slice(0, 20).join(', ')}${ids.length > 20 ? ', ...' : ''}`;
    } catch (error) {
      const classified = classifyError(error, { model: spec.model, baseUrl });
      if (classified.status === 401 || classified.status === null) {
        io.stdout(`FAIL  ${baseUrl}  ${classified.message}\n`);
        failures += 1;
        continue;
      }
      listed = 'model list unavailable';
    }
    const listMs = performance.now() - started;
    const [outcome] = await client
      .sample({
        ...(spec.api === 'chat' ? { messages: [{ role: 'user', content: 'Say OK.' }] } : { prompt: 'OK' }),
        n: 1,
        maxTokens: 2,
      })
      .catch((error: Error) => [
        {
          index: 0,
          status: 'failed' as const,
          error: { code: 'llm', status: null, message: error.message, attempts: 1 },
        },
      ]);
    const totalMs = performance.now() - started;
    if (outcome?.status === 'ok') {
      io.stdout(
        `ok    ${baseUrl}  model ${spec.model} (${listed}) answered in ${Math.round(totalMs - listMs)} ms; model list ${Math.round(listMs)} ms\n`,
      );
    } else {
      failures += 1;
      io.stdout(
        `FAIL  ${baseUrl}  model ${spec.model} (${listed}): ${outcome?.status === 'failed' ? outcome.error.message : 'no answer'}\n`,
      );
    }
  }
  return failures === 0 ? 0 : 1;
}

/** `nxt llm sample`: samples a prompt file n times, through the cache. */
export async function sampleCommand(flags: SampleFlags, io: CliIo): Promise<number> {
  const { createLlmClient, SampleCache } = await import('../llm/index.js');
  const { samples: n, temperature, maxTokens, seed, budget } = flags;
  const prompt = await readText(flags.promptFile, io.cwd, 'prompt file');
  const config = loadConfig(flags.config, io.cwd, io.env);
  const spec = resolveModel(flags.model, config, io.env);
  checkBudget(budget, spec, maxTokens);
  const cache = flags.noCache ? null : SampleCache.open(cachePath(flags.cache, config, io.env, io.cwd));
  try {
    const client = createLlmClient(spec, { cache, ...(budget === undefined ? {} : { budgetUsd: budget }) });
    const outcomes = await client.sample({
      ...(spec.api === 'chat' ? { messages: [{ role: 'user', content: prompt }] } : { prompt }),
      n,
      ...(temperature === undefined ? {} : { temperature }),
      ...(maxTokens === undefined ? {} : { maxTokens }),
      ...(seed === undefined ? {} : { seed }),
    });
    for (const outcome of outcomes) {
      if (flags.json) io.stdout(`${JSON.stringify(outcome)}\n`);
      else if (outcome.status === 'ok')
        io.stdout(
          `--- sample ${outcome.index}${outcome.cached ? ' (cached)' : ''} [${outcome.sample.finishReason ?? '?'}]\n${outcome.sample.text}\n`,
        );
      else
        io.stdout(
          `--- sample ${outcome.index} FAILED after ${outcome.error.attempts} attempts: ${outcome.error.message}\n`,
        );
    }
    const stats = client.stats();
    const cost = stats.costUsd === null ? 'no price set' : `$${stats.costUsd.toFixed(4)}`;
    io.stderr(
      `nxt: ${outcomes.filter((item) => item.status === 'ok').length}/${n} samples; ${stats.cacheHits} from cache, ${stats.requests} requests (${stats.retries} retries); tokens ${stats.promptTokens} in / ${stats.completionTokens} out; ${cost}\n`,
    );
    return outcomes.every((item) => item.status === 'ok') ? 0 : 1;
  } finally {
    cache?.close();
  }
}

/** `nxt cache stats|clear`. */
export async function cacheCommand(action: string, flags: CacheFlags, io: CliIo): Promise<number> {
  if (action !== 'stats' && action !== 'clear')
    throw new UsageError(`unknown cache action '${action}': use stats or clear`);
  if (action === 'stats' && flags.model !== undefined)
    throw new UsageError('--model selects what nxt cache clear deletes; nxt cache stats lists every model');
  const { SampleCache } = await import('../llm/index.js');
  const config = loadConfig(flags.config, io.cwd, io.env);
  const cache = SampleCache.open(cachePath(flags.cache, config, io.env, io.cwd));
  try {
    const stats = cache.stats();
    if (action === 'clear') return clearCache(cache, stats, flags, io);
    const models = stats.models.map((entry) => `  ${String(entry.samples).padStart(8)}  ${entry.model}`);
    io.stdout(
      `cache     ${stats.path}\nsamples   ${stats.samples}\nrequests  ${stats.requests}\nbatches   ${stats.batches}\n` +
        (models.length > 0 ? `by model\n${models.join('\n')}\n` : ''),
    );
    return 0;
  } finally {
    cache.close();
  }
}

function clearCache(
  cache: { clear(model?: string): number; path: string },
  stats: CacheStats,
  flags: CacheFlags,
  io: CliIo,
): number {
  const { model } = flags;
  const count =
    model === undefined ? stats.samples : (stats.models.find((entry) => entry.model === model)?.samples ?? 0);
  if (model !== undefined && count === 0) {
    const known = stats.models.map((entry) => entry.model).join(', ') || 'none';
    throw new UsageError(`the cache at ${cache.path} holds no samples of model '${model}' (models: ${known})`);
  }
  // The cache holds answers that were paid for: deleting them takes a second word.
  if (!flags.yes) {
    const which = model === undefined ? `all ${count} samples` : `the ${count} samples of model '${model}'`;
    throw new UsageError(
      `this would delete ${which} in ${cache.path} (answers already paid for, which resumed runs read back): run again with --yes to delete them`,
    );
  }
  io.stdout(
    `removed ${cache.clear(model)} samples${model === undefined ? '' : ` of model '${model}'`} from ${cache.path}\n`,
  );
  return 0;
}
