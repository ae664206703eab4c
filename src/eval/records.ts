import { existsSync } from 'node:fs';
import { appendFile, readFile, rename, truncate, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import type { Sandbox } from '../sandbox/index.js';
import { NxtError } from '../shared/index.js';

export const RUN_SCHEMA_VERSION = 1 as const;

/** The fields every run manifest opens with: when, by which nxt, judged under which Python and isolation. */
export function manifestBasics(sandbox: Pick<Sandbox, 'pythonVersion' | 'layers' | 'python'>, nxtVersion: string) {
  return {
    schemaVersion: RUN_SCHEMA_VERSION,
    createdAt: new Date().toISOString(),
    nxtVersion,
    python: sandbox.pythonVersion,
    pythonExecutable: sandbox.python.executable,
    sandbox: sandbox.layers.filter((layer) => layer.active).map((layer) => layer.name),
  };
}

/**
 * Refuses to resume a run folder under another Python than the one that judged its first results: a
 * run's verdicts come from one interpreter. Folders written before the interpreter was recorded pass.
 */
export function checkSamePython(outDir: string, recorded: RecordedPython, current: RecordedPython): void {
  const version = (text: string) => text.split(' ')[0];
  if (version(recorded.python) === version(current.python)) return;
  const named = (python: RecordedPython) =>
    `Python ${version(python.python)}${python.pythonExecutable ? ` (${python.pythonExecutable})` : ''}`;
  throw new NxtError(
    'run',
    `${outDir} was judged with ${named(recorded)}, but this command would judge with ${named(current)}; ` +
      `resume it with --python ${recorded.pythonExecutable ?? 'PATH'} or choose another --out`,
  );
}

/** The interpreter fields of a run manifest. */
interface RecordedPython {
  python: string;
  pythonExecutable?: string | undefined;
}

/** Shard `index` of `count` (0-based): the tasks at positions index, index + count, ... of the run's task list. */
export const ShardSchema = z.object({ index: z.number().int().nonnegative(), count: z.number().int().min(2) });
export type Shard = z.infer<typeof ShardSchema>;

/** What a sharded or merged run folder's manifest adds: its shard, its tasks, the shards it was merged from. */
export const ShardFields = {
  shard: ShardSchema.optional(),
  taskIds: z.array(z.string()).optional(),
  mergedFrom: z.array(z.string()).optional(),
};

export const SampleRecordSchema = z.object({
  schemaVersion: z.literal(RUN_SCHEMA_VERSION),
  taskId: z.string(),
  /** `sample`: the n samples at the run's temperature; `greedy`: one at temperature 0. */
  mode: z.enum(['sample', 'greedy']),
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
  mode: z.enum(['sample', 'greedy']),
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

export const ResultRecordSchema = z.object({
  schemaVersion: z.literal(RUN_SCHEMA_VERSION),
  taskId: z.string(),
  mode: z.enum(['sample', 'greedy']),
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
  /** The verdict is an identical program's (same text, tests, limits rule, sandbox): see exec-cache.ts. */
  reused: z.boolean().optional(),
});
export type ResultRecord = z.infer<typeof ResultRecordSchema>;

/** The last append queued for each file: appends to one file run one after another. */
const appending = new Map<string, Promise<void>>();

/**
 * Appends records as JSON lines. Appends to the same file are queued, one at a time: a large batch is
 * written in several chunks, and two concurrent batches would otherwise interleave their chunks and
 * corrupt each other's lines. A kill leaves at most a partial last line (cut by readRecords).
 */
export function appendRecords(path: string, records: readonly unknown[]): Promise<void> {
  if (records.length === 0) return Promise.resolve();
  const text = records.map((record) => `${JSON.stringify(record)}\n`).join('');
  const previous = appending.get(path) ?? Promise.resolve();
  const next = previous.then(
    () => appendFile(path, text),
    () => appendFile(path, text),
  );
  appending.set(path, next);
  const settled = () => {
    if (appending.get(path) === next) appending.delete(path);
  };
  next.then(settled, settled);
  return next;
}

/**
 * Reads a JSONL file of records. A partial last line (a kill mid-write) is cut off the file so that
 * appending goes on cleanly; a bad line anywhere else is an error naming it.
 */
export async function readRecords<T extends z.ZodType>(path: string, schema: T): Promise<z.output<T>[]> {
  if (!existsSync(path)) return [];
  const text = await readFile(path, 'utf8');
  const records: z.output<T>[] = [];
  let offset = 0;
  const lines = text.split('\n');
  for (const [index, line] of lines.entries()) {
    const isLast = index === lines.length - 1;
    if (line.trim() !== '') {
      const parsed = (() => {
        try {
          return schema.safeParse(JSON.parse(line));
        } catch {
          return null;
        }
      })();
      if (!parsed?.success) {
        if (isLast) {
          await truncate(path, Buffer.byteLength(text.slice(0, offset)));
          break;
        }
        throw new NxtError(
          'run',
          `${path}:${index + 1}: not a valid record${parsed ? `:\n${z.prettifyError(parsed.error)}` : ' (bad JSON)'}`,
        );
      }
      records.push(parsed.data);
    }
    offset += line.length + 1;
  }
  return records;
}

/** Writes `value` as JSON to `path` atomically (a temporary file renamed over it): never half a file. */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  const temporary = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  await writeFile(temporary, `${JSON.stringify(value, null, 2)}\n`);
  await rename(temporary, path);
}
