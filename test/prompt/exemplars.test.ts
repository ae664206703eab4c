import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXEMPLARS } from '../../src/prompt/index.js';
import { createSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { renderTrace } from '../../src/trace/index.js';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await createSandbox({ workers: 1 });
});
afterAll(async () => {
  await sandbox.close();
});

describe('the three-shot exemplars', () => {
  for (const exemplar of EXEMPLARS) {
    it(`${exemplar.id}: the bug fails the traced test, the fix passes, and the rationale cites the real trace`, async () => {
      const buggy = await sandbox.judgeProgram(exemplar.buggyProgram, [...exemplar.tests]);
      expect(buggy.tests.findIndex((test) => test.status !== 'pass')).toBe(exemplar.failingTest);
      expect((await sandbox.judgeProgram(exemplar.fixedProgram, [...exemplar.tests])).status).toBe('pass');
      const traced = await sandbox.traceProgram(exemplar.buggyProgram, [...exemplar.tests]);
      if (traced.status !== 'traced') throw new Error(traced.status);
      expect(traced.testIndex).toBe(exemplar.failingTest);
      const inline = renderTrace(traced.trace, 'inline');
      for (const cited of exemplar.cites) expect(inline).toContain(cited);
      expect(exemplar.rationale).not.toMatch(/step \(\d+\)/);
      expect(exemplar.id).toMatch(/^MBPP\/([1-9]|10)$/);
    });
  }
});
