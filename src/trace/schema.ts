import { z } from 'zod';
import { TRACE_PHASES } from './phase.js';

/** One variable's new value, as a bounded, address-free Python repr. */
export const VariableChangeSchema = z.object({ name: z.string(), value: z.string() });
export type VariableChange = z.infer<typeof VariableChangeSchema>;

/** One activation of a traced function (or of the test statement itself). */
export const TraceFrameSchema = z.object({
  call: z.number().int().nonnegative(),
  /** Qualified name (`Stack.push`, `outer.<locals>.inner`), `<module>` for the test statement. */
  function: z.string(),
  depth: z.number().int().nonnegative(),
  parent: z.number().int().nonnegative().nullable(),
  source: z.enum(['program', 'test']),
  /** The `def` line (the first line for the test statement and comprehensions). */
  defLine: z.number().int().positive(),
});
export type TraceFrame = z.infer<typeof TraceFrameSchema>;

/**
 * One event. `step` is the global counter of state changes (NExT's `(k)`), null for a line that
 * changed nothing. `line` events are emitted when a line finishes, with what it changed.
 */
export const TraceEventSchema = z.object({
  kind: z.enum(['call', 'line', 'return', 'yield', 'exception']),
  call: z.number().int().nonnegative(),
  line: z.number().int().nonnegative(),
  step: z.number().int().nonnegative().nullable(),
  /** `call`: the arguments; `line`: the variables the line changed. */
  changes: z.array(VariableChangeSchema),
  /** `return` / `yield`: repr of the value. */
  value: z.string().optional(),
  exception: z.object({ type: z.string(), message: z.string(), repr: z.string() }).optional(),
});
export type TraceEvent = z.infer<typeof TraceEventSchema>;

export const TraceTruncationSchema = z.enum([
  'steps',
  'events',
  'size',
  'time',
  'killed',
  'untraced',
  'fault',
  'stack',
]);
export type TraceTruncation = z.infer<typeof TraceTruncationSchema>;

export const TRACE_SCHEMA_VERSION = 1;

/** A recorded execution of one test against one program. */
export const TraceSchema = z.object({
  schemaVersion: z.literal(TRACE_SCHEMA_VERSION),
  /** `sys.version` of the interpreter that ran it: traces differ between CPython minor versions. */
  python: z.string(),
  program: z.string(),
  /**
   * Absent in traces written before it existed, which are all `test` (read it with `tracePhase`).
   * With `load`, `test` and `testIndex` name the test the run was for, which never ran, and
   * `outcome` is how the loading ended.
   */
  phase: z.enum(TRACE_PHASES).optional(),
  test: z.string(),
  testIndex: z.number().int().nonnegative(),
  /** How the traced test ended, and how long it ran under the tracer. */
  outcome: z.object({
    status: z.enum(['pass', 'fail', 'error', 'timeout', 'not_run']),
    durationMs: z.number().nonnegative(),
    exception: z
      .object({
        type: z.string(),
        message: z.string(),
        line: z.number().int().nullable(),
        source: z.enum(['program', 'test']).nullable(),
      })
      .nullable(),
  }),
  /** Why recording stopped early (a cap was reached, or the process was killed), or null. */
  truncated: TraceTruncationSchema.nullable(),
  steps: z.number().int().nonnegative(),
  frames: z.array(TraceFrameSchema),
  events: z.array(TraceEventSchema),
});
export type Trace = z.infer<typeof TraceSchema>;
