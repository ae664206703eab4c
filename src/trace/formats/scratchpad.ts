import { cutValue, programAndTest, type RenderOptions } from '../options.js';
import type { Trace } from '../schema.js';
import { keepEnds, StateReplay } from '../state.js';
import { shorterValues, type TraceFormatSpec } from './format.js';

/**
 * Scratchpad (Nye et al. 2021): the program, the test, then the whole state of the running frame
 * after each executed line, as a separate sequence.
 */
export function renderScratchpad(trace: Trace, options: RenderOptions): string {
  const replay = new StateReplay(trace);
  const lines: string[] = [];
  for (const event of trace.events) {
    replay.apply(event);
    const where = `${replay.functionName(event.call)}, line ${event.line}`;
    if (event.kind === 'call') lines.push(`${where}: called with ${replay.describe(event.call, options.valueChars)}`);
    else if (event.kind === 'line') {
      // The test statement's own lines only matter when the test assigns something.
      if (replay.isTest(event.call) && !replay.hasVariables(event.call)) continue;
      lines.push(`${where}: ${replay.describe(event.call, options.valueChars)}`);
    } else if (event.kind === 'return')
      lines.push(`${where}: returns ${cutValue(event.value ?? 'None', options.valueChars)}`);
    else if (event.kind === 'yield')
      lines.push(`${where}: yields ${cutValue(event.value ?? 'None', options.valueChars)}`);
    else lines.push(`${where}: raises ${cutValue(event.exception?.repr ?? 'Exception()', options.valueChars)}`);
  }
  const { kept, omitted, at } = keepEnds(lines, options.maxLines);
  if (omitted > 0) kept.splice(at, 0, `... (${omitted} lines omitted)`);
  return `${programAndTest(trace)}\n\n# Execution, the state after each executed line:\n${kept.map((line) => `# ${line}`).join('\n')}\n`;
}

/** Scratchpad: the run as its own sequence of states, after the program. */
export const scratchpad = {
  description: 'the run as a list of executed lines with their states',
  prompt: true,
  promptIntro: ' After the program comes its execution on the failing test: the state after each line it ran.',
  hasStepNumbers: false,
  render: renderScratchpad,
  showsNotes: true,
  shrink: {
    steps: (start) => [
      ...[200, 100, 50, 20, 10].filter((lines) => lines < start.maxLines).map((maxLines) => ({ maxLines })),
      ...shorterValues(start),
    ],
    describe: (from, to) => (to.maxLines === from.maxLines ? [] : [`at most ${to.maxLines} state lines`]),
  },
} as const satisfies TraceFormatSpec;
