import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { z } from 'zod';
import { SelftrainConfigSchema } from '../selftrain/index.js';
import { isNxtError, UsageError } from '../shared/index.js';
import { isRepairTask } from '../tasks/index.js';
import { SELFTRAIN, type SelftrainFlags } from './command-flags.js';
import { type Config, cachePath, execCachePath, loadConfig, resolveModel } from './config.js';
import { loadTasks } from './data-command.js';
import { formatFlags } from './flags.js';
import type { CliIo } from './io.js';
import { sandboxOptions } from './sandbox-flags.js';
import { startSandbox } from './sandbox-start.js';
import { NXT_VERSION } from './version.js';

/** Plan file < flags: the self-training configuration as the loop's schema sees it. */
async function configuration(flags: SelftrainFlags, io: CliIo): Promise<Record<string, unknown>> {
  let base: Record<string, unknown> = {};
  if (flags.plan) {
    const path = resolve(io.cwd, flags.plan);
    try {
      base = JSON.parse(await readFile(path, 'utf8'));
    } catch (error) {
      throw new UsageError(`cannot read the self-training plan ${path}: ${(error as Error).message}`);
    }
  }
  const { TRAINERS } = await import('../selftrain/trainers/index.js');
  const trainer = flags.trainer === undefined ? undefined : TRAINERS[flags.trainer].fromFlags(flags);
  const overrides = {
    baseModel: flags.baseModel,
    trainTasks: flags.trainTasks,
    devTasks: flags.devTasks,
    samples: flags.samples,
    temperature: flags.temperature,
    hardThreshold: flags.hardThreshold,
    iterations: flags.iterations,
    shots: flags.shots,
    trace: flags.trace,
    traceBudgetTokens: flags.traceBudget,
    devSamples: flags.devSamples,
    k: flags.k,
    maxPerTask: flags.maxPerTask,
    dedup: flags.noDedup ? false : undefined,
    limitTrain: flags.limitTrain,
    limitDev: flags.limitDev,
    trainer,
    out: flags.out,
  };
  return { ...base, ...Object.fromEntries(Object.entries(overrides).filter(([, value]) => value !== undefined)) };
}

/** The command that continues this run: the flags it was given (a waiting run adds --trained-model). */
function resumeCommand(flags: SelftrainFlags): string {
  const quote = (value: string) => (/^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, "'\\''")}'`);
  return ['nxt selftrain', ...formatFlags(SELFTRAIN, flags, ['trainedModel']).map(quote)].join(' ');
}

/**
 * The nxt config file (--config, as on every command). Until 0.2 selftrain's --config was its plan:
 * such a file (fields of the plan, which an nxt config never has) is refused with the new flag.
 */
function nxtConfigFile(flags: SelftrainFlags, io: CliIo): Config {
  try {
    return loadConfig(flags.config, io.cwd, io.env);
  } catch (error) {
    if (flags.config !== undefined && isNxtError(error, 'usage') && isPlan(resolve(io.cwd, flags.config)))
      throw new UsageError(
        `${flags.config} is a self-training plan: give it with --plan ${flags.config} (--config is the nxt config file with named models, on selftrain as on every command)`,
      );
    throw error;
  }
}

function isPlan(path: string): boolean {
  try {
    const raw: unknown = JSON.parse(readFileSync(path, 'utf8'));
    return (
      typeof raw === 'object' && raw !== null && Object.keys(raw).some((key) => key in SelftrainConfigSchema.shape)
    );
  } catch {
    return false;
  }
}

/** `nxt selftrain`: the NExT loop. Exit 0 when done or when waiting for a manually trained model. */
export async function selftrainCommand(flags: SelftrainFlags, io: CliIo): Promise<number> {
  const { runSelftrain } = await import('../selftrain/index.js');
  const nxtConfig = nxtConfigFile(flags, io);
  const parsed = SelftrainConfigSchema.safeParse(await configuration(flags, io));
  if (!parsed.success) throw new UsageError(`invalid self-training configuration:\n${z.prettifyError(parsed.error)}`);
  const config = { ...parsed.data, out: resolve(io.cwd, parsed.data.out) };
  const { createLlmClient, SampleCache } = await import('../llm/index.js');
  const { createTokenCounter } = await import('../trace/index.js');
  const cache = SampleCache.open(cachePath(flags.cache, nxtConfig, io.env, io.cwd));
  const { VerdictCache } = await import('../eval/index.js');
  // Verdicts and traces carry over between iterations, and to and from eval runs.
  const execCache = flags.noExecCache ? null : VerdictCache.open(execCachePath(flags.cache, nxtConfig, io.env, io.cwd));
  const sandbox = await startSandbox(sandboxOptions(flags, io.env), io, true);
  const clients = new Map<string, ReturnType<typeof createLlmClient>>();
  try {
    const result = await runSelftrain(config, {
      sandbox,
      loadTasks: async (name) => {
        const tasks = (await loadTasks(name, flags, io)).filter(isRepairTask);
        if (tasks.length === 0) throw new UsageError(`${name} has no repair tasks`);
        return tasks;
      },
      client: (spec) => {
        let client = clients.get(spec);
        if (!client) {
          client = createLlmClient(resolveModel(spec, nxtConfig, io.env), { cache });
          clients.set(spec, client);
        }
        return client;
      },
      derive: (baseSpec, model) => {
        const at = baseSpec.search(/@https?:\/\//);
        if (at >= 0) return `${model}${baseSpec.slice(at)}`;
        const named = nxtConfig.models[baseSpec];
        if (named?.baseUrl) return `${model}@${[named.baseUrl].flat().join(',')}`;
        return model;
      },
      countTokens: await createTokenCounter('cl100k_base'),
      nxtVersion: NXT_VERSION,
      log: (message) => io.stderr(`nxt: ${message}\n`),
      ...(flags.trainedModel ? { trainedModel: flags.trainedModel } : {}),
      ...(execCache ? { execCache } : {}),
      resumeCommand: resumeCommand(flags),
    });
    io.stdout(`${result.message}\n`);
    return 0;
  } finally {
    cache.close();
    execCache?.close();
    await sandbox.close();
  }
}
