import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { z } from 'zod';
import { listChoices, UsageError } from '../shared/index.js';
import { isRepairTask } from '../tasks/index.js';
import { cachePath, execCachePath, loadConfig, resolveModel } from './config.js';
import { type DataFlags, loadTasks } from './data-command.js';
import type { CliIo } from './io.js';
import { type SandboxFlagValues, sandboxOptions } from './sandbox-flags.js';
import { startSandbox } from './sandbox-start.js';

export interface SelftrainFlags extends DataFlags, SandboxFlagValues {
  config?: string;
  nxtConfig?: string;
  cache?: string;
  baseModel?: string;
  trainTasks?: string;
  devTasks?: string;
  samples?: string;
  temperature?: string;
  hardThreshold?: string;
  iterations?: string;
  shots?: string;
  trace?: string;
  traceBudget?: string;
  devSamples?: string;
  k?: string;
  maxPerTask?: string;
  dedup?: boolean;
  limitTrain?: string;
  limitDev?: string;
  trainer?: string;
  trainCommand?: string;
  trainedModelTemplate?: string;
  out?: string;
  trainedModel?: string;
  execCache?: boolean;
}

/** Config file < flags: the self-training configuration as the loop's schema sees it. */
async function configuration(flags: SelftrainFlags, io: CliIo): Promise<Record<string, unknown>> {
  let base: Record<string, unknown> = {};
  if (flags.config) {
    const path = resolve(io.cwd, flags.config);
    try {
      base = JSON.parse(await readFile(path, 'utf8'));
    } catch (error) {
      throw new UsageError(`cannot read the self-training config ${path}: ${(error as Error).message}`);
    }
  }
  const number = (value: string | undefined) => (value === undefined ? undefined : Number(value));
  const { isTrainerName, TRAINER_NAMES, TRAINERS } = await import('../selftrain/trainers.js');
  if (flags.trainer !== undefined && !isTrainerName(flags.trainer))
    throw new UsageError(`--trainer must be one of ${listChoices(TRAINER_NAMES)}, got '${flags.trainer}'`);
  const trainer = flags.trainer === undefined ? undefined : TRAINERS[flags.trainer].fromFlags(flags);
  const overrides = {
    baseModel: flags.baseModel,
    trainTasks: flags.trainTasks,
    devTasks: flags.devTasks,
    samples: number(flags.samples),
    temperature: number(flags.temperature),
    hardThreshold: number(flags.hardThreshold),
    iterations: number(flags.iterations),
    shots: number(flags.shots),
    trace: flags.trace,
    traceBudgetTokens: number(flags.traceBudget),
    devSamples: number(flags.devSamples),
    k: flags.k?.split(',').map(Number),
    maxPerTask: number(flags.maxPerTask),
    dedup: flags.dedup === false ? false : undefined,
    limitTrain: number(flags.limitTrain),
    limitDev: number(flags.limitDev),
    trainer,
    out: flags.out,
  };
  return { ...base, ...Object.fromEntries(Object.entries(overrides).filter(([, value]) => value !== undefined)) };
}

/** The command that continues this run: the flags it was given (a waiting run adds --trained-model). */
function resumeCommand(flags: SelftrainFlags): string {
  const quote = (value: string) => (/^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, "'\\''")}'`);
  const parts = Object.entries(flags).flatMap(([name, value]) => {
    if (name === 'trainedModel' || value === undefined) return [];
    const flag = name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
    // true is the default of a --no-X flag (selftrain has no other switch): nothing to repeat.
    if (value === true) return [];
    if (value === false) return [`--no-${flag}`];
    return [`--${flag}`, quote(String(value))];
  });
  return ['nxt selftrain', ...parts].join(' ');
}

/** `nxt selftrain`: the NExT loop. Exit 0 when done or when waiting for a manually trained model. */
export async function selftrainCommand(flags: SelftrainFlags, io: CliIo): Promise<number> {
  const { SelftrainConfigSchema, runSelftrain } = await import('../selftrain/index.js');
  const parsed = SelftrainConfigSchema.safeParse(await configuration(flags, io));
  if (!parsed.success) throw new UsageError(`invalid self-training configuration:\n${z.prettifyError(parsed.error)}`);
  const config = { ...parsed.data, out: resolve(io.cwd, parsed.data.out) };
  const nxtConfig = loadConfig(flags.nxtConfig, io.cwd, io.env);
  const { createLlmClient, SampleCache } = await import('../llm/index.js');
  const { createTokenCounter } = await import('../trace/index.js');
  const cache = SampleCache.open(cachePath(flags.cache, nxtConfig, io.env, io.cwd));
  const { VerdictCache } = await import('../eval/index.js');
  // Verdicts and traces carry over between iterations, and to and from eval runs.
  const execCache =
    flags.execCache === false ? null : VerdictCache.open(execCachePath(flags.cache, nxtConfig, io.env, io.cwd));
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
      nxtVersion: '0.1.0',
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
