/**
 * The viewer on a large run: 100,000 synthetic results (164 tasks). Measures building the index, the
 * run page (one page of tasks) and a sample page, and the memory the index holds.
 *
 *   npm run bench:view -- [--samples N]
 */
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { RunIndex } from '../src/runs/index.js';
import { startViewer } from '../src/web/index.js';

const { values } = parseArgs({ options: { samples: { type: 'string', default: '100000' } } });
const total = Number(values.samples);
const root = mkdtempSync(join(tmpdir(), 'nxt-bench-view-'));
const dir = join(root, 'big');
mkdirSync(dir);
writeFileSync(
  join(dir, 'manifest.json'),
  JSON.stringify({
    schemaVersion: 1,
    kind: 'eval',
    createdAt: new Date().toISOString(),
    nxtVersion: 'bench',
    config: {
      dataset: 'humanevalfix',
      model: 'm',
      api: 'chat',
      samples: Math.ceil(total / 164),
      temperature: 0.8,
      maxTokens: 1024,
      greedy: false,
      trace: 'inline',
      shots: 3,
      traceBudgetTokens: 2048,
      testTimeoutMs: 5000,
      timeoutFloorMs: 1000,
      plusTimeoutMs: 60000,
    },
    dataset: { name: 'humanevalfix', tasks: 164, files: {} },
    prompt: { version: 'x', hash: 'x', form: 'chat' },
    python: '3.11',
    sandbox: [],
  }),
);
const stream = createWriteStream(join(dir, 'results.jsonl'));
const rationale = 'The trace shows the loop stops one step early, so the bound must include n. '.repeat(6);
for (let i = 0; i < total; i++) {
  const record = {
    schemaVersion: 1,
    taskId: `Python/${i % 164}`,
    mode: 'sample',
    index: Math.floor(i / 164),
    outcome: 'judged',
    rationale,
    program: 'def f(n):\n    return sum(range(n + 1))\n',
    base: { status: 'pass', passed: 3, total: 3, reason: '', tests: [] },
    plus: null,
    pass: i % 3 === 0,
    basePass: i % 3 === 0,
  };
  if (!stream.write(`${JSON.stringify(record)}\n`))
    await new Promise<void>((resolve) => stream.once('drain', () => resolve()));
}
await new Promise<void>((resolve) => stream.end(() => resolve()));

const heapBefore = process.memoryUsage().heapUsed;
const start = performance.now();
const index = new RunIndex(dir);
await index.refresh();
const indexMs = performance.now() - start;
const heapMb = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
console.log(
  `${index.entries.length} results indexed in ${indexMs.toFixed(0)} ms; the index holds about ${heapMb.toFixed(0)} MB of heap (the file is ${(index.entries.reduce((sum, entry) => sum + entry.length + 1, 0) / 2 ** 20).toFixed(0)} MB)`,
);

const viewer = await startViewer({ runsDir: root, sandbox: null, loadTasks: async () => [] });
const time = async (path: string) => {
  const began = performance.now();
  const response = await fetch(`${viewer.url}${path}`);
  const body = await response.text();
  return { ms: performance.now() - began, bytes: body.length, status: response.status };
};
const first = await time('/run/big');
const again = await time('/run/big?page=3&filter=pass');
const sample = await time('/run/big/sample/Python%2F7/sample/300');
console.log(
  `run page: first ${first.ms.toFixed(0)} ms (builds the index), then ${again.ms.toFixed(0)} ms; ${first.bytes} bytes per page`,
);
console.log(`sample page: ${sample.ms.toFixed(0)} ms (${sample.status}), ${sample.bytes} bytes`);
await viewer.close();
rmSync(root, { recursive: true, force: true });
