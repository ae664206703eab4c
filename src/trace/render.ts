import { type Shrink, type TraceFormat, traceFormatSpec } from './formats/index.js';
import { DEFAULT_RENDER_OPTIONS, type RenderOptions } from './options.js';
import { tracePhase } from './phase.js';
import type { Trace, TraceTruncation } from './schema.js';

const TRUNCATION_NOTES: Record<TraceTruncation, string> = {
  steps: 'recording stopped at the step limit',
  events: 'recording stopped at the event limit',
  size: 'recording stopped at the size limit',
  time: 'recording stopped at the time limit',
  killed: 'the program was stopped (time or memory limit) while it was being traced',
  untraced:
    "the program removed or replaced the tracer, or wrote to the judge's channel, so what it did next is not shown",
  fault: 'the tracer failed on a value the program made; what followed is not shown',
  stack: 'the stack ran out (RecursionError), so the deepest calls are not shown',
};

/** The note that says a trace is incomplete, or null. */
export function truncationNote(trace: Trace): string | null {
  if (!trace.truncated) return null;
  return `# nxt: trace incomplete after ${trace.steps} steps: ${TRUNCATION_NOTES[trace.truncated]}.`;
}

/** The note that says a trace is of the program's loading, not of a test, or null. */
export function phaseNote(trace: Trace): string | null {
  if (tracePhase(trace) !== 'load') return null;
  return '# nxt: the program failed while loading, before any test ran: this is the trace of its top-level code.';
}

/**
 * Renders `trace` in `format`. In a format that shows notes (all but `json` and `none`), a trace of the
 * program's loading ends with a `# nxt:` note saying so, and an incomplete trace with one saying why.
 */
export function renderTrace(trace: Trace, format: TraceFormat, options: Partial<RenderOptions> = {}): string {
  const spec = traceFormatSpec(format);
  const text = spec.render(trace, { ...DEFAULT_RENDER_OPTIONS, ...options });
  if (!spec.showsNotes) return text;
  const notes = [phaseNote(trace), truncationNote(trace)].filter((note) => note !== null);
  return notes.reduce((out, note) => `${out}${note}\n`, text);
}

export interface FitOptions {
  budgetTokens: number;
  countTokens: (text: string) => number;
  options?: Partial<RenderOptions>;
}

export interface FittedTrace {
  text: string;
  tokens: number;
  /** The options that produced `text`. */
  options: RenderOptions;
  /** What was cut to fit, in words (empty when nothing was). */
  cuts: string[];
  fits: boolean;
}

/** The renderings to try, largest first: `start`, then each of the format's steps on top of the last. */
function ladder(shrink: Shrink, start: RenderOptions): RenderOptions[] {
  const steps: RenderOptions[] = [start];
  for (const change of shrink.steps(start)) steps.push({ ...(steps[steps.length - 1] as RenderOptions), ...change });
  return steps;
}

function describeCuts(shrink: Shrink, from: RenderOptions, to: RenderOptions): string[] {
  const cuts = [...shrink.describe(from, to)];
  if (to.valueChars !== from.valueChars) cuts.push(`values cut to ${to.valueChars} characters`);
  return cuts;
}

/**
 * Renders `trace` within `budgetTokens`: when the full rendering is over budget it shrinks step by step
 * (fewer loop entries, fewer state lines or blocks, shorter values) and says in a `# nxt:` line what was
 * cut. If even the smallest rendering does not fit, the trace is dropped and the program shown bare,
 * with a note; `fits` is false only when the bare program alone is over budget.
 */
export function fitTrace(trace: Trace, format: TraceFormat, fit: FitOptions): FittedTrace {
  const requested = { ...DEFAULT_RENDER_OPTIONS, ...fit.options };
  const full = renderTrace(trace, format, requested);
  const fullTokens = fit.countTokens(full);
  const { shrink } = traceFormatSpec(format);
  if (fullTokens <= fit.budgetTokens || !shrink) {
    return { text: full, tokens: fullTokens, options: requested, cuts: [], fits: fullTokens <= fit.budgetTokens };
  }
  for (const options of ladder(shrink, requested).slice(1)) {
    const cuts = describeCuts(shrink, requested, options);
    const text = `${renderTrace(trace, format, options)}# nxt: trace shortened to fit ${fit.budgetTokens} tokens: ${cuts.join('; ')}.\n`;
    const tokens = fit.countTokens(text);
    if (tokens <= fit.budgetTokens) return { text, tokens, options, cuts, fits: true };
  }
  const cuts = ['trace dropped'];
  const text = `${renderTrace(trace, 'none')}# nxt: the execution trace was dropped: even shortened it did not fit ${fit.budgetTokens} tokens.\n`;
  const tokens = fit.countTokens(text);
  return { text, tokens, options: requested, cuts, fits: tokens <= fit.budgetTokens };
}
