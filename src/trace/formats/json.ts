import type { TraceFormatSpec } from './format.js';

/** The trace record itself, for tools (never in a prompt, never shortened). */
export const json = {
  description: 'the trace as JSON, for tools',
  prompt: false,
  promptIntro: ' After the program comes a JSON record of its execution on the failing test.',
  hasStepNumbers: false,
  render: (trace) => `${JSON.stringify(trace, null, 2)}\n`,
  showsNotes: false,
  shrink: null,
} as const satisfies TraceFormatSpec;
