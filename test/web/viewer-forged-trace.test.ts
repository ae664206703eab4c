/**
 * The viewer traces a sample's program when its page is opened. A program that floods the judge's
 * channel with 600 MB of trace records used to kill the viewer ('Invalid string length'); its page now
 * shows the trace read before the flood, marked, and the viewer and its sandbox server go on.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importSamples } from '../../src/eval/index.js';
import { createSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { DataStore, loadDataset, type RepairTask } from '../../src/tasks/index.js';
import { startViewer, type Viewer } from '../../src/web/index.js';
import { FORGE, traceFlood } from '../sandbox/hostile-records.js';
import { sharedDataDir } from '../support/shared-data.js';

const runsDir = mkdtempSync(join(tmpdir(), 'nxt-view-forged-'));
let sandbox: Sandbox;
let viewer: Viewer;

beforeAll(async () => {
  sandbox = await createSandbox({ workers: 1 });
  const store = new DataStore({ dataDir: sharedDataDir, cacheDir: '/nonexistent', fetch: null });
  const tasks = ((await loadDataset('humanevalfix', store)) as RepairTask[]).slice(0, 1);
  const task = tasks[0] as RepairTask;
  const flood = traceFlood(600)
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
  const solution = `${FORGE}\nimport json as _json\n\ndef ${task.entryPoint}(*args, **kwargs):\n${flood}\n    return None\n`;
  writeFileSync(join(runsDir, 'flood.jsonl'), `${JSON.stringify({ task_id: task.id, solution })}\n`);
  await importSamples(join(runsDir, 'flood.jsonl'), join(runsDir, 'flood'), tasks, sandbox, { nxtVersion: 'test' });
  viewer = await startViewer({ runsDir, sandbox, loadTasks: async () => tasks });
}, 120_000);

afterAll(async () => {
  await viewer?.close();
  await sandbox?.close();
});

describe('the viewer on a sample whose program floods the trace channel', () => {
  it('shows the trace read before the flood, marked, and goes on', async () => {
    const started = sandbox.serversStarted;
    const page = await fetch(`${viewer.url}/run/flood/sample/Python%2F0/sample/0`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('id="fixed-trace"');
    expect(html).toContain('wrote to the judge&#39;s channel');
    expect(html.length).toBeLessThan(1 << 20);
    expect((await fetch(viewer.url)).status).toBe(200);
    expect(sandbox.serversStarted).toBe(started);
  }, 120_000);
});
