import { z } from 'zod';
import { PROMPT_TRACE_FORMATS } from '../trace/index.js';
import { trainerSchemas } from './trainers/index.js';

/** The plan's `trainer`: one object per trainer of the table (trainers/), told apart by `kind`. */
export const TrainerSchema = z.discriminatedUnion('kind', trainerSchemas(z));
export type Trainer = z.infer<typeof TrainerSchema>;

/** The NExT self-training run (Algorithm 1, DESIGN.md §1); every field can also be given as a flag. */
export const SelftrainConfigSchema = z.strictObject({
  /** The base model: what iteration 0 samples from and every iteration fine-tunes. */
  baseModel: z.string().min(1),
  /** Training tasks: a repair dataset name or a task file (MBPP-R train, a synthetic set). */
  trainTasks: z.string().min(1),
  devTasks: z.string().min(1),
  samples: z.number().int().positive().default(32),
  temperature: z.number().min(0).max(2).default(0.8),
  /** Tasks whose base pass@1 is below this form the hard set. */
  hardThreshold: z.number().min(0).max(1).default(0.1),
  iterations: z.number().int().positive().default(2),
  /** Shots for iteration 0 (the base model); fine-tuned models are prompted zero-shot. */
  shots: z.union([z.literal(3), z.literal(0)]).default(3),
  trace: z.enum(PROMPT_TRACE_FORMATS).default('inline'),
  /** Rendered traces are shrunk to this many tokens, in the sampling prompts and in the training set alike. */
  traceBudgetTokens: z.number().int().positive().default(2048),
  /** Samples per dev task when a model is evaluated, and the k reported. */
  devSamples: z.number().int().positive().default(5),
  k: z.array(z.number().int().positive()).default([1, 5]),
  /** Keep at most this many accepted samples per task (after dedup). */
  maxPerTask: z.number().int().positive().optional(),
  /** Drop accepted samples whose fixed program repeats one already kept for the task. */
  dedup: z.boolean().default(true),
  limitTrain: z.number().int().positive().optional(),
  limitDev: z.number().int().positive().optional(),
  trainer: TrainerSchema,
  /** Sample through the Batch API (half price, up to a day per batch), one batch per round. */
  batch: z.boolean().default(false),
  out: z.string().default('runs/selftrain'),
});
export type SelftrainConfig = z.output<typeof SelftrainConfigSchema>;
export type SelftrainConfigInput = z.input<typeof SelftrainConfigSchema>;
