import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  compareRuns,
  exportSamples,
  importSamples,
  ResultRecordSchema,
  readRecords,
  runEval,
  runProxy,
} from '../../src/eval/index.js';
import { createLlmClient, ModelSpecSchema, SampleCache } from '../../src/llm/index.js';
import { type ScriptedRequest, startTestServer, type TestServer } from '../../src/llm/testing/test-server.js';
import { createSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { DataStore, loadDataset, type RepairTask } from '../../src/tasks/index.js';
import { createTokenCounter } from '../../src/trace/index.js';
import { sharedDataDir } from '../support/shared-data.js';

const dir = mkdtempSync(join(tmpdir(), 'nxt-beyond-'));
let sandbox: Sandbox;
let tasks: RepairTask[];
let server: TestServer;
let fixedOnA = new Set<string>();

const find = (text: string) => tasks.find((item) => text.includes(`Task: ${item.description.trim()}`));
const fenced = (program: string) => `Because of the trace, fix it.\n\n\`\`\`python\n${program}\n\`\`\``;

/** Teachers fix the tasks in `fixedOnA` (or all, for model "b"); the student fixes exactly what it is told to. */
function script(request: ScriptedRequest): string {
  const last = request.messages.at(-1)?.content ?? '';
  const task = find(last);
  if (!task) return 'no idea';
  if (request.model === 'student') {
    return last.includes('Because of the trace') && !last.includes(`\`\`\`python\n${task.reference}`)
      ? fenced(task.reference ?? '')
      : 'no';
  }
  const good = request.model === 'b' ? task.id !== 'Python/0' : fixedOnA.has(task.id);
  return fenced(good ? (task.reference ?? '') : task.buggyProgram);
}

beforeAll(async () => {
  sandbox = await createSandbox();
  const store = new DataStore({ dataDir: sharedDataDir, cacheDir: '/nonexistent', fetch: null });
  tasks = ((await loadDataset('humanevalfix', store)) as RepairTask[]).slice(0, 5);
  fixedOnA = new Set(['Python/0', 'Python/1']);
  server = await startTestServer({ respond: script });
});
afterAll(async () => {
  await sandbox.close();
  await server.close();
});

async function evaluate(model: string, out: string) {
  const client = createLlmClient(ModelSpecSchema.parse({ model, baseUrls: [server.url], apiKey: 'sk' }), {
    cache: SampleCache.open(':memory:'),
  });
  return runEval(
    { dataset: 'humanevalfix', model, api: 'chat', samples: 2, temperature: 0.8, trace: 'none', shots: 0 },
    {
      client,
      sandbox,
      tasks,
      datasetFiles: {},
      countTokens: await createTokenCounter(),
      nxtVersion: 'test',
      k: [1, 2],
    },
    out,
  );
}

describe('beyond a single run', () => {
  it('compares two runs task by task and names the flips', async () => {
    await evaluate('a', join(dir, 'a'));
    await evaluate('b', join(dir, 'b'));
    const comparison = await compareRuns(join(dir, 'a'), join(dir, 'b'));
    expect(comparison).toMatchObject({
      tasks: 5,
      rateA: 0.4,
      rateB: 0.8,
      onlyA: ['Python/0'],
      onlyB: ['Python/2', 'Python/3', 'Python/4'],
    });
    expect(comparison.difference).toBeCloseTo(-0.4, 12);
  });

  it('measures rationale quality with a student that sees the rationale without its code', async () => {
    const student = createLlmClient(ModelSpecSchema.parse({ model: 'student', baseUrls: [server.url], apiKey: 'sk' }), {
      cache: SampleCache.open(':memory:'),
    });
    const mark = server.log.length;
    const summary = await runProxy(join(dir, 'a'), join(dir, 'a', 'proxy'), tasks, student, sandbox);
    // Every teacher rationale says "Because of the trace"; the student fixes every task from it.
    expect(summary['pass@k'].values['pass@1']).toBe(1);
    const prompts = server.log
      .slice(mark)
      .map((entry) => (entry.body as { messages: { content: string }[] }).messages.at(-1)?.content ?? '');
    // Two samples per task with the same rationale are the same request at temperature 0: asked once.
    expect(prompts).toHaveLength(5);
    expect(
      prompts.every((prompt) => prompt.includes("A colleague's analysis of the bug:\nBecause of the trace, fix it.")),
    ).toBe(true);
  });

  it('a proxy run whose student is down reports its samples missing, records none, and completes them later', async () => {
    let down = true;
    const flaky = await startTestServer({ respond: script, fault: () => (down ? '500' : null) });
    const student = () =>
      createLlmClient(
        ModelSpecSchema.parse({ model: 'student', baseUrls: [flaky.url], apiKey: 'sk', maxAttempts: 1 }),
        { cache: SampleCache.open(':memory:') },
      );
    const out = join(dir, 'a', 'proxy-outage');
    try {
      const outage = await runProxy(join(dir, 'a'), out, tasks, student(), sandbox);
      expect(outage.missing).toBe(10);
      expect(await readRecords(join(out, 'results.jsonl'), ResultRecordSchema)).toEqual([]);
      down = false;
      const back = await runProxy(join(dir, 'a'), out, tasks, student(), sandbox);
      expect(back.missing ?? 0).toBe(0);
      expect(back['pass@k'].values['pass@1']).toBe(1);
      expect(await readRecords(join(out, 'results.jsonl'), ResultRecordSchema)).toHaveLength(10);
    } finally {
      await flaky.close();
    }
  });

  it('exports EvalPlus-style samples and judges them back the same', async () => {
    const file = join(dir, 'a.jsonl');
    expect(await exportSamples(join(dir, 'a'), file)).toBe(10);
    expect(JSON.parse(readFileSync(file, 'utf8').split('\n')[0] as string)).toHaveProperty('task_id');
    // HumanEval ids are accepted for HumanEvalFix tasks.
    writeFileSync(file, readFileSync(file, 'utf8').replaceAll('"Python/', '"HumanEval/'));
    const out = join(dir, 'imported');
    const imported = await importSamples(file, out, tasks, sandbox, { k: [1, 2] });
    expect(imported.samplesPerTask).toBe(2);
    expect(imported.tasks).toBe(5);
    const original = JSON.parse(readFileSync(join(dir, 'a', 'summary.json'), 'utf8'));
    expect(imported['pass@k'].values).toEqual(original['pass@k'].values);
  });
});
