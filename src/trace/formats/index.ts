import { choiceNames, isChoice, nonEmpty } from '../../shared/index.js';
import type { TraceFormatSpec } from './format.js';
import { inline } from './inline.js';
import { json } from './json.js';
import { ldb } from './ldb.js';
import { none } from './none.js';
import { scratchpad } from './scratchpad.js';

export type { Shrink, TraceFormatSpec } from './format.js';

/**
 * Every trace format, by the name `--format` and `--trace` take: the one table of them. Adding a
 * format is a file in this folder and an entry here; the CLI's choices and help, the run configs'
 * schemas, the prompt's wording and `fitTrace` follow. Read by `nxt --help`: nothing here loads zod.
 */
export const TRACE_FORMAT_TABLE = { inline, scratchpad, ldb, json, none } as const satisfies Record<
  string,
  TraceFormatSpec
>;

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

/** What `format` is: its renderer, prompt wording and shrinking (see `TraceFormatSpec`). */
export function traceFormatSpec(format: TraceFormat): TraceFormatSpec {
  return TRACE_FORMAT_TABLE[format];
}
