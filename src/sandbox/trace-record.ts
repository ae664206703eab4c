import { z } from 'zod';
import { TRACE_SCHEMA_VERSION, type Trace, type TraceEvent, type TracePhase, TraceSchema } from '../trace/index.js';
import { JudgeFaultError } from './fork-server.js';
import type { TestVerdict } from './verdict.js';

const ChangesSchema = z.array(z.tuple([z.string(), z.string()])).nullable();
/** A count or an index, as the server checks them (python/nxt/server/trace_records.py); -1 where it means none. */
const count = (min = 0) =>
  z
    .number()
    .int()
    .min(min)
    .max(2 ** 31 - 1);

/**
 * The compact trace a fork-server sends (see python/nxt/child/tracer.py), validated at the process boundary with
 * the ranges the `Trace` artifact needs, so that a trace read here always expands into one.
 */
export const RawTraceSchema = z.object({
  frames: z.array(z.tuple([count(), z.string(), count(), count(-1), z.enum(['program', 'test']), count(1)])),
  events: z.array(
    z.tuple([
      z.enum(['c', 'l', 'r', 'y', 'x']),
      count(),
      count(),
      count(-1),
      ChangesSchema,
      z.union([z.string(), z.tuple([z.string(), z.string(), z.string()]), z.null()]),
    ]),
  ),
  end: z
    .object({
      truncated: z.enum(['steps', 'events', 'size', 'time', 'untraced', 'fault', 'stack']).nullable(),
      steps: count(),
      events: count(),
    })
    .nullable(),
});
export type RawTrace = z.infer<typeof RawTraceSchema>;

const KINDS = { c: 'call', l: 'line', r: 'return', y: 'yield', x: 'exception' } as const;

function toEvent([code, call, line, step, changes, extra]: RawTrace['events'][number]): TraceEvent {
  const event: TraceEvent = {
    kind: KINDS[code],
    call,
    line,
    step: step < 0 ? null : step,
    changes: (changes ?? []).map(([name, value]) => ({ name, value })),
  };
  if ((code === 'r' || code === 'y') && typeof extra === 'string') event.value = extra;
  if (code === 'x' && Array.isArray(extra)) event.exception = { type: extra[0], message: extra[1], repr: extra[2] };
  return event;
}

export interface TraceContext {
  program: string;
  /** `load`: the run was the program's loading, and `test` the test it was for (it never ran). */
  phase: TracePhase;
  test: string;
  testIndex: number;
  python: string;
  outcome: TestVerdict;
}

/**
 * Expands a fork-server's compact trace into the `Trace` artifact. Throws `JudgeFaultError` if it does
 * not make one (the server checks what the child sent; this is nxt's own check of the server).
 */
export function toTrace(raw: RawTrace, context: TraceContext): Trace {
  const events = raw.events.map(toEvent);
  const steps = raw.end?.steps ?? events.reduce((max, event) => Math.max(max, (event.step ?? -1) + 1), 0);
  const trace = TraceSchema.safeParse({
    schemaVersion: TRACE_SCHEMA_VERSION,
    python: context.python,
    program: context.program,
    phase: context.phase,
    test: context.test,
    testIndex: context.testIndex,
    outcome: {
      status: context.outcome.status,
      durationMs: context.outcome.durationMs,
      exception: context.outcome.exception,
    },
    truncated: raw.end ? raw.end.truncated : 'killed',
    steps,
    frames: raw.frames.map(([call, name, depth, parent, source, defLine]) => ({
      call,
      function: name,
      depth,
      parent: parent < 0 ? null : parent,
      source,
      defLine,
    })),
    events,
  });
  if (!trace.success)
    throw new JudgeFaultError(`the sandbox server sent a trace nxt cannot read: ${trace.error.message}`);
  return trace.data;
}
