import { tracePhase } from './phase.js';
import type { Trace } from './schema.js';

/** How a trace is rendered. Every renderer reads the fields that concern it. */
export interface RenderOptions {
  /** Entries kept at the start of a line that ran many times (NExT: loop lines). */
  loopHead: number;
  /** Entries kept at the end of such a line. */
  loopTail: number;
  /** Longest value shown; longer ones are cut and end in `...`. */
  valueChars: number;
  /** Show the traced test statement under the program: always, never, or when it carries entries. */
  testLine: 'auto' | 'always' | 'never';
  /** scratchpad: most state lines shown (first and last kept). */
  maxLines: number;
  /** ldb: most blocks shown (first and last kept). */
  maxBlocks: number;
}

export const DEFAULT_RENDER_OPTIONS: Readonly<RenderOptions> = Object.freeze({
  loopHead: 3,
  loopTail: 1,
  valueChars: 1000,
  testLine: 'auto',
  maxLines: 400,
  maxBlocks: 40,
});

/** Cuts a value to `max` characters, marking the cut with `...`. */
export function cutValue(value: string, max: number): string {
  return value.length > max ? `${value.slice(0, Math.max(0, max))}...` : value;
}

/**
 * The program, then the traced test after a blank line: the head of the renderings that list the run
 * apart from the source. A trace of the program's loading has no test to show (it never ran).
 */
export function programAndTest(trace: Trace): string {
  const program = sourceLines(trace.program).join('\n');
  if (tracePhase(trace) === 'load') return program;
  return `${program}\n\n${sourceLines(trace.test).join('\n')}`;
}

/** The text of a program or test as lines, without the trailing empty line of a final newline. */
export function sourceLines(text: string): string[] {
  const lines = text.split(/\r\n|\r|\n/);
  while (lines.length > 0 && (lines[lines.length - 1] ?? '').trim() === '') lines.pop();
  return lines;
}
