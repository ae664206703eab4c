import { constants } from 'node:fs';
import { type FileHandle, open, rename, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import type { Sandbox } from '../sandbox/index.js';
import { appendJsonLines, NxtError, readJsonLines } from '../shared/index.js';

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

/** A run folder's file is never reached through a link: a copied or downloaded folder could point anywhere. */
function linkRefused(path: string): NxtError {
  return new NxtError(
    'run',
    `${path} is a symbolic link: nxt does not follow links in a run folder (put the file itself there)`,
  );
}

/**
 * Opens a run folder's file for reading without following a symbolic link; null when there is none.
 * A link, or anything but a regular file, is a `run` error naming it.
 */
export function openRunFile(path: string): Promise<FileHandle | null> {
  return openNoFollow(path, constants.O_RDONLY);
}

async function openNoFollow(path: string, flags: number): Promise<FileHandle | null> {
  let handle: FileHandle;
  try {
    // O_NONBLOCK: a FIFO in a run folder must not hang the reader before it is refused below.
    handle = await open(path, flags | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    if (code === 'ELOOP') throw linkRefused(path);
    throw error;
  }
  if (!(await handle.stat()).isFile()) {
    await handle.close();
    throw new NxtError('run', `${path} is not a regular file: a run folder holds only files nxt wrote`);
  }
  return handle;
}

/**
 * The text of a run folder's file (manifest, summary, records), or null when it does not exist. A
 * symbolic link or anything but a regular file is refused (a `run` error naming it), never followed.
 */
export async function readRunFile(path: string): Promise<string | null> {
  const handle = await openRunFile(path);
  if (!handle) return null;
  try {
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}

/**
 * A run folder's JSON file (manifest, summary) checked against `schema`; null when it does not exist.
 * A link, bad JSON or the wrong shape is a `run` error naming the file and what is wrong.
 */
export async function readRunJson<T extends z.ZodType>(path: string, schema: T): Promise<z.output<T> | null> {
  const text = await readRunFile(path);
  if (text === null) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new NxtError('run', `${path} is not valid JSON`);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new NxtError('run', `${path} is not what nxt wrote:\n${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/**
 * Appends records as JSON lines through the one JSONL writer (appends to one file are queued, whole
 * records per write). A kill leaves at most a partial last line (repaired by the run's own
 * `readRecords(..., { repair: true })` when it resumes). A symbolic link is refused, never written through.
 */
export async function appendRecords(path: string, records: readonly unknown[]): Promise<void> {
  const flag = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW;
  await appendJsonLines(path, records, { flag }).catch((error: NodeJS.ErrnoException) => {
    throw error.code === 'ELOOP' ? linkRefused(path) : error;
  });
}

/**
 * Reads a JSONL file of records; none when it does not exist. Every line must be a valid record: a
 * bad one is an error naming the file and line. Readers never change the file: a torn last line (a
 * run stopped mid-write) is refused. Only the run that owns the file passes `repair` before it
 * appends: a torn last line is then cut, and a whole last record missing its newline is ended.
 * A symbolic link is refused, never followed.
 */
export async function readRecords<T extends z.ZodType>(
  path: string,
  schema: T,
  options: { repair?: boolean } = {},
): Promise<z.output<T>[]> {
  const handle = await openNoFollow(path, options.repair ? constants.O_RDWR : constants.O_RDONLY);
  if (!handle) return [];
  try {
    const lines = await readJsonLines(handle, schema, { from: path, code: 'run', ...options });
    return lines.map((line) => line.record);
  } finally {
    await handle.close();
  }
}

/** Writes `value` as JSON to `path` atomically (a temporary file renamed over it): never half a file. */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  const temporary = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  await writeFile(temporary, `${JSON.stringify(value, null, 2)}\n`);
  await rename(temporary, path);
}
