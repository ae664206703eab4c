import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResultRecordSchema, readRecords, runEval, SampleRecordSchema, SummarySchema } from '../../src/eval/index.js';
import { createLlmClient, ModelSpecSchema, SampleCache } from '../../src/llm/index.js';
import { type ScriptedRequest, startTestServer, type TestServer } from '../../src/llm/testing/test-server.js';
import { createSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { DataStore, loadDataset, type RepairTask } from '../../src/tasks/index.js';
import { createTokenCounter } from '../../src/trace/index.js';
import { evalArgv, exited, runCapture, spawnNxt } from '../support/cli.js';
import { sharedDataDir } from '../support/shared-data.js';

const dir = mkdtempSync(join(tmpdir(), 'nxt-eval-'));
let sandbox: Sandbox;
let tasks: RepairTask[];
let server: TestServer;

/** The scripted model: always right on Python/0, always wrong on /1, unparseable on /2, right on even choices of /3. */
function script(request: ScriptedRequest): string {
  const last = request.messages.at(-1)?.content ?? '';
  const task = tasks.find((item) => last.startsWith(`Task: ${item.description.trim()}`));
  if (!task) return 'no idea';
  const fix = (program: string) =>
    `The trace shows the wrong value; here is the fix.\n\n\`\`\`python\n${program}\n\`\`\``;
  switch (task.id) {
    case 'Python/0':
      return fix(task.reference ?? '');
    case 'Python/1':
      return fix(task.buggyProgram);
    case 'Python/2':
      return 'I would need to think more about this one.';
    case 'Python/3':
      return fix(request.choice % 2 === 0 ? (task.reference ?? '') : task.buggyProgram);
    default:
      return fix(task.buggyProgram);
  }
}

beforeAll(async () => {
  sandbox = await createSandbox();
  const store = new DataStore({ dataDir: sharedDataDir, cacheDir: '/nonexistent', fetch: null });
  tasks = ((await loadDataset('humanevalfix', store)) as RepairTask[]).slice(0, 4);
  server = await startTestServer({ respond: script });
});
afterAll(async () => {
  await sandbox.close();
  await server.close();
});

async function run(out: string, extra: Record<string, unknown> = {}) {
  const client = createLlmClient(ModelSpecSchema.parse({ model: 'scripted', baseUrls: [server.url], apiKey: 'sk' }), {
    cache: SampleCache.open(join(dir, 'cache.sqlite')),
  });
  return runEval(
    {
      dataset: 'humanevalfix',
      model: 'scripted',
      api: 'chat',
      samples: 4,
      temperature: 0.8,
      trace: 'inline',
      shots: 3,
      ...extra,
    },
    {
      client,
      sandbox,
      tasks,
      datasetFiles: {},
      countTokens: await createTokenCounter(),
      nxtVersion: 'test',
      k: [1, 2, 4],
    },
    out,
  );
}

describe('nxt eval end to end', () => {
  it('gives the exact pass@k of a scripted model', async () => {
    const out = join(dir, 'run');
    const summary = await run(out, { greedy: true });
    expect(summary['pass@k'].values['pass@1']).toBeCloseTo((1 + 0 + 0 + 0.5) / 4, 12);
    expect(summary['pass@k'].values['pass@2']).toBeCloseTo((1 + (1 - 1 / 6)) / 4, 12);
    expect(summary['pass@k'].values['pass@4']).toBeCloseTo(0.5, 12);
    expect(summary.outcomes).toEqual({ judge_fault: 0, judged: 12, parse_error: 4, sample_failed: 0, passed: 6 });
    expect(summary.greedy).toEqual({ 'pass@1': 0.5, tasks: 4 });
    expect(Object.keys(summary.byLabel).length).toBeGreaterThan(0);
    expect(SummarySchema.parse(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')))).toEqual(summary);
    const results = await readRecords(join(out, 'results.jsonl'), ResultRecordSchema);
    expect(results).toHaveLength(20);
    const unparseable = results.find((result) => result.taskId === 'Python/2');
    expect(unparseable).toMatchObject({ outcome: 'parse_error', pass: false });
    const samples = await readRecords(join(out, 'samples.jsonl'), SampleRecordSchema);
    expect(samples.find((sample) => sample.taskId === 'Python/2')?.text).toBe(
      'I would need to think more about this one.',
    );
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({
      kind: 'eval',
      prompt: { version: 'nxt-repair-1', form: 'chat' },
      config: { samples: 4, trace: 'inline' },
    });
    // The model saw the inline trace of the failing test, after three worked examples.
    const body = server.completions().at(-1)?.body as { messages: { role: string; content: string }[] };
    expect(body.messages).toHaveLength(8);
    expect(body.messages.at(-1)?.content).toMatch(/# \(\d+\) __exception__ = AssertionError\(\)/);
  });

  it('resumed, repairs the lines a kill left: a torn last line is cut, a whole one missing its newline ended', async () => {
    const out = join(dir, 'repaired');
    cpSync(join(dir, 'run'), out, { recursive: true });
    const lines = readFileSync(join(out, 'results.jsonl'), 'utf8').split('\n').filter(Boolean);
    writeFileSync(join(out, 'results.jsonl'), lines.slice(0, 17).join('\n'));
    writeFileSync(join(out, 'samples.jsonl'), `${readFileSync(join(out, 'samples.jsonl'), 'utf8')}{"schemaVers`);
    const summary = await run(out, { greedy: true });
    expect(summary['pass@k']).toEqual(
      SummarySchema.parse(JSON.parse(readFileSync(join(dir, 'run', 'summary.json'), 'utf8')))['pass@k'],
    );
    const results = await readRecords(join(out, 'results.jsonl'), ResultRecordSchema);
    expect(new Set(results.map((result) => `${result.taskId}#${result.mode}#${result.index}`)).size).toBe(20);
    expect(readFileSync(join(out, 'samples.jsonl'), 'utf8')).toMatch(/\}\n$/);
  });

  it('resumes without judging or asking again, and refuses different settings', async () => {
    const out = join(dir, 'run');
    const before = server.log.length;
    const again = await run(out, { greedy: true });
    expect(server.log.length).toBe(before);
    expect(again).toEqual(SummarySchema.parse(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'))));
    expect(await readRecords(join(out, 'results.jsonl'), ResultRecordSchema)).toHaveLength(20);
    await expect(run(out, { temperature: 0.5 })).rejects.toThrow(
      /holds a run with different settings \(temperature, greedy\)/,
    );
  });
});

describe('a killed eval, started again', () => {
  it('ends with the same summary as an uninterrupted run and never judges a sample twice', async () => {
    const slow = await startTestServer({ respond: script, latencyMs: 150 });
    const cli = (out: string, cache: string) =>
      spawnNxt(evalArgv(`scripted@${slow.url}`, { limit: 4, samples: 4, k: '1,2,4' }, '--out', out, '--cache', cache), {
        NXT_DATA_DIR: sharedDataDir,
      });
    try {
      const interrupted = join(dir, 'killed');
      const first = cli(interrupted, join(dir, 'killed.sqlite'));
      // Kill once at least one task's results are written and before all are.
      for (;;) {
        const lines = (() => {
          try {
            return readFileSync(join(interrupted, 'results.jsonl'), 'utf8').split('\n').filter(Boolean).length;
          } catch {
            return 0;
          }
        })();
        if (lines >= 4) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      first.kill('SIGKILL');
      await exited(first);
      // Whole lines only (reading never repairs a line the kill tore; the resumed run does).
      const partial = readFileSync(join(interrupted, 'results.jsonl'), 'utf8').split('\n').slice(0, -1);
      expect(partial.length).toBeGreaterThanOrEqual(4);
      expect(partial.length).toBeLessThan(16);
      expect(await exited(cli(interrupted, join(dir, 'killed.sqlite')))).toBe(0);
      const straight = join(dir, 'straight');
      expect(await exited(cli(straight, join(dir, 'straight.sqlite')))).toBe(0);
      const summary = (path: string) => JSON.parse(readFileSync(join(path, 'summary.json'), 'utf8'));
      expect(summary(interrupted)).toEqual(summary(straight));
      const results = await readRecords(join(interrupted, 'results.jsonl'), ResultRecordSchema);
      const keys = results.map((result) => `${result.taskId}#${result.index}`);
      expect(new Set(keys).size).toBe(keys.length);
      expect(keys).toHaveLength(16);
    } finally {
      await slow.close();
    }
  }, 120_000);
});

describe('a run whose model server is down', () => {
  it('exits non-zero, says how many samples are missing, and completes them once the server is back', async () => {
    let down = true;
    const flaky = await startTestServer({ respond: script, fault: () => (down ? '500' : null) });
    const argv = (out: string, cache: string) =>
      evalArgv(`scripted@${flaky.url}`, { limit: 4, samples: 4, k: '1,2,4' }, '--out', out, '--cache', cache);
    const env = { NXT_DATA_DIR: sharedDataDir };
    try {
      const outage = await runCapture(argv(join(dir, 'outage'), join(dir, 'outage.sqlite')), { cwd: dir, env });
      expect(outage.code).toBe(1);
      expect(outage.stdout).toContain('INCOMPLETE: 16 samples missing');
      expect(outage.stderr).toMatch(/16 samples are missing, so this run is not complete \(last failure: .*500/);
      expect(await readRecords(join(dir, 'outage', 'results.jsonl'), ResultRecordSchema)).toEqual([]);

      down = false;
      const back = await runCapture(argv(join(dir, 'outage'), join(dir, 'outage.sqlite')), { cwd: dir, env });
      expect(back.code, back.stderr).toBe(0);
      expect(back.stdout).not.toContain('INCOMPLETE');
      const straight = await runCapture(argv(join(dir, 'no-outage'), join(dir, 'no-outage.sqlite')), { cwd: dir, env });
      expect(straight.code).toBe(0);
      const summary = (path: string) => JSON.parse(readFileSync(join(path, 'summary.json'), 'utf8'));
      expect(summary(join(dir, 'outage'))).toEqual(summary(join(dir, 'no-outage')));
      expect(summary(join(dir, 'outage')).missing).toBe(0);
    } finally {
      await flaky.close();
    }
  }, 120_000);
});

describe('a run with a --budget', () => {
  it('stops before the budget is passed, exits non-zero, and finishes when run again with a larger one', async () => {
    const model = await startTestServer({ respond: script, latencyMs: 20 });
    const cwd = mkdtempSync(join(dir, 'budget-'));
    // $10 per million tokens. One request per task (n = 4) is billed about $0.02, and its worst case
    // (about 7,500 prompt bytes + 4 × 64 tokens out) is $0.07 to $0.09: the first always fits $0.10,
    // and the four never do, whatever order they are sent in.
    writeFileSync(
      join(cwd, 'nxt.config.json'),
      JSON.stringify({ prices: { scripted: { inputPerMTok: 10, outputPerMTok: 10 } } }),
    );
    const argv = (budget: string) =>
      evalArgv(
        `scripted@${model.url}`,
        { limit: 4, samples: 4, k: '1' },
        '--out',
        'run',
        '--max-tokens',
        '64',
        '--budget',
        budget,
      );
    const env = { NXT_DATA_DIR: sharedDataDir };
    try {
      const stopped = await runCapture(argv('0.1'), { cwd, env });
      expect(stopped.code).toBe(1);
      expect(stopped.stderr).toMatch(/^nxt: judging with Python 3\.\d+\.\d+ \(\/.+\)$/m);
      expect(stopped.stderr).toMatch(
        /stopped sending requests before passing the budget \(\$0\.\d{4} of the --budget \$0\.1 spent/,
      );
      const partial = JSON.parse(readFileSync(join(cwd, 'run', 'summary.json'), 'utf8'));
      expect(partial.missing).toBeGreaterThan(0);
      expect(partial.missing).toBeLessThan(16);
      expect(partial.costUsd).toBeLessThanOrEqual(0.1);

      const finished = await runCapture(argv('5'), { cwd, env });
      expect(finished.code, finished.stderr).toBe(0);
      expect(finished.stderr).not.toContain('--budget');
      expect(JSON.parse(readFileSync(join(cwd, 'run', 'summary.json'), 'utf8')).missing).toBe(0);
    } finally {
      await model.close();
    }
  }, 120_000);
});

describe('the sample cache in a run', () => {
  it('says how many answers came from it, records the server, and is skipped with --no-cache', async () => {
    const model = await startTestServer({ respond: script });
    const env = { NXT_DATA_DIR: sharedDataDir };
    const argv = (out: string, ...extra: string[]) =>
      evalArgv(`scripted@${model.url}`, { limit: 4, samples: 2, k: '1' }, '--out', join(dir, out), ...extra);
    try {
      const cache = ['--cache', join(dir, 'shared-cache.sqlite')];
      expect((await runCapture(argv('cache-1', ...cache), { cwd: dir, env })).code).toBe(0);
      const asked = model.completions().length;
      const again = await runCapture(argv('cache-2', ...cache), { cwd: dir, env });
      expect(again.stdout).toContain('(8 answers from the cache)');
      expect(model.completions()).toHaveLength(asked);
      const manifest = JSON.parse(readFileSync(join(dir, 'cache-2', 'manifest.json'), 'utf8'));
      expect(manifest.endpoint).toEqual({ baseUrls: [model.url] });
      const fresh = await runCapture(argv('cache-3', '--no-cache'), { cwd: dir, env });
      expect(fresh.code).toBe(0);
      expect(fresh.stdout).not.toContain('from the cache');
      expect(model.completions().length).toBeGreaterThan(asked);
    } finally {
      await model.close();
    }
  }, 120_000);
});

describe('a sample the server refuses for good', () => {
  it("is recorded with the server's message, not retried, and the run is complete", async () => {
    // Python/2's prompt is "too long" for this server: a 400 it will give every time.
    const refusing = await startTestServer({
      respond: script,
      fault: ({ body }) =>
        JSON.stringify(body).includes(tasks[2]?.description.trim().slice(0, 40) ?? '?') ? 'context-length' : null,
    });
    const argv = evalArgv(
      `scripted@${refusing.url}`,
      { limit: 4, samples: 2, k: '1' },
      '--out',
      join(dir, 'refused'),
      '--cache',
      join(dir, 'refused.sqlite'),
    );
    try {
      const first = await runCapture(argv, { cwd: dir, env: { NXT_DATA_DIR: sharedDataDir } });
      expect(first.code, first.stderr).toBe(0);
      const results = await readRecords(join(dir, 'refused', 'results.jsonl'), ResultRecordSchema);
      const failed = results.filter((result) => result.outcome === 'sample_failed');
      expect(failed.map((result) => result.taskId)).toEqual(['Python/2', 'Python/2']);
      expect(failed[0]?.error).toMatch(/maximum context length is 4096 tokens/);
      const asked = refusing.log.length;
      const again = await runCapture(argv, { cwd: dir, env: { NXT_DATA_DIR: sharedDataDir } });
      expect(again.code).toBe(0);
      expect(refusing.log.length).toBe(asked);
    } finally {
      await refusing.close();
    }
  }, 120_000);
});
