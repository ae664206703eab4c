import { z } from 'zod';

export const TASK_SCHEMA_VERSION = 1;

/** EvalPlus tests as data: inputs and expected outputs (Python literals), judged outside the program. */
export const PlusCasesSchema = z.object({
  /** The function called with each input. */
  function: z.string(),
  /** Python literal: one list of positional arguments per input. */
  inputs: z.string(),
  /** Python literal: one expected output per input; null when `reference` computes them. */
  expected: z.string().nullable(),
  reference: z.object({ source: z.string(), function: z.string() }).nullable(),
  /** The sandbox's name for how outputs are compared (EvalPlus's rule or one of its special oracles). */
  oracle: z.string(),
});
export type PlusCases = z.infer<typeof PlusCasesSchema>;

/** EvalPlus-style extra tests: many inputs with expected outputs, compared with `atol` for floats. */
export const PlusTestsSchema = z.object({
  source: z.string(),
  /**
   * The same tests as one self-contained Python statement block (see tasks/plus.ts): what runs when
   * `cases` is missing (task files written before it existed) or sealing is off.
   */
  test: z.string(),
  inputs: z.number().int().nonnegative(),
  atol: z.number().nonnegative(),
  /** The tests as data; judged sealed. */
  cases: PlusCasesSchema.nullable().default(null),
});
export type PlusTests = z.infer<typeof PlusTestsSchema>;

export const ProvenanceSchema = z.object({
  /** The file inside the data folder, e.g. `humanevalpack/humanevalpack_python.jsonl`. */
  file: z.string(),
  sha256: z.string(),
  /** 1-based line of the record in that file. */
  line: z.number().int().positive(),
  upstreamId: z.string(),
});

export const MbppSplitSchema = z.enum(['prompt', 'test', 'validation', 'train']);
export type MbppSplit = z.infer<typeof MbppSplitSchema>;

/** A programming problem: what a builder samples solutions for or mutates. */
export const ProblemSchema = z.object({
  schemaVersion: z.literal(TASK_SCHEMA_VERSION),
  id: z.string(),
  dataset: z.string(),
  description: z.string(),
  entryPoint: z.string(),
  /** Tests shown to the model. */
  promptTests: z.array(z.string()),
  /** Tests a program is judged by: independent statements. */
  tests: z.array(z.string()).min(1),
  plusTests: PlusTestsSchema.nullable(),
  reference: z.string().nullable(),
  split: MbppSplitSchema.nullable(),
  provenance: ProvenanceSchema,
  /**
   * The code a code-generation completion continues, as the benchmark's own harness prepends it
   * (HumanEval's signature and docstring; EvalPlus's MBPP+ docstring); null when there is none.
   */
  prompt: z.string().nullable().default(null),
});
export type Problem = z.infer<typeof ProblemSchema>;

export const BugLabelSchema = z.object({
  kind: z.enum(['humanevalfix-bug-type', 'mutation', 'model']),
  value: z.string(),
});
export type BugLabel = z.infer<typeof BugLabelSchema>;

/** A repair task: a problem with a buggy program that fails at least one test. */
export const RepairTaskSchema = ProblemSchema.extend({
  buggyProgram: z.string(),
  bugLabel: BugLabelSchema.nullable(),
  /** Index into `tests` of the test to trace, when known (the first that fails). */
  failingTest: z.number().int().nonnegative().nullable(),
});
export type RepairTask = z.infer<typeof RepairTaskSchema>;
