import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResultRecordSchema, readRecords } from '../../src/eval/index.js';
import { type ScriptedRequest, startTestServer, type TestServer } from '../../src/llm/testing/test-server.js';
import { DataStore, loadDataset, type RepairTask } from '../../src/tasks/index.js';
import { evalArgv, exited, runCapture, spawnNxt } from '../support/cli.js';
import { sharedDataDir } from '../support/shared-data.js';

const dir = mkdtempSync(join(tmpdir(), 'nxt-multi-turn-'));
let tasks: RepairTask[];
let server: TestServer;

/** Wrong first (the buggy program back), right once told its fix still fails. */
function stubborn(request: ScriptedRequest): string {
  const first = request.messages.find(
    (message, index) => message.role === 'user' && index === request.messages.length - 1,
  );
  const conversation = request.messages.map((message) => message.content).join('\n');
  const task = tasks.find((item) => conversation.includes(`Task: ${item.description.trim()}`));
  if (!task) return 'no idea';
  const told = request.messages.some((message) => message.content.startsWith('Your fixed program is still wrong.'));
  const program = told ? (task.reference ?? '') : task.buggyProgram;
  return `${first ? 'Looking at the run again.' : ''}\n\n\`\`\`python\n${program}\n\`\`\``;
}

beforeAll(async () => {
  const store = new DataStore({ dataDir: sharedDataDir, cacheDir: '/nonexistent', fetch: null });
  tasks = ((await loadDataset('humanevalfix', store)) as RepairTask[]).slice(0, 3);
  server = await startTestServer({ respond: stubborn });
});
afterAll(async () => {
  await server.close();
});

const argv = (url: string, strategy: string, out: string, cache: string) =>
  evalArgv(
    `stubborn@${url}`,
    { limit: 3, samples: 2, k: '1,2' },
    '--strategy',
    strategy,
    '--turns',
    '2',
    '--out',
    out,
    '--cache',
    cache,
  );

describe('multi-turn strategies', () => {
  for (const strategy of ['self-debug', 'ldb']) {
    it(`${strategy}: a model wrong at first and right after feedback fixes every task on turn 2`, async () => {
      const out = join(dir, strategy);
      const run = await runCapture(argv(server.url, strategy, out, join(dir, `${strategy}.sqlite`)), {
        cwd: dir,
        env: { NXT_DATA_DIR: sharedDataDir },
      });
      expect(run.code, run.stderr).toBe(0);
      const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
      expect(summary['pass@k'].values['pass@1']).toBe(1);
      expect(summary.byTurn).toEqual([0, 1]);
      expect(run.stdout).toContain('fix rate by turn       1: 0.0%  2: 100.0%');

      const results = await readRecords(join(out, 'results.jsonl'), ResultRecordSchema);
      expect(results).toHaveLength(6);
      for (const result of results) {
        expect(result.turns?.map((turn) => [turn.turn, turn.status, turn.pass])).toEqual([
          [1, 'fail', false],
          [2, 'pass', true],
        ]);
        const feedback = result.turns?.[1]?.feedback ?? '';
        const task = tasks.find((item) => item.id === result.taskId) as RepairTask;
        // The failing test, as the model reads it, and the run of its own fix on that test.
        expect(feedback).toContain('This test does not pass');
        expect(task.tests.some((test) => feedback.includes(test.trim().split('\n')[0] as string))).toBe(true);
        if (strategy === 'ldb') expect(feedback).toContain('# [block] ');
        else expect(feedback).toMatch(/# \(\d+\)/);
      }
      // The conversation went on: the second request held the first answer as an assistant turn.
      const second = server
        .completions()
        .map((entry) => (entry.body as { messages: { role: string; content: string }[] }).messages)
        .find((messages) => messages.at(-1)?.content.startsWith('Your fixed program is still wrong.'));
      expect(second?.at(-2)?.role).toBe('assistant');
    }, 120_000);
  }

  it('a multi-turn run killed mid-conversation and resumed equals an uninterrupted one', async () => {
    const slow = await startTestServer({ respond: stubborn, latencyMs: 200 });
    const spawned = (out: string, cache: string) =>
      spawnNxt(argv(slow.url, 'self-debug', out, cache), { NXT_DATA_DIR: sharedDataDir });
    try {
      const interrupted = join(dir, 'killed');
      const cache = join(dir, 'killed.sqlite');
      const first = spawned(interrupted, cache);
      // Kill once some second turns have been asked for, before every result is written.
      for (;;) {
        const asked = slow.completions().filter((entry) => JSON.stringify(entry.body).includes('still wrong')).length;
        if (asked >= 1) break;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      first.kill('SIGKILL');
      await exited(first);
      // Whole lines only (reading never repairs a line the kill tore; the resumed run does).
      const written = join(interrupted, 'results.jsonl');
      const partial = existsSync(written) ? readFileSync(written, 'utf8').split('\n').slice(0, -1) : [];
      expect(partial.length).toBeLessThan(6);
      expect(await exited(spawned(interrupted, cache))).toBe(0);
      const straight = join(dir, 'straight');
      expect(await exited(spawned(straight, join(dir, 'straight.sqlite')))).toBe(0);
      const summary = (path: string) => JSON.parse(readFileSync(join(path, 'summary.json'), 'utf8'));
      expect(summary(interrupted)).toEqual(summary(straight));
      const results = await readRecords(join(interrupted, 'results.jsonl'), ResultRecordSchema);
      expect(results).toHaveLength(6);
      expect(results.every((result) => result.turns?.length === 2 && result.pass)).toBe(true);
    } finally {
      await slow.close();
    }
  }, 180_000);
});
