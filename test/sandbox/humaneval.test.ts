import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { humanEvalCanonical, humanEvalFixBuggy } from '../support/shared-data.js';

// With default limits, real data: every HumanEval reference passes and every HumanEvalFix bug fails
// (../shared/data/PROVENANCE.md records the same under python3.11).
let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await createSandbox();
});

afterAll(async () => {
  await sandbox.close();
});

describe('HumanEval with default limits', () => {
  it('passes all 164 canonical solutions', async () => {
    const cases = humanEvalCanonical();
    expect(cases).toHaveLength(164);
    const verdicts = await Promise.all(cases.map((item) => sandbox.judgeProgram(item.program, item.tests)));
    const failing = cases.filter((_, index) => verdicts[index]?.status !== 'pass').map((item) => item.id);
    expect(failing).toEqual([]);
  });

  it('fails all 164 HumanEvalFix buggy solutions, three of them by timeout', async () => {
    const cases = humanEvalFixBuggy();
    expect(cases).toHaveLength(164);
    const verdicts = await Promise.all(cases.map((item) => sandbox.judgeProgram(item.program, item.tests)));
    const passing = cases.filter((_, index) => verdicts[index]?.status === 'pass').map((item) => item.id);
    expect(passing).toEqual([]);
    const timeouts = cases.filter((_, index) => verdicts[index]?.status === 'timeout').map((item) => item.id);
    expect(timeouts).toEqual(['Python/10', 'Python/156', 'Python/160']);
    const errors = verdicts.filter((verdict) => verdict.status === 'error');
    expect(errors, 'every buggy program loads; its tests fail').toEqual([]);
  }, 120_000);
});
