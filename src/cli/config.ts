import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import {
  type ModelSpec,
  ModelSpecSchema,
  OPENAI_PRICES,
  OPENAI_PRICES_AS_OF,
  type Price,
  PriceSchema,
} from '../llm/index.js';
import { UsageError } from '../shared/index.js';
import { nxtCacheDir } from './cache-dir.js';

/** A model as the config file names it: like a model spec, but with the key's variable, not the key. */
const ModelEntrySchema = z.strictObject({
  model: z.string().min(1),
  baseUrl: z.union([z.url(), z.array(z.url()).min(1)]).optional(),
  apiKeyEnv: z.string().default('OPENAI_API_KEY'),
  headers: z.record(z.string(), z.string()).optional(),
  api: z.enum(['chat', 'completions']).optional(),
  concurrency: z.number().int().positive().optional(),
  requestsPerMinute: z.number().positive().optional(),
  tokensPerMinute: z.number().positive().optional(),
  supportsN: z.union([z.boolean(), z.literal('auto')]).optional(),
  timeoutMs: z.number().int().positive().optional(),
  maxAttempts: z.number().int().positive().optional(),
  price: PriceSchema.optional(),
  /** See ModelSpec.cacheKey: servers with the same cacheKey share cached answers. */
  cacheKey: z.string().min(1).optional(),
});
export type ModelEntry = z.infer<typeof ModelEntrySchema>;

export const ConfigSchema = z.strictObject({
  /** Named models: `--model NAME` looks here first. */
  models: z.record(z.string(), ModelEntrySchema).default({}),
  /** Where the sample cache lives (default: ~/.cache/nxt). */
  cacheDir: z.string().optional(),
  /** Dollars per million tokens by model name, for models without a price of their own. */
  prices: z.record(z.string(), PriceSchema).default({}),
});
export type Config = z.infer<typeof ConfigSchema>;

type Env = Readonly<Record<string, string | undefined>>;

/** Reads the config file: --config, else $NXT_CONFIG, else ./nxt.config.json when it exists. */
export function loadConfig(flag: string | undefined, cwd: string, env: Env): Config {
  const named = flag ?? env['NXT_CONFIG'];
  const path = named ? resolve(cwd, named) : join(cwd, 'nxt.config.json');
  if (!named && !existsSync(path)) return ConfigSchema.parse({});
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(
      `cannot read config file ${path}: ${code === 'ENOENT' ? 'no such file' : (error as Error).message}`,
    );
  }
  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success) throw new UsageError(`config file ${path} is invalid:\n${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

const OPENAI = 'https://api.openai.com/v1';

/**
 * Turns `--model` into a resolved spec: a name from the config file; `NAME@URL[,URL...]` for explicit
 * servers (replicas); or a bare NAME served at $OPENAI_BASE_URL (default OpenAI) with $OPENAI_API_KEY,
 * as the OpenAI SDK does.
 */
export function resolveModel(text: string, config: Config, env: Env, overrides: Partial<ModelSpec> = {}): ModelSpec {
  const entry: ModelEntry = config.models[text] ?? parseModelText(text);
  const baseUrls = entry.baseUrl === undefined ? [env['OPENAI_BASE_URL'] ?? OPENAI] : [entry.baseUrl].flat();
  const key = env[entry.apiKeyEnv];
  if (!key && baseUrls.some((url) => url.startsWith(OPENAI))) {
    throw new UsageError(
      `model '${entry.model}' is served by OpenAI, but ${entry.apiKeyEnv} is not set: export ${entry.apiKeyEnv}=sk-...`,
    );
  }
  const price = entry.price ?? config.prices[entry.model] ?? listPrice(entry.model, baseUrls);
  const { apiKeyEnv: _variable, baseUrl: _url, ...rest } = entry;
  const parsed = ModelSpecSchema.safeParse({
    ...rest,
    baseUrls,
    // Local servers (vLLM, Ollama, llama.cpp) accept any key; the SDK needs a non-empty one.
    apiKey: key || 'no-key',
    ...(price ? { price } : {}),
    ...overrides,
  });
  if (!parsed.success) throw new UsageError(`model '${text}' is not usable:\n${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** OpenAI's dated list price of `model` when OpenAI serves it (every base URL is OpenAI's), else undefined. */
function listPrice(model: string, baseUrls: readonly string[]): Price | undefined {
  if (!baseUrls.every((url) => url.startsWith(OPENAI)) || !Object.hasOwn(OPENAI_PRICES, model)) return undefined;
  return OPENAI_PRICES[model];
}

/**
 * A line saying that `spec`'s price is nxt's dated list price (so a changed price can be overridden),
 * or null when the price came from the config file or there is none.
 */
export function listPriceNote(spec: ModelSpec, config: Config): string | null {
  const configured = Object.values(config.models).some((entry) => entry.model === spec.model && entry.price);
  if (!spec.price || configured || config.prices[spec.model] || listPrice(spec.model, spec.baseUrls) === undefined)
    return null;
  return `pricing ${spec.model} at OpenAI's list price as of ${OPENAI_PRICES_AS_OF} ($${spec.price.inputPerMTok} in / $${spec.price.outputPerMTok} out per million tokens); set "prices" in nxt.config.json if it has changed`;
}

function parseModelText(text: string): ModelEntry {
  const at = text.search(/@https?:\/\//);
  if (at < 0) {
    // NAME@host:port without a scheme would otherwise be taken for an OpenAI model of that name.
    const server = /^(.*)@([\w.-]+(:\d+)?(\/\S*)?)$/.exec(text);
    if (server) {
      throw new UsageError(
        `--model ${text}: give the server with its scheme, e.g. ${server[1] || 'NAME'}@http://${server[2]}${server[4] ? '' : '/v1'}`,
      );
    }
    return { model: text, apiKeyEnv: 'OPENAI_API_KEY' };
  }
  if (at === 0) throw new UsageError(`--model ${text}: the model's name is missing before the @ (NAME@URL)`);
  const urls = text.slice(at + 1).split(',');
  for (const url of urls) {
    if (!URL.canParse(url) || !/^https?:\/\/[^/]/.test(url)) {
      throw new UsageError(`--model ${text}: '${url}' is not a server URL (http://host:port/v1)`);
    }
  }
  return { model: text.slice(0, at), baseUrl: urls, apiKeyEnv: 'OPENAI_API_KEY' };
}

/**
 * The execution cache (verdicts of judged programs): beside the sample cache, so `--cache FILE` and
 * NXT_CACHE_DIR move both.
 */
export function execCachePath(llmCache: string | undefined, config: Config, env: Env, cwd: string): string {
  return join(dirname(cachePath(llmCache, config, env, cwd)), 'exec.sqlite');
}

/** The cache file: --cache, else $NXT_CACHE_DIR, else the config's cacheDir, else ~/.cache/nxt. */
export function cachePath(flag: string | undefined, config: Config, env: Env, cwd: string): string {
  if (flag) return resolve(cwd, flag);
  const dir = env['NXT_CACHE_DIR'] ?? config.cacheDir ?? nxtCacheDir(env);
  return join(resolve(cwd, dir), 'llm.sqlite');
}

/**
 * Refuses a budget nxt could not keep: without a price nothing is counted, and without a cap on the
 * answer (`maxTokens`) a request has no worst case to hold against the budget.
 */
export function checkBudget(budgetUsd: number | undefined, spec: ModelSpec, maxTokens: number | undefined): void {
  if (budgetUsd === undefined) return;
  if (!spec.price)
    throw new UsageError(
      `--budget needs the price of ${spec.model}: set it in nxt.config.json, e.g. {"prices": {"${spec.model}": {"inputPerMTok": 0.15, "outputPerMTok": 0.6}}} (dollars per million tokens)`,
    );
  if (maxTokens === undefined)
    throw new UsageError("--budget needs --max-tokens: without a cap an answer's cost has no bound to hold back");
}
