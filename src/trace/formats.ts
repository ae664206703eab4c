import { choiceNames, isChoice, nonEmpty } from '../shared/index.js';

/**
 * Every trace format: the one table of them. `prompt`: whether a repair prompt can show it to the
 * model (JSON is for tools). Renderers live in render.ts, one case per name (the compiler checks).
 */
export const TRACE_FORMAT_TABLE = {
  inline: { description: 'NExT: each line annotated with the states it produced, in order', prompt: true },
  scratchpad: { description: 'the run as a list of executed lines with their states', prompt: true },
  ldb: { description: 'LDB: the run split into basic blocks with the variables after each', prompt: true },
  json: { description: 'the trace as JSON, for tools', prompt: false },
  none: { description: 'no trace: the program alone', prompt: true },
} as const;

type Table = typeof TRACE_FORMAT_TABLE;
export type TraceFormat = keyof Table;
export type PromptTraceFormat = {
  [Name in TraceFormat]: Table[Name]['prompt'] extends true ? Name : never;
}[TraceFormat];

export const TRACE_FORMATS = choiceNames(TRACE_FORMAT_TABLE);

/** The formats a repair prompt can show the model: eval, selftrain and the CLI use this one list. */
export const PROMPT_TRACE_FORMATS = nonEmpty(
  TRACE_FORMATS.filter((name): name is PromptTraceFormat => TRACE_FORMAT_TABLE[name].prompt),
);

export function isTraceFormat(value: string): value is TraceFormat {
  return isChoice(TRACE_FORMAT_TABLE, value);
}

export function isPromptTraceFormat(value: string): value is PromptTraceFormat {
  return isTraceFormat(value) && TRACE_FORMAT_TABLE[value].prompt;
}

/** The tokenizers a trace's size is counted in (`--tokenizer`): a choice table's list, read by --help. */
export const TOKEN_ENCODINGS = ['cl100k_base', 'o200k_base'] as const;
export type TokenEncoding = (typeof TOKEN_ENCODINGS)[number];
