/**
 * End-to-end evaluation throughput: HumanEvalFix, 164 tasks × 25 samples, against the loopback test
 * server with no latency (a scripted model answering half right, half wrong). Prints samples/s and
 * where the time goes: prompting (tracing + rendering), sampling, judging, writing.
 *
 *   npm run bench:eval -- [--samples N] [--limit N] [--workers N]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runEval } from '../src/eval/index.js';
import { createLlmClient, type LlmClient, ModelSpecSchema, SampleCache } from '../src/llm/index.js';
import { startTestServer } from '../src/llm/testing/test-server.js';
import { createSandbox, type Sandbox } from '../src/sandbox/index.js';
import { DataStore, loadDataset, type RepairTask } from '../src/tasks/index.js';
import { createTokenCounter } from '../src/trace/index.js';
import { sharedDataDir } from '../test/support/shared-data.js';

const { values } = parseArgs({
  options: { samples: { type: 'string', default: '25' }, limit: { type: 'string' }, workers: { type: 'string' } },
});
const store = new DataStore({ dataDir: sharedDataDir, cacheDir: join(tmpdir(), 'nxt-bench-data'), fetch: null });
const tasks = ((await loadDataset('humanevalfix', store)) as RepairTask[]).slice(
  0,
  values.limit ? Number(values.limit) : undefined,
);
const byDescription = tasks.map((task) => [`Task: ${task.description.trim()}`, task] as const);
const server = await startTestServer({
  respond: (request) => {
    const last = request.messages.at(-1)?.content ?? '';
    const task = byDescription.find(([prefix]) => last.startsWith(prefix))?.[1];
    const program = request.choice % 2 === 0 ? (task?.reference ?? '') : (task?.buggyProgram ?? '');
    return `The trace shows where the value goes wrong; the fix follows.\n\n\`\`\`python\n${program}\n\`\`\``;
  },
});

const busy = { prompting: 0, sampling: 0, judging: 0 };
const inside = { judgingMs: 0, timeoutMs: 0, timeouts: 0, judged: 0 };
function timed<T extends object>(target: T, method: keyof T, bucket: keyof typeof busy): T {
  const original = (target[method] as (...args: unknown[]) => Promise<unknown>).bind(target);
  return new Proxy(target, {
    get(object, property, receiver) {
      if (property !== method) return Reflect.get(object, property, receiver);
      return async (...args: unknown[]) => {
        const start = performance.now();
        try {
          return await original(...args);
        } finally {
          busy[bucket] += performance.now() - start;
        }
      };
    },
  });
}

const dir = mkdtempSync(join(tmpdir(), 'nxt-bench-eval-'));
const rawSandbox = await createSandbox(values.workers ? { workers: Number(values.workers) } : {});
const counting: Sandbox = new Proxy(rawSandbox, {
  get(object, property, receiver) {
    if (property !== 'judgeProgram') return Reflect.get(object, property, receiver);
    return async (...args: Parameters<Sandbox['judgeProgram']>) => {
      const verdict = await object.judgeProgram(...args);
      inside.judged += 1;
      inside.judgingMs += verdict.durationMs;
      if (verdict.status === 'timeout') {
        inside.timeouts += 1;
        inside.timeoutMs += verdict.durationMs;
      }
      return verdict;
    };
  },
});
let sandbox: Sandbox = timed(counting, 'judgeProgram', 'judging');
sandbox = timed(sandbox, 'traceProgram', 'prompting');
const client: LlmClient = timed(
  createLlmClient(ModelSpecSchema.parse({ model: 'scripted', baseUrls: [server.url], apiKey: 'sk', concurrency: 64 }), {
    cache: SampleCache.open(join(dir, 'cache.sqlite')),
  }),
  'sample',
  'sampling',
);
const samples = Number(values.samples);
const start = performance.now();
const summary = await runEval(
  { dataset: 'humanevalfix', model: 'scripted', api: 'chat', samples, temperature: 0.8, trace: 'inline', shots: 3 },
  {
    client,
    sandbox,
    tasks,
    datasetFiles: {},
    countTokens: await createTokenCounter(),
    nxtVersion: 'bench',
    k: [1, 5, 10, 25],
  },
  join(dir, 'run'),
);
const seconds = (performance.now() - start) / 1000;
const total = tasks.length * samples;
console.log(
  `HumanEvalFix: ${tasks.length} tasks × ${samples} samples = ${total} samples in ${seconds.toFixed(1)} s: ${(total / seconds).toFixed(0)} samples/s end to end`,
);
console.log(
  `sandbox: ${rawSandbox.workers} workers; pass@1 of the scripted model ${(100 * (summary['pass@k'].values['pass@1'] ?? 0)).toFixed(1)}% (half its answers are the reference)`,
);
console.log('time waiting on each stage, summed over concurrent work (queueing for the sandbox included):');
const sum = busy.prompting + busy.sampling + busy.judging;
for (const [stage, ms] of Object.entries(busy))
  console.log(
    `  ${stage.padEnd(10)} ${(ms / 1000).toFixed(1).padStart(8)} s  ${((100 * ms) / sum).toFixed(0).padStart(3)}%`,
  );
const capacity = seconds * rawSandbox.workers * 1000;
console.log(
  `the sandbox itself: ${inside.judged} judgements, ${(inside.judgingMs / 1000).toFixed(1)} s of program time = ${((100 * inside.judgingMs) / capacity).toFixed(0)}% of the ${rawSandbox.workers} workers over the run; ` +
    `${inside.timeouts} timed out, costing ${(inside.timeoutMs / 1000).toFixed(1)} s (${((100 * inside.timeoutMs) / Math.max(1, inside.judgingMs)).toFixed(0)}% of it)`,
);
await rawSandbox.close();
await server.close();
rmSync(dir, { recursive: true, force: true });
