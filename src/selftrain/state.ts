import { existsSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';

export const IterationStateSchema = z.object({
  iteration: z.number().int().nonnegative(),
  /** The model sampled in this iteration (the base model at 0, then model_i). */
  model: z.string(),
  phase: z.enum(['sampling', 'filtered', 'training', 'trained', 'evaluating', 'done']),
  samplesDrawn: z.number().int().default(0),
  trainFixRate: z.number().nullable().default(null),
  accepted: z.number().int().default(0),
  acceptedTasks: z.number().int().default(0),
  /** Training: the job id (openai) or the run (command), recorded before waiting so a restart resumes it. */
  job: z.string().nullable().default(null),
  /** The model trained on this iteration's set (model_{i+1}). */
  trainedModel: z.string().nullable().default(null),
  dev: z.record(z.string(), z.number()).nullable().default(null),
  tokens: z.object({ prompt: z.number(), completion: z.number() }).default({ prompt: 0, completion: 0 }),
  costUsd: z.number().nullable().default(null),
});
export type IterationState = z.infer<typeof IterationStateSchema>;

export const SelftrainStateSchema = z.object({
  schemaVersion: z.literal(1),
  configHash: z.string(),
  hardSet: z.array(z.string()).nullable(),
  trainTasks: z.number().int(),
  baseDev: z.record(z.string(), z.number()).nullable(),
  iterations: z.array(IterationStateSchema),
  /** Waiting for a model id from the user (manual trainer). */
  waiting: z.string().nullable(),
  best: z.number().int().nullable(),
});
export type SelftrainState = z.infer<typeof SelftrainStateSchema>;

/**
 * What readers (the viewer's runs list, reports) take from a self-training run's summary.json
 * (written by `summaryOf`): the base model's dev score and each iteration's.
 */
export const SelftrainSummarySchema = z.object({
  baseModel: z.string(),
  baseDev: z.record(z.string(), z.number()).nullable(),
  best: z.number().int().nonnegative().nullable(),
  iterations: z.array(
    z.object({
      iteration: z.number().int().nonnegative(),
      accepted: z.number().int().nonnegative(),
      trainFixRate: z.number().nullable(),
      dev: z.record(z.string(), z.number()).nullable(),
    }),
  ),
});
export type SelftrainSummary = z.infer<typeof SelftrainSummarySchema>;

/**
 * The run folder of a dev evaluation inside a self-training run: the base model's, or the model trained
 * in iteration `iteration` (its summary.json holds the dev pass@k with intervals).
 */
export function devRunDir(dir: string, iteration: number | 'base'): string {
  return iteration === 'base' ? join(dir, 'base-dev') : join(dir, `iter-${iteration}`, 'dev');
}

/** Reads the run's state, or null for a new run. */
export async function loadState(dir: string): Promise<SelftrainState | null> {
  const path = join(dir, 'state.json');
  if (!existsSync(path)) return null;
  return SelftrainStateSchema.parse(JSON.parse(await readFile(path, 'utf8')));
}

/** Writes the state atomically (write then rename): a kill never leaves half a state file. */
export async function saveState(dir: string, state: SelftrainState): Promise<void> {
  const path = join(dir, 'state.json');
  await writeFile(`${path}.tmp`, `${JSON.stringify(state, null, 2)}\n`);
  await rename(`${path}.tmp`, path);
}
