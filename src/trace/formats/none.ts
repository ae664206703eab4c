import { sourceLines } from '../options.js';
import type { TraceFormatSpec } from './format.js';

/** No trace: the program as it is (the baseline, and what a trace too big for its budget falls back to). */
export const none = {
  description: 'no trace: the program alone',
  prompt: true,
  promptIntro: '',
  hasStepNumbers: false,
  render: (trace) => `${sourceLines(trace.program).join('\n')}\n`,
  showsNotes: false,
  shrink: null,
} as const satisfies TraceFormatSpec;
