import type { Trace, TraceEvent } from '../trace/index.js';

/** One state change of a trace, described without line numbers (the two programs differ in lines). */
function signature(event: TraceEvent, functions: Map<number, string>): string {
  const where = functions.get(event.call) ?? '?';
  if (event.kind === 'return' || event.kind === 'yield') return `${where}|${event.kind}|${event.value ?? ''}`;
  if (event.kind === 'exception') return `${where}|exception|${event.exception?.repr ?? ''}`;
  return `${where}|${event.kind}|${event.changes.map((change) => `${change.name}=${change.value}`).join(',')}`;
}

function steps(trace: Trace): { step: number; signature: string }[] {
  const functions = new Map(trace.frames.map((frame) => [frame.call, frame.function]));
  return trace.events
    .filter((event) => event.step !== null)
    .map((event) => ({ step: event.step as number, signature: signature(event, functions) }))
    .sort((x, y) => x.step - y.step);
}

/**
 * The first state change where two executions of the same test part ways: the step number in each
 * trace (null when one trace simply ends first, or when they never differ).
 */
export function firstDivergence(a: Trace, b: Trace): { a: number | null; b: number | null } | null {
  const left = steps(a);
  const right = steps(b);
  for (let index = 0; index < Math.max(left.length, right.length); index++) {
    if (left[index]?.signature !== right[index]?.signature)
      return { a: left[index]?.step ?? null, b: right[index]?.step ?? null };
  }
  return null;
}
