import type { RenderOptions } from '../options.js';
import type { Trace } from '../schema.js';

/**
 * One trace format, all of it in one place: what --help says of it, whether and how a repair prompt
 * shows it, its renderer, and how `fitTrace` shrinks it to a token budget. Adding a format is a file in
 * this folder exporting one of these and an entry in `TRACE_FORMAT_TABLE` (index.ts); the CLI's
 * choices and help, the run configs' schemas, the prompt and `fitTrace` follow from the table.
 */
export interface TraceFormatSpec {
  /** What the format shows, in a few words (`--help`). */
  readonly description: string;
  /** Whether a repair prompt can show it to the model (JSON is for tools). */
  readonly prompt: boolean;
  /**
   * What the repair prompt says of the rendering, right after "This program fails at least one of the
   * tests below." (with its leading space; empty when there is nothing to say). Part of the prompt's
   * wording: changing it changes `promptHash`.
   */
  readonly promptIntro: string;
  /** Whether the rendering numbers state changes `(k)` as NExT does, so worked examples can cite them. */
  readonly hasStepNumbers: boolean;
  /** The rendering, before the `# nxt:` notes `renderTrace` adds. */
  render(trace: Trace, options: RenderOptions): string;
  /** Whether `renderTrace` ends the rendering with its `# nxt:` notes (load phase, incomplete trace). */
  readonly showsNotes: boolean;
  /** How `fitTrace` shrinks the rendering to a budget; null: it is shown whole, whatever its size. */
  readonly shrink: Shrink | null;
}

/** A format's ladder of ever smaller renderings. */
export interface Shrink {
  /** The changes to try in order from the requested options, each on top of the ones before it. */
  steps(start: RenderOptions): Partial<RenderOptions>[];
  /** What `to` cuts that `from` showed, in words; `fitTrace` adds shorter values itself. */
  describe(from: RenderOptions, to: RenderOptions): string[];
}

/** The value lengths a ladder steps down through, below the requested one. */
export function shorterValues(start: RenderOptions): Partial<RenderOptions>[] {
  return [200, 100, 50, 20].filter((chars) => chars < start.valueChars).map((valueChars) => ({ valueChars }));
}
