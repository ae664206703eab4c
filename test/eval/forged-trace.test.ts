/**
 * A multi-turn eval whose model writes programs that forge records on the judge's channel when they run
 * (a 600 MB flood of trace records, a trace record of the wrong shape): feedback traces those programs,
 * and the run goes on to the next turn, finishes, and resumes. nxt runs as a process of its own: the
 * flood used to kill it, the wrong shape made it exit 2, on every resume.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResultRecordSchema, readRecords } from '../../src/eval/index.js';
import { type ScriptedRequest, startTestServer, type TestServer } from '../../src/llm/testing/test-server.js';
import { DataStore, loadDataset, type RepairTask } from '../../src/tasks/index.js';
import { FORGE, traceFlood } from '../sandbox/hostile-records.js';
import { evalArgv, exited, spawnNxt } from '../support/cli.js';
import { sharedDataDir } from '../support/shared-data.js';

const dir = mkdtempSync(join(tmpdir(), 'nxt-forged-trace-'));
let tasks: RepairTask[];
let server: TestServer;

const WRONG_SHAPE = 'forge(TRACE, None, 0, b\'{"k": "trace", "frames": [["a"]], "events": []}\')';

/** The task's function, forging `body` (Python) on every call. */
function forger(entry: string, body: string): string {
  const indented = body
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
  return `${FORGE}\nimport json as _json\n\ndef ${entry}(*args, **kwargs):\n${indented}\n    return None\n`;
}

/** First a program that forges (task 0 floods, the others send a wrong shape), the reference once told. */
function respond(request: ScriptedRequest): string {
  const conversation = request.messages.map((message) => message.content).join('\n');
  const task = tasks.find((item) => conversation.includes(`Task: ${item.description.trim()}`));
  if (!task) return 'no idea';
  const told = request.messages.some((message) => message.content.startsWith('Your fixed program is still wrong.'));
  const body = task === tasks[0] ? traceFlood(600) : WRONG_SHAPE;
  return `\`\`\`python\n${told ? task.reference : forger(task.entryPoint, body)}\n\`\`\``;
}

beforeAll(async () => {
  const store = new DataStore({ dataDir: sharedDataDir, cacheDir: '/nonexistent', fetch: null });
  tasks = ((await loadDataset('humanevalfix', store)) as RepairTask[]).slice(0, 2);
  server = await startTestServer({ respond });
});
afterAll(async () => {
  await server.close();
});

describe('a multi-turn eval whose fixes forge trace records', () => {
  it('traces them for feedback (marked), reaches the next turn, finishes, and resumes', async () => {
    const out = join(dir, 'run');
    const argv = evalArgv(
      `forger@${server.url}`,
      { limit: 2, samples: 1, k: '1' },
      '--strategy',
      'self-debug',
      '--turns',
      '2',
      '--out',
      out,
      '--cache',
      join(dir, 'cache.sqlite'),
    );
    const env = { NXT_DATA_DIR: sharedDataDir, NXT_CACHE_DIR: dir };
    expect(await exited(spawnNxt(argv, env))).toBe(0);
    const results = await readRecords(join(out, 'results.jsonl'), ResultRecordSchema);
    expect(results).toHaveLength(2);
    for (const result of results) {
      expect(result.turns?.map((turn) => [turn.turn, turn.status, turn.pass])).toEqual([
        [1, 'error', false],
        [2, 'pass', true],
      ]);
      expect(result.turns?.[1]?.feedback).toContain("or wrote to the judge's channel");
    }
    const summary = readFileSync(join(out, 'summary.json'), 'utf8');
    // Resumed: nothing is left to do, and the run is the same.
    expect(await exited(spawnNxt(argv, env))).toBe(0);
    expect(readFileSync(join(out, 'summary.json'), 'utf8')).toBe(summary);
    expect(await readRecords(join(out, 'results.jsonl'), ResultRecordSchema)).toHaveLength(2);
  }, 180_000);
});
