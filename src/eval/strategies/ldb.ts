import { failure, NO_PROGRAM, type RepairStrategy, traceOfFix } from './feedback.js';

/**
 * LDB (Zhong et al., 2024): the fix's run on its failing test split into basic blocks with the
 * variables after each; the model judges each block, then fixes.
 */
export const ldb: RepairStrategy = {
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
