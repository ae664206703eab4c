import { z } from 'zod';
import { UsageError } from '../shared/index.js';

const MiB = 1024 * 1024;

/** Resource limits applied to every program (the child process that runs it). */
export const ResourceLimitsSchema = z.strictObject({
  /** Address-space limit (RLIMIT_AS). */
  memoryBytes: z
    .number()
    .int()
    .positive()
    .default(1024 * MiB),
  /** Largest file the program may write (RLIMIT_FSIZE). */
  fileSizeBytes: z
    .number()
    .int()
    .nonnegative()
    .default(16 * MiB),
  /** Open file descriptors (RLIMIT_NOFILE). */
  openFiles: z.number().int().min(16).default(128),
  /** Processes and threads of the program's uid (RLIMIT_NPROC); enforced only when nxt drops privileges. */
  processes: z.number().int().positive().default(8),
  /**
   * Memory of all the program's processes together. Without a memory cgroup, nxt keeps
   * `memoryBytes × processes` under it by lowering the per-process limit (never below 256 MiB).
   */
  totalMemoryBytes: z
    .number()
    .int()
    .positive()
    .default(8192 * MiB),
});
export type ResourceLimits = z.infer<typeof ResourceLimitsSchema>;

/** How the pool of fork-servers is started. */
export const SandboxOptionsSchema = z.strictObject({
  /** The Python interpreter: a command on PATH or an absolute path. */
  python: z.string().min(1).default('python3'),
  /** Fork-servers in the pool; default: one per core. */
  workers: z.number().int().positive().optional(),
  /** `auto` uses bubblewrap when it is installed and works, `required` fails without it, `off` never uses it. */
  bubblewrap: z.enum(['auto', 'required', 'off']).default('auto'),
  /**
   * Without bubblewrap, `auto` has the server enter user, mount, PID, network and IPC namespaces itself
   * where the kernel allows it, `required` fails where it does not, `off` never does.
   */
  namespaces: z.enum(['auto', 'required', 'off']).default('auto'),
  /** `auto` runs programs under an unprivileged uid when nxt runs as root. */
  dropPrivileges: z.enum(['auto', 'off']).default('auto'),
  /**
   * As root, each nxt process takes a free range of 256 uids from `uidBase` on (a lock file per range,
   * see uid-range.ts), and programs of pool slot k run as the range's uid k: no two slots and no two
   * nxt processes share a uid, so none can signal or starve another's programs.
   */
  uidBase: z.number().int().min(1000).max(4_000_000_000).default(2_000_000_000),
  /** Requests sent to one fork-server ahead of its answers (hides the round trip). */
  pipelineDepth: z.number().int().min(1).max(64).default(2),
  /** Size of the private /tmp inside bubblewrap. */
  tmpfsBytes: z
    .number()
    .int()
    .positive()
    .default(256 * MiB),
  startupTimeoutMs: z.number().int().positive().default(20_000),
});
export type SandboxOptions = z.input<typeof SandboxOptionsSchema>;
export type ResolvedSandboxOptions = z.output<typeof SandboxOptionsSchema>;

/**
 * How a case batch compares an output with the expected one (python/nxt/server/oracles.py): `evalplus` is
 * EvalPlus's rule (exact, or numerically close for floats); the others are EvalPlus's special oracles.
 */
export const CASE_ORACLES = [
  'evalplus',
  'poly-zero',
  'any',
  'zero-or-expected',
  'pyramid-surface',
  'digit-distance',
  'set-equal',
  'not-none',
] as const;
export type CaseOracle = (typeof CASE_ORACLES)[number];

/**
 * Many inputs of one function with their expected outputs (EvalPlus's tests), judged as data: each
 * input goes to the program, each output comes back as plain data and is compared outside it.
 */
export const CaseBatchSchema = z.strictObject({
  kind: z.literal('cases'),
  /** The program function called with each input. */
  function: z.string().min(1),
  /** A Python literal: a list with one list of positional arguments per input. */
  inputs: z.string(),
  /** A Python literal: a list with one expected output per input; null when `reference` computes them. */
  expected: z.string().nullable(),
  /** A trusted function that computes the expected outputs (run apart from the program). */
  reference: z
    .strictObject({ source: z.string(), function: z.string().min(1) })
    .nullable()
    .default(null),
  oracle: z
    .string()
    .refine((value) => (CASE_ORACLES as readonly string[]).includes(value), {
      message: `unknown oracle: known are ${CASE_ORACLES.join(', ')}`,
    })
    .default('evalplus'),
  /** Absolute tolerance for floats, as EvalPlus gives it per task. */
  atol: z.number().nonnegative().default(0),
});
export type CaseBatch = z.input<typeof CaseBatchSchema>;

/** A test: a Python statement run after the program, or a case batch. */
export type JudgeTest = string | CaseBatch;

/** How one program is judged. */
export const JudgeOptionsSchema = z.strictObject({
  /**
   * The function the tests are about, or several. Calls of each are sealed (one named like a builtin
   * means the program's). Tests that are more than one call (loops, random inputs, helpers) can run in
   * nxt's own test process instead of the program's when they call the first and no other; the rest
   * run as statements in the program's process.
   */
  entryPoint: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
  /** A reference solution: where those tests find helpers other than the entry point (e.g. `poly`). */
  reference: z.string().nullable().optional(),
  /** `auto` seals every test whose shape allows it; `off` runs every statement in the program's process. */
  sealing: z.enum(['auto', 'off']).default('auto'),
  /** Wall-clock limit for the whole program: loading it and every test. */
  programTimeoutMs: z.number().int().positive().default(10_000),
  /** Wall-clock limit per test: one number for all, or one per test. */
  testTimeoutMs: z.union([z.number().int().positive(), z.array(z.number().int().positive())]).default(3_000),
  /**
   * Per-input time limits of case batches, by test index (EvalPlus's rule: every input gets its own
   * limit, max(floor, factor x the reference's time on it)). The test's own limit still bounds the batch.
   */
  caseTimeoutsMs: z.record(z.string(), z.array(z.number().positive())).optional(),
  /** Report how long each input of a case batch took (`cases.ms` of its verdict): for calibration. */
  caseTimes: z.boolean().default(false),
  /** Stop judging at the first test that does not pass. */
  stopAtFirstFailure: z.boolean().default(false),
  /** Judge a program that timed out once more before the timeout counts (guards against load spikes). */
  recheckTimeouts: z.boolean().default(false),
  /** Captured stdout and stderr are each cut after this many bytes. */
  maxOutputBytes: z.number().int().nonnegative().default(16_384),
  /** `false` sends the program's output to /dev/null (slightly faster). */
  captureOutput: z.boolean().default(true),
  limits: ResourceLimitsSchema.partial().default({}),
});
export type JudgeOptions = z.input<typeof JudgeOptionsSchema>;
export type ResolvedJudgeOptions = z.output<typeof JudgeOptionsSchema>;

/** How one test is traced (see python/nxt/child/tracer.py for what each cap bounds). */
export const TraceOptionsSchema = z.strictObject({
  /** Passed to the judging that finds the first failing test (see JudgeOptions). */
  entryPoint: z.string().min(1).optional(),
  reference: z.string().nullable().optional(),
  /**
   * The test to trace; default: the one `chooseTestToTrace` picks from a verdict of every test (the
   * first that fails or raises, else the first that times out).
   */
  testIndex: z.number().int().nonnegative().optional(),
  /** State changes recorded before tracing switches off (the program then runs on untraced). */
  maxSteps: z.number().int().positive().default(1000),
  /** Events of any kind recorded before tracing switches off. */
  maxEvents: z.number().int().positive().default(50_000),
  /** Characters of values recorded before tracing switches off. */
  maxChars: z.number().int().positive().default(4_000_000),
  /** Seconds of tracing before it switches off. */
  maxSeconds: z.number().positive().default(5),
  /** Longest value recorded; longer reprs end in `...`. */
  valueChars: z.number().int().min(8).default(1000),
  /** Items of a container shown before `...`. */
  valueItems: z.number().int().positive().default(100),
  /** Wall-clock limits: tracing makes a test slower, so these are looser than judging's. */
  testTimeoutMs: z.number().int().positive().default(5_000),
  programTimeoutMs: z.number().int().positive().default(10_000),
  limits: ResourceLimitsSchema.partial().default({}),
});
export type TraceOptions = z.input<typeof TraceOptionsSchema>;

/** Parses options against their schema; a mistake becomes a `UsageError` that lists every problem. */
export function parseOptions<T extends z.ZodType>(schema: T, value: unknown, what: string): z.output<T> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new UsageError(`invalid ${what}:\n${z.prettifyError(parsed.error)}`);
  return parsed.data;
}
