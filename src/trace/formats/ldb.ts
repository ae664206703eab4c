import { cutValue, programAndTest, type RenderOptions } from '../options.js';
import type { Trace } from '../schema.js';
import { keepEnds, StateReplay } from '../state.js';
import { shorterValues, type TraceFormatSpec } from './format.js';

interface Block {
  first: number;
  last: number;
}

/**
 * LDB-style (Zhong et al. 2024): execution cut into basic blocks (runs of consecutive lines within one
 * call; any jump starts a new block), with the frame's variables at the end of each block.
 */
export function renderLdb(trace: Trace, options: RenderOptions): string {
  const replay = new StateReplay(trace);
  const open = new Map<number, Block>();
  const out: string[] = [];
  const close = (call: number) => {
    const block = open.get(call);
    if (!block) return;
    open.delete(call);
    if (replay.isTest(call) && !replay.hasVariables(call)) return;
    const span = block.first === block.last ? `line ${block.first}` : `lines ${block.first}-${block.last}`;
    out.push(`[block] ${replay.functionName(call)} ${span}: ${replay.describe(call, options.valueChars)}`);
  };
  for (const event of trace.events) {
    if (event.kind === 'line') {
      const block = open.get(event.call);
      if (block && event.line === block.last + 1) block.last = event.line;
      else {
        close(event.call);
        open.set(event.call, { first: event.line, last: event.line });
      }
      replay.apply(event);
      continue;
    }
    if (event.kind === 'call') {
      replay.apply(event);
      out.push(
        `[call] ${replay.functionName(event.call)} line ${event.line}: ${replay.describe(event.call, options.valueChars)}`,
      );
      continue;
    }
    close(event.call);
    const name = replay.functionName(event.call);
    if (event.kind === 'return')
      out.push(`[return] ${name} line ${event.line}: ${cutValue(event.value ?? 'None', options.valueChars)}`);
    else if (event.kind === 'yield')
      out.push(`[yield] ${name} line ${event.line}: ${cutValue(event.value ?? 'None', options.valueChars)}`);
    else
      out.push(
        `[exception] ${name} line ${event.line}: ${cutValue(event.exception?.repr ?? 'Exception()', options.valueChars)}`,
      );
  }
  for (const call of [...open.keys()]) close(call);
  const { kept, omitted, at } = keepEnds(out, options.maxBlocks);
  if (omitted > 0) kept.splice(at, 0, `... (${omitted} blocks omitted)`);
  return `${programAndTest(trace)}\n\n# Execution by basic block, the variables at the end of each:\n${kept.map((line) => `# ${line}`).join('\n')}\n`;
}

/** LDB: the run by basic block, after the program. */
export const ldb = {
  description: 'LDB: the run split into basic blocks with the variables after each',
  prompt: true,
  promptIntro:
    ' After the program comes its execution on the failing test, block by block, with the variables at the end of each block.',
  hasStepNumbers: false,
  render: renderLdb,
  showsNotes: true,
  shrink: {
    steps: (start) => [
      ...[20, 10, 6, 4].filter((blocks) => blocks < start.maxBlocks).map((maxBlocks) => ({ maxBlocks })),
      ...shorterValues(start),
    ],
    describe: (from, to) => (to.maxBlocks === from.maxBlocks ? [] : [`at most ${to.maxBlocks} blocks`]),
  },
} as const satisfies TraceFormatSpec;
