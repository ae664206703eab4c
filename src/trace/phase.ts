/**
 * What a trace records: `test`, the traced test statement run against the loaded program; `load`, the
 * program's own top-level code, traced because the program failed while loading (no test ran).
 * Apart from schema.ts so that renderers (and the format table `nxt --help` reads) do not load zod.
 */
export const TRACE_PHASES = ['test', 'load'] as const;
export type TracePhase = (typeof TRACE_PHASES)[number];

/** What `trace` records (see `TRACE_PHASES`); a trace without the field is a test's. */
export function tracePhase(trace: { phase?: TracePhase | undefined }): TracePhase {
  return trace.phase ?? 'test';
}
