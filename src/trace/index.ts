export { type Elision, elide } from './elide.js';
export {
  isPromptTraceFormat,
  isTraceFormat,
  PROMPT_TRACE_FORMATS,
  type PromptTraceFormat,
  TOKEN_ENCODINGS,
  type TokenEncoding,
  TRACE_FORMAT_TABLE,
  TRACE_FORMATS,
  type TraceFormat,
} from './formats.js';
export { entriesByLine, renderInline } from './inline.js';
export { renderLdb } from './ldb.js';
export { cutValue, DEFAULT_RENDER_OPTIONS, type RenderOptions, sourceLines } from './options.js';
export { type FitOptions, type FittedTrace, fitTrace, phaseNote, renderTrace, truncationNote } from './render.js';
export {
  TRACE_PHASES,
  TRACE_SCHEMA_VERSION,
  type Trace,
  type TraceEvent,
  TraceEventSchema,
  type TraceFrame,
  TraceFrameSchema,
  type TracePhase,
  TraceSchema,
  type TraceTruncation,
  tracePhase,
  type VariableChange,
} from './schema.js';
export { renderScratchpad } from './scratchpad.js';
export { createTokenCounter } from './tokens.js';
