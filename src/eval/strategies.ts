import type { Sandbox } from '../sandbox/index.js';
import type { RepairTask } from '../tasks/index.js';
import { fitTrace, type TraceFormat } from '../trace/index.js';
import type { Judged } from './records.js';

/** What a strategy knows when it writes the feedback for the next turn. */
export interface FeedbackContext {
  task: RepairTask;
  /** The program the model wrote last turn, or null when its answer had no program. */
  program: string | null;
  /** Its verdict on the base tests (null when there was no program). */
  verdict: Judged | null;
  sandbox: Sandbox;
  countTokens: (text: string) => number;
  /** The run's trace format and budget (what the model saw on the first turn). */
  trace: TraceFormat;
  traceBudgetTokens: number;
}

/**
 * A way to repair. Every strategy starts with the run's first prompt (the NExT prompt, with the run's
 * trace format and shots); a multi-turn strategy then answers each failing fix with feedback, as the
 * next user turn, until a fix passes or the turns run out.
 */
export interface RepairStrategy {
  description: string;
  /** Turns when --turns is not given. */
  defaultTurns: number;
  /** The next user turn after a fix that did not pass; null ends the conversation. */
  feedback(context: FeedbackContext): Promise<string | null>;
}

const NO_PROGRAM =
  'Your answer had no program in a ```python block, so nothing could be run. Write the complete fixed program in one ```python block.';

/** The first test the program did not pass, with what went wrong, as the model should read it. */
function failure(context: FeedbackContext): { index: number; text: string } | null {
  const tests = context.verdict?.tests ?? [];
  const index = tests.findIndex((test) => test.status !== 'pass');
  if (index < 0) {
    if (context.verdict && context.verdict.status !== 'pass')
      return { index: -1, text: `The program failed before any test ran: ${context.verdict.reason}` };
    return null;
  }
  const test = tests[index];
  const statement = context.task.tests[index] ?? '';
  const what =
    test?.status === 'timeout'
      ? 'it did not finish in time'
      : test?.status === 'not_run'
        ? 'it was not run'
        : `it raised ${test?.exception ?? 'an error'}`;
  return { index, text: `This test does not pass, ${what}:\n\`\`\`python\n${statement.trim()}\n\`\`\`` };
}

/** The fix's execution on its failing test, rendered in `format` within the run's budget (null if untraceable). */
async function traceOfFix(context: FeedbackContext, index: number, format: TraceFormat): Promise<string | null> {
  if (!context.program || index < 0 || format === 'none') return null;
  const result = await context.sandbox.traceProgram(context.program, context.task.tests, {
    testIndex: index,
    entryPoint: context.task.entryPoint,
    ...(context.task.reference ? { reference: context.task.reference } : {}),
  });
  if (result.status !== 'traced') return null;
  return fitTrace(result.trace, format, {
    budgetTokens: context.traceBudgetTokens,
    countTokens: context.countTokens,
  }).text;
}

/**
 * Self-Debugging (Chen et al., 2023): the model is told which test its fix fails and how (and, when
 * the run shows traces, sees the trace of its own fix on that test), explains what is wrong, fixes.
 */
const selfDebug: RepairStrategy = {
  description: 'Self-Debugging: after a failing fix, the failing test, its error and the trace of the fix; try again',
  defaultTurns: 3,
  async feedback(context) {
    if (!context.program) return NO_PROGRAM;
    const failed = failure(context);
    if (!failed) return null;
    const trace = await traceOfFix(context, failed.index, context.trace);
    return [
      'Your fixed program is still wrong.',
      failed.text,
      ...(trace ? ['Here is how your program ran on that test:', '```python', trace.trimEnd(), '```'] : []),
      'Explain what is still wrong, then write the complete corrected program in one ```python block.',
    ].join('\n\n');
  },
};

/**
 * LDB (Zhong et al., 2024): the fix's run on its failing test split into basic blocks with the
 * variables after each; the model judges each block, then fixes.
 */
const ldb: RepairStrategy = {
  description: 'LDB: after a failing fix, its run split into blocks with the state after each; judge each block, fix',
  defaultTurns: 3,
  async feedback(context) {
    if (!context.program) return NO_PROGRAM;
    const failed = failure(context);
    if (!failed) return null;
    const blocks = await traceOfFix(context, failed.index, 'ldb');
    return [
      'Your fixed program is still wrong.',
      failed.text,
      ...(blocks
        ? ['Its run on that test, block by block, with the variables after each block:', '```', blocks.trimEnd(), '```']
        : []),
      'For each block, say whether it does what the task needs (CORRECT or WRONG, and why). Then write the complete corrected program in one ```python block.',
    ].join('\n\n');
  },
};

/** Single-shot NExT repair (the paper): one answer per sample, no feedback. */
const nxt: RepairStrategy = {
  description: 'NExT: one answer per sample from the traced prompt (the paper)',
  defaultTurns: 1,
  async feedback() {
    return null;
  },
};

/** Every strategy, by the name `--strategy` takes. Adding one is a file and an entry here. */
export const STRATEGIES = { nxt, 'self-debug': selfDebug, ldb } as const satisfies Record<string, RepairStrategy>;
export type StrategyName = keyof typeof STRATEGIES;
export const STRATEGY_NAMES = Object.keys(STRATEGIES) as [StrategyName, ...StrategyName[]];

export function isStrategyName(value: string): value is StrategyName {
  return Object.hasOwn(STRATEGIES, value);
}
