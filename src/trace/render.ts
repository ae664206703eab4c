import type { TraceFormat } from './formats.js';
import { renderInline } from './inline.js';
import { renderLdb } from './ldb.js';
import { DEFAULT_RENDER_OPTIONS, type RenderOptions, sourceLines } from './options.js';
import { type Trace, type TraceTruncation, tracePhase } from './schema.js';
import { renderScratchpad } from './scratchpad.js';

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

function renderBare(trace: Trace, format: TraceFormat, options: RenderOptions): string {
  switch (format) {
    case 'inline':
      return renderInline(trace, options);
    case 'scratchpad':
      return renderScratchpad(trace, options);
    case 'ldb':
      return renderLdb(trace, options);
    case 'json':
      return `${JSON.stringify(trace, null, 2)}\n`;
    case 'none':
      return `${sourceLines(trace.program).join('\n')}\n`;
  }
}

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
 * Renders `trace` in `format`. Except in `json` and `none`, a trace of the program's loading ends with a
 * `# nxt:` note saying so, and an incomplete trace with one saying why.
 */
export function renderTrace(trace: Trace, format: TraceFormat, options: Partial<RenderOptions> = {}): string {
  const resolved = { ...DEFAULT_RENDER_OPTIONS, ...options };
  const text = renderBare(trace, format, resolved);
  if (format === 'json' || format === 'none') return text;
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

function ladder(format: TraceFormat, start: RenderOptions): RenderOptions[] {
  const steps: RenderOptions[] = [start];
  const push = (change: Partial<RenderOptions>) =>
    steps.push({ ...(steps[steps.length - 1] as RenderOptions), ...change });
  const values = [200, 100, 50, 20].filter((chars) => chars < start.valueChars);
  if (format === 'inline') {
    for (let head = start.loopHead - 1; head >= 1; head--) push({ loopHead: head });
    for (const valueChars of values) push({ valueChars });
    if (start.loopHead > 0) push({ loopHead: 0 });
  } else if (format === 'scratchpad') {
    for (const maxLines of [200, 100, 50, 20, 10].filter((lines) => lines < start.maxLines)) push({ maxLines });
    for (const valueChars of values) push({ valueChars });
  } else if (format === 'ldb') {
    for (const maxBlocks of [20, 10, 6, 4].filter((blocks) => blocks < start.maxBlocks)) push({ maxBlocks });
    for (const valueChars of values) push({ valueChars });
  }
  return steps;
}

function describeCuts(format: TraceFormat, from: RenderOptions, to: RenderOptions): string[] {
  const cuts: string[] = [];
  if (format === 'inline' && to.loopHead !== from.loopHead) {
    cuts.push(
      `lines run many times keep their first ${to.loopHead} and last ${to.loopTail} entries (not ${from.loopHead})`,
    );
  }
  if (format === 'scratchpad' && to.maxLines !== from.maxLines) cuts.push(`at most ${to.maxLines} state lines`);
  if (format === 'ldb' && to.maxBlocks !== from.maxBlocks) cuts.push(`at most ${to.maxBlocks} blocks`);
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
  if (fullTokens <= fit.budgetTokens || format === 'none' || format === 'json') {
    return { text: full, tokens: fullTokens, options: requested, cuts: [], fits: fullTokens <= fit.budgetTokens };
  }
  for (const options of ladder(format, requested).slice(1)) {
    const cuts = describeCuts(format, requested, options);
    const text = `${renderTrace(trace, format, options)}# nxt: trace shortened to fit ${fit.budgetTokens} tokens: ${cuts.join('; ')}.\n`;
    const tokens = fit.countTokens(text);
    if (tokens <= fit.budgetTokens) return { text, tokens, options, cuts, fits: true };
  }
  const cuts = ['trace dropped'];
  const text = `${renderTrace(trace, 'none')}# nxt: the execution trace was dropped: even shortened it did not fit ${fit.budgetTokens} tokens.\n`;
  const tokens = fit.countTokens(text);
  return { text, tokens, options: requested, cuts, fits: tokens <= fit.budgetTokens };
}
