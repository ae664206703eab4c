import { elide } from '../elide.js';
import { cutValue, type RenderOptions, sourceLines } from '../options.js';
import { tracePhase } from '../phase.js';
import type { Trace, TraceEvent } from '../schema.js';
import { shorterValues, type TraceFormatSpec } from './format.js';

interface Entry {
  step: number;
  text: string;
}

function entryText(event: TraceEvent, valueChars: number): string | null {
  if (event.step === null) return null;
  const prefix = `(${event.step})`;
  switch (event.kind) {
    case 'call':
    case 'line':
      if (event.changes.length === 0) return null;
      return `${prefix} ${event.changes.map((change) => `${change.name}=${cutValue(change.value, valueChars)}`).join(', ')}`;
    case 'return':
      return `${prefix} __return__=${cutValue(event.value ?? 'None', valueChars)}`;
    case 'yield':
      return `${prefix} __yield__=${cutValue(event.value ?? 'None', valueChars)}`;
    case 'exception':
      return `${prefix} __exception__ = ${cutValue(event.exception?.repr ?? 'Exception()', valueChars)}`;
  }
}

/** Entries per source line, in step order: `program:3` → entries. */
export function entriesByLine(trace: Trace, valueChars: number): Map<string, Entry[]> {
  const sources = new Map(trace.frames.map((frame) => [frame.call, frame.source]));
  const byLine = new Map<string, Entry[]>();
  for (const event of trace.events) {
    const text = entryText(event, valueChars);
    if (text === null || event.step === null) continue;
    const key = `${sources.get(event.call) ?? 'program'}:${event.line}`;
    const list = byLine.get(key) ?? [];
    list.push({ step: event.step, text });
    byLine.set(key, list);
  }
  for (const list of byLine.values()) list.sort((a, b) => a.step - b.step);
  return byLine;
}

function lastStep(trace: Trace): number {
  let last = -1;
  for (const event of trace.events) if (event.step !== null && event.step > last) last = event.step;
  return last;
}

function annotate(line: string, entries: Entry[] | undefined, options: RenderOptions, finalStep: number): string {
  if (!entries || entries.length === 0) return line;
  const kept = elide(entries, { head: options.loopHead, tail: options.loopTail });
  const texts = kept.map((entry) => (entry === null ? '...' : entry.text));
  const endsTrace = kept.some((entry) => entry !== null && entry.step === finalStep);
  return `${line}  # ${texts.join('; ')}${endsTrace ? '' : ';'}`;
}

/**
 * NExT's inline trace: the program unchanged, each executed line that changed state followed by
 * `# (k) name=value; ...` in step order. Every entry ends with `;` except the trace's last.
 * The traced test statement follows after a blank line (see `testLine`); a trace of the program's
 * loading has none.
 */
export function renderInline(trace: Trace, options: RenderOptions): string {
  const byLine = entriesByLine(trace, options.valueChars);
  const finalStep = lastStep(trace);
  const out = sourceLines(trace.program).map((line, index) =>
    annotate(line, byLine.get(`program:${index + 1}`), options, finalStep),
  );
  const testLines = tracePhase(trace) === 'load' ? [] : sourceLines(trace.test);
  const testHasEntries = testLines.some((_, index) => byLine.has(`test:${index + 1}`));
  if (testLines.length > 0 && (options.testLine === 'always' || (options.testLine === 'auto' && testHasEntries))) {
    out.push(
      '',
      ...testLines.map((line, index) => annotate(line, byLine.get(`test:${index + 1}`), options, finalStep)),
    );
  }
  return `${out.join('\n')}\n`;
}

/** NExT's format (the paper's): the program with each executed line's states in a comment. */
export const inline = {
  description: 'NExT: each line annotated with the states it produced, in order',
  prompt: true,
  promptIntro:
    ' Each line it ran on the failing test carries a comment with what happened: `(k) name=value` is the value after step k of the execution, `__return__` a returned value and `__exception__` a raised exception.',
  hasStepNumbers: true,
  render: renderInline,
  showsNotes: true,
  shrink: {
    steps(start) {
      const steps: Partial<RenderOptions>[] = [];
      for (let head = start.loopHead - 1; head >= 1; head--) steps.push({ loopHead: head });
      steps.push(...shorterValues(start));
      if (start.loopHead > 0) steps.push({ loopHead: 0 });
      return steps;
    },
    describe: (from, to) =>
      to.loopHead === from.loopHead
        ? []
        : [
            `lines run many times keep their first ${to.loopHead} and last ${to.loopTail} entries (not ${from.loopHead})`,
          ],
  },
} as const satisfies TraceFormatSpec;
