import type { Judged } from '../../runs/index.js';
import type { Sandbox } from '../../sandbox/index.js';
import type { Problem } from '../../tasks/index.js';
import type { TraceFormat } from '../../trace/index.js';

/** What a strategy knows when it writes the feedback for the next turn. */
export interface FeedbackContext {
  task: Problem;
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
  /** One line, for `--help` and the docs. */
  description: string;
  /** Turns when --turns is not given. */
  defaultTurns: number;
  /** The next user turn after a fix that did not pass; null ends the conversation. */
  feedback(context: FeedbackContext): Promise<string | null>;
}

export const NO_PROGRAM =
  'Your answer had no program in a ```python block, so nothing could be run. Write the complete fixed program in one ```python block.';

/** The first test the program did not pass, with what went wrong, as the model should read it. */
export function failure(context: FeedbackContext): { index: number; text: string } | null {
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

/**
 * The fix's execution on its failing test, rendered in `format` within the run's budget (null if
 * untraceable). The renderers load on first use, so the strategy table stays cheap to import.
 */
export async function traceOfFix(context: FeedbackContext, index: number, format: TraceFormat): Promise<string | null> {
  if (!context.program || index < 0 || format === 'none') return null;
  const result = await context.sandbox.traceProgram(context.program, context.task.tests, {
    testIndex: index,
    entryPoint: context.task.entryPoint,
    ...(context.task.reference ? { reference: context.task.reference } : {}),
  });
  if (result.status !== 'traced') return null;
  const { fitTrace } = await import('../../trace/index.js');
  return fitTrace(result.trace, format, {
    budgetTokens: context.traceBudgetTokens,
    countTokens: context.countTokens,
  }).text;
}
