import { z } from 'zod';

/** The schema version of every run folder file (manifests, records, summaries). */
export const RUN_SCHEMA_VERSION = 1 as const;

/** `sample`: the n samples at the run's temperature; `greedy`: one at temperature 0. */
export const ModeSchema = z.enum(['sample', 'greedy']);
export type Mode = z.infer<typeof ModeSchema>;

/** Shard `index` of `count` (0-based): the tasks at positions index, index + count, ... of the run's task list. */
export const ShardSchema = z.object({ index: z.number().int().nonnegative(), count: z.number().int().min(2) });
export type Shard = z.infer<typeof ShardSchema>;

/** What a sharded or merged run folder's manifest adds: its shard, its tasks, the shards it was merged from. */
export const ShardFields = {
  shard: ShardSchema.optional(),
  taskIds: z.array(z.string()).optional(),
  mergedFrom: z.array(z.string()).optional(),
};

/** One answer of the model (or its failed call): a line of samples.jsonl, one per sample and turn. */
export const SampleRecordSchema = z.object({
  schemaVersion: z.literal(RUN_SCHEMA_VERSION),
  taskId: z.string(),
  mode: ModeSchema,
  index: z.number().int().nonnegative(),
  status: z.enum(['ok', 'failed']),
  text: z.string().nullable(),
  finishReason: z.string().nullable(),
  promptTokens: z.number(),
  completionTokens: z.number(),
  cached: z.boolean(),
  error: z.string().nullable(),
  /** Which turn of a multi-turn repair this answer is (1: the first prompt). */
  turn: z.number().int().positive().default(1),
});
export type SampleRecord = z.infer<typeof SampleRecordSchema>;

/** A program's verdict on one set of tests (base or EvalPlus), as results record it. */
export const JudgedSchema = z.object({
  status: z.enum(['pass', 'fail', 'error', 'timeout']),
  passed: z.number().int(),
  total: z.number().int(),
  reason: z.string(),
  /**
   * Tests judged sealed: the program never saw what they expect (see sandbox verdicts). Missing in
   * results written before sealed judging.
   */
  sealed: z.number().int().optional(),
  /** The judge itself failed on this program (counted apart in summaries). */
  judgeFault: z.boolean().optional(),
  tests: z.array(z.object({ status: z.string(), exception: z.string().nullable(), sealed: z.boolean().optional() })),
});
export type Judged = z.infer<typeof JudgedSchema>;

/** The first prompt of a task's samples in one mode, as sent (prompts.jsonl: one per task and mode). */
export const PromptRecordSchema = z.object({
  schemaVersion: z.literal(RUN_SCHEMA_VERSION),
  taskId: z.string(),
  mode: ModeSchema,
  messages: z.array(z.object({ role: z.string(), content: z.string() })).nullable(),
  prompt: z.string().nullable(),
});
export type PromptRecord = z.infer<typeof PromptRecordSchema>;

/** One turn of a multi-turn repair: what the model was told, what it answered, how that was judged. */
export const TurnRecordSchema = z.object({
  turn: z.number().int().positive(),
  /** The user turn that asked for this answer (null for turn 1: the run's prompt). */
  feedback: z.string().nullable(),
  completion: z.string().nullable(),
  program: z.string().nullable(),
  /** The base tests' verdict, or why there was none. */
  status: z.enum(['pass', 'fail', 'error', 'timeout', 'parse_error', 'sample_failed']),
  pass: z.boolean(),
});
export type TurnRecord = z.infer<typeof TurnRecordSchema>;

/** One sample's result: a line of results.jsonl, keyed by (task, mode, index). */
export const ResultRecordSchema = z.object({
  schemaVersion: z.literal(RUN_SCHEMA_VERSION),
  taskId: z.string(),
  mode: ModeSchema,
  index: z.number().int().nonnegative(),
  /** `sample_failed`: the model call failed after its retries; `parse_error`: no program in the answer. */
  outcome: z.enum(['judged', 'parse_error', 'sample_failed']),
  rationale: z.string().nullable(),
  program: z.string().nullable(),
  base: JudgedSchema.nullable(),
  /** EvalPlus tests, judged only when the base tests pass. */
  plus: JudgedSchema.nullable(),
  /** The fix counts: base passed and, where the dataset has them, the EvalPlus tests too. */
  pass: z.boolean(),
  basePass: z.boolean(),
  /** For `sample_failed`: the server's message (a final refusal such as a context-length error). */
  error: z.string().optional(),
  /** Multi-turn strategies: every turn; the fields above are the last turn's. */
  turns: z.array(TurnRecordSchema).optional(),
  /** The verdict is an identical program's (same text, tests, limits rule, sandbox): see eval's exec-cache. */
  reused: z.boolean().optional(),
});
export type ResultRecord = z.infer<typeof ResultRecordSchema>;
