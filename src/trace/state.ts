import { cutValue } from './options.js';
import type { Trace, TraceEvent, TraceFrame } from './schema.js';

/** The test statement's own frame (a program's `<module>` frame, traced while it loads, is not one). */
function isTestStatement(frame: TraceFrame): boolean {
  return frame.function === '<module>' && frame.source === 'test';
}

/** Replays a trace, keeping each frame's current variables (for renderers that show whole states). */
export class StateReplay {
  readonly #states = new Map<number, Map<string, string>>();
  readonly #names: Map<number, string>;
  readonly #sources: Map<number, 'program' | 'test'>;
  readonly #testCalls: Set<number>;

  constructor(trace: Trace) {
    this.#names = new Map(trace.frames.map((frame) => [frame.call, isTestStatement(frame) ? 'test' : frame.function]));
    this.#sources = new Map(trace.frames.map((frame) => [frame.call, frame.source]));
    this.#testCalls = new Set(trace.frames.filter(isTestStatement).map((frame) => frame.call));
  }

  apply(event: TraceEvent): void {
    const state = this.#states.get(event.call) ?? new Map<string, string>();
    for (const change of event.changes) state.set(change.name, change.value);
    this.#states.set(event.call, state);
  }

  /** Whether `call` is the test statement's own frame. */
  isTest(call: number): boolean {
    return this.#testCalls.has(call);
  }

  hasVariables(call: number): boolean {
    return (this.#states.get(call)?.size ?? 0) > 0;
  }

  functionName(call: number): string {
    return this.#names.get(call) ?? '?';
  }

  source(call: number): 'program' | 'test' {
    return this.#sources.get(call) ?? 'program';
  }

  describe(call: number, valueChars: number): string {
    const state = this.#states.get(call);
    if (!state || state.size === 0) return '(no variables)';
    return [...state].map(([name, value]) => `${name}=${cutValue(value, valueChars)}`).join(', ');
  }
}

/** Keeps the first three quarters and the last quarter of `items` when there are more than `max`. */
export function keepEnds<T>(items: readonly T[], max: number): { kept: T[]; omitted: number; at: number } {
  if (items.length <= max) return { kept: [...items], omitted: 0, at: items.length };
  const head = Math.max(1, Math.ceil((max * 3) / 4));
  const tail = Math.max(0, max - head);
  return {
    kept: [...items.slice(0, head), ...items.slice(items.length - tail)],
    omitted: items.length - head - tail,
    at: head,
  };
}
