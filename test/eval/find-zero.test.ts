/**
 * HumanEval/32 (find_zero) on its real EvalPlus tests, as HumanEvalFix-Plus judges a fix: EvalPlus
 * accepts any point where |poly(xs, x)| is within the task's atol (1e-4 in HumanEval+ v0.1.10), so a
 * careful bisection passes, and a NaN is never a zero. Each verdict is also decided by EvalPlus's rule
 * run directly with python3 on the same inputs (outside the sandbox), and must agree with it.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { judgeFix } from '../../src/eval/index.js';
import { createSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { isRepairTask, type RepairTask } from '../../src/tasks/index.js';
import { loadSharedTasks, sharedDataDir } from '../support/shared-data.js';

let sandbox: Sandbox;
let task: RepairTask;

beforeAll(async () => {
  sandbox = await createSandbox({ workers: 2 });
  const found = (await loadSharedTasks('humanevalfix-plus')).find((item) => item.id === 'Python/32');
  if (!found || !isRepairTask(found)) throw new Error('Python/32 is missing');
  task = found;
}, 60_000);
afterAll(async () => {
  await sandbox?.close();
});

/** A bisection on the sign change nearest 0 (found on a grid widening away from 0), to the last bit. */
const bisection = `
    if poly(xs, 0.0) == 0:
        return 0.0
    grid = sorted({0.0} | {sign * k / 16.0 for k in range(1, 65) for sign in (-1, 1)}
                  | {sign * 2.0 ** k for k in range(2, 30) for sign in (-1, 1)})
    values = [poly(xs, x) for x in grid]
    brackets = [(grid[i], grid[i + 1]) for i in range(len(grid) - 1) if values[i] * values[i + 1] <= 0]
    begin, end = min(brackets, key=lambda pair: min(abs(pair[0]), abs(pair[1])))
    while True:
        center = (begin + end) / 2.0
        if center in (begin, end):
            break
        if poly(xs, center) * poly(xs, begin) > 0:
            begin = center
        else:
            end = center
    return begin if abs(poly(xs, begin)) <= abs(poly(xs, end)) else end
`;

/** HumanEval+ v0.1.10's atol for HumanEval/32, read from EvalPlus's own file (not from nxt's loader). */
function statedAtol(): number {
  const text = gunzipSync(readFileSync(join(sharedDataDir, 'evalplus', 'HumanEvalPlus-v0.1.10.jsonl.gz'))).toString();
  const line = text.split('\n').find((item) => item.startsWith('{"task_id": "HumanEval/32"')) ?? '';
  return (JSON.parse(line.replace(/-?Infinity|NaN/g, 'null')) as { atol: number }).atol;
}

/** EvalPlus's find_zero rule, run directly: every input's answer x has |sum(c * pow(x, i))| <= atol. */
function evalPlusRule(program: string, inputs: string, atol: number): 'pass' | 'fail' {
  const rule = `
import ast, json, math, sys
program, inputs, atol = json.load(sys.stdin)
space = {}
exec(program, space)
verdict = "pass"
for args in ast.literal_eval(inputs):
    try:
        x = space["find_zero"](*args)
        if not abs(sum([c * math.pow(x, i) for i, c in enumerate(args[0])])) <= atol:
            verdict = "fail"
    except Exception:
        verdict = "fail"
    if verdict == "fail":
        break
print(verdict)
`;
  const out = execFileSync('python3', ['-c', rule], {
    input: JSON.stringify([program, inputs, atol]),
    timeout: 60_000,
  });
  return out.toString().trim() === 'pass' ? 'pass' : 'fail';
}

describe('HumanEval/32, find_zero, on its EvalPlus tests', () => {
  const limits = { testTimeoutMs: 5000, programTimeoutMs: 15_000, plusTimeoutMs: 10_000 };

  async function judge(program: string) {
    const verdict = await judgeFix(sandbox, task, program, limits);
    const inputs = task.plusTests?.cases?.inputs ?? '';
    return { verdict, evalPlus: evalPlusRule(program, inputs, statedAtol()) };
  }

  it("takes HumanEval+'s atol for the task from EvalPlus's file", () => {
    expect(statedAtol()).toBe(1e-4);
    expect(task.plusTests?.atol).toBe(statedAtol());
    expect(task.plusTests?.cases?.oracle).toBe('poly-zero');
  });

  it('passes a bisection fix that finds a zero within the atol on every input, as EvalPlus does', async () => {
    const { verdict, evalPlus } = await judge(`${task.buggyProgram.replace(/\n {4}begin[\s\S]*$/, '')}${bisection}`);
    expect(evalPlus).toBe('pass');
    expect(verdict.basePass).toBe(true);
    expect(verdict.plus?.status, verdict.plus?.reason).toBe('pass');
    expect(verdict.pass).toBe(true);
  }, 120_000);

  it('fails a program that returns NaN on the inputs its base tests do not reach, as EvalPlus does', async () => {
    const nan = `${task.buggyProgram.replace(/\n {4}begin[\s\S]*$/, '')}\n    if len(xs) > 8:\n        return float("nan")${bisection}`;
    const { verdict, evalPlus } = await judge(nan);
    expect(evalPlus).toBe('fail');
    expect(verdict.basePass).toBe(true); // base tests have at most 8 coefficients
    expect(verdict.plus?.status).toBe('fail');
    expect(verdict.plus?.tests[0]?.exception).toContain('the polynomial is nan');
    expect(verdict.pass).toBe(false);
  }, 120_000);

  it("fails HumanEval's own bisection, which stops 1e-10 wide and misses the atol on some inputs, as EvalPlus does", async () => {
    const { verdict, evalPlus } = await judge(`${task.buggyProgram.replace('begin - end', 'end - begin')}`);
    expect(evalPlus).toBe('fail');
    expect(verdict.basePass).toBe(true);
    expect(verdict.plus?.status).toBe('fail');
  }, 120_000);
});
