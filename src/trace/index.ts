export { type Elision, elide } from './elide.js';
export {
  isPromptTraceFormat,
  isTraceFormat,
  PROMPT_TRACE_FORMATS,
  type PromptTraceFormat,
  type Shrink,
  TRACE_FORMAT_TABLE,
  TRACE_FORMATS,
  type TraceFormat,
  type TraceFormatSpec,
  traceFormatSpec,
} from './formats/index.js';
export { entriesByLine, renderInline } from './formats/inline.js';
export { renderLdb } from './formats/ldb.js';
export { renderScratchpad } from './formats/scratchpad.js';
export { cutValue, DEFAULT_RENDER_OPTIONS, type RenderOptions, sourceLines } from './options.js';
export { TRACE_PHASES, type TracePhase, tracePhase } from './phase.js';
export { type FitOptions, type FittedTrace, fitTrace, phaseNote, renderTrace, truncationNote } from './render.js';
export {
  TRACE_SCHEMA_VERSION,
  type Trace,
  type TraceEvent,
  TraceEventSchema,
  type TraceFrame,
  TraceFrameSchema,
  TraceSchema,
  type TraceTruncation,
  type VariableChange,
} from './schema.js';
export { createTokenCounter, TOKEN_ENCODINGS, type TokenEncoding } from './tokens.js';
