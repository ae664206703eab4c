import { z } from 'zod';
import { runFile } from './files.js';
import { readRunJson, writeJsonAtomic } from './io.js';
import { RUN_SCHEMA_VERSION } from './records.js';

/** Dev pass@k by key (`pass@1`, ...), or null until evaluated. */
const DevScores = z.record(z.string(), z.number()).nullable();
const Tokens = z.object({ prompt: z.number(), completion: z.number() });

/** One iteration of a self-training run, as its state.json keeps it between steps. */
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
  dev: DevScores.default(null),
  tokens: Tokens.default({ prompt: 0, completion: 0 }),
  costUsd: z.number().nullable().default(null),
});
export type IterationState = z.infer<typeof IterationStateSchema>;

/** A self-training run's state.json: written atomically after every step, so a killed run resumes. */
export const SelftrainStateSchema = z.object({
  schemaVersion: z.literal(RUN_SCHEMA_VERSION),
  configHash: z.string(),
  hardSet: z.array(z.string()).nullable(),
  trainTasks: z.number().int(),
  baseDev: DevScores,
  iterations: z.array(IterationStateSchema),
  /** Waiting for a model id from the user (manual trainer). */
  waiting: z.string().nullable(),
  best: z.number().int().nullable(),
});
export type SelftrainState = z.infer<typeof SelftrainStateSchema>;

/**
 * A self-training run's summary.json, the per-iteration table: what selftrain writes when the run is
 * done, and what the viewer's runs list and reports read (the base model's dev score and each
 * iteration's).
 */
export const SelftrainSummarySchema = z.object({
  schemaVersion: z.literal(RUN_SCHEMA_VERSION),
  baseModel: z.string(),
  /** How many training tasks are hard (the base model's pass@1 below the threshold), of how many. */
  hardSet: z.number().int().nonnegative(),
  trainTasks: z.number().int().nonnegative(),
  baseDev: DevScores,
  best: z.number().int().nonnegative().nullable(),
  bestModel: z.string().nullable(),
  iterations: z.array(
    z.object({
      iteration: z.number().int().nonnegative(),
      model: z.string(),
      samplesDrawn: z.number().int().nonnegative(),
      trainFixRate: z.number().nullable(),
      accepted: z.number().int().nonnegative(),
      acceptedTasks: z.number().int().nonnegative(),
      acceptedPerTask: z.number().nonnegative(),
      trainedModel: z.string().nullable(),
      dev: DevScores,
      tokens: Tokens,
      costUsd: z.number().nullable(),
    }),
  ),
});
export type SelftrainSummary = z.infer<typeof SelftrainSummarySchema>;

/** A self-training run's state, or null for a new run; a link or a state of the wrong shape is a `run` error. */
export function readSelftrainState(dir: string): Promise<SelftrainState | null> {
  return readRunJson(runFile(dir, 'state'), SelftrainStateSchema);
}

/** Writes the state atomically (a temporary file renamed over it): a kill never leaves half a state file. */
export function writeSelftrainState(dir: string, state: SelftrainState): Promise<void> {
  return writeJsonAtomic(runFile(dir, 'state'), state);
}

/** A self-training run's summary, or null before it has one; one of the wrong shape is a `run` error. */
export function readSelftrainSummary(dir: string): Promise<SelftrainSummary | null> {
  return readRunJson(runFile(dir, 'summary'), SelftrainSummarySchema);
}

/** Writes a self-training run's summary atomically. */
export function writeSelftrainSummary(dir: string, summary: SelftrainSummary): Promise<void> {
  return writeJsonAtomic(runFile(dir, 'summary'), summary);
}
