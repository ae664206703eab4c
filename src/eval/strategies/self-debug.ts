import { failure, NO_PROGRAM, type RepairStrategy, traceOfFix } from './feedback.js';

/**
 * Self-Debugging (Chen et al., 2023): the model is told which test its fix fails and how (and, when
 * the run shows traces, sees the trace of its own fix on that test), explains what is wrong, fixes.
 */
export const selfDebug: RepairStrategy = {
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
