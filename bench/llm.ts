/**
 * LLM layer throughput against the loopback test server:
 *   - live sampling with 200 ms latency and concurrency 64: achieved requests/s against the ideal
 *     64 / 0.2 s = 320 requests/s (target ≥ 95%),
 *   - reading 100k cached samples through the client (target ≥ 20k samples/s),
 *   - peak memory (RSS) of each phase.
 *
 *   npm run bench:llm -- [--requests N] [--latency-ms N] [--concurrency N] [--cached N]
 */

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  createLlmClient,
  endpointIdentity,
  ModelSpecSchema,
  requestKey,
  type Sample,
  SampleCache,
} from '../src/llm/index.js';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '3200' },
    'latency-ms': { type: 'string', default: '200' },
    concurrency: { type: 'string', default: '64' },
    cached: { type: 'string', default: '100000' },
  },
});
const requests = Number(values.requests);
const latencyMs = Number(values['latency-ms']);
const concurrency = Number(values.concurrency);
const cachedCount = Number(values.cached);

async function withPeakRss<T>(fn: () => Promise<T>): Promise<{ value: T; seconds: number; peakMb: number }> {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  const start = performance.now();
  const value = await fn();
  const seconds = (performance.now() - start) / 1000;
  clearInterval(timer);
  peak = Math.max(peak, process.memoryUsage().rss);
  return { value, seconds, peakMb: peak / 2 ** 20 };
}

/** The test server in a child process: its event loop must not slow the client being measured. */
async function serverProcess(options: object): Promise<{ url: string; close(): void }> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      import.meta.resolve('tsx'),
      new URL('./serve-test-server.ts', import.meta.url).pathname,
      JSON.stringify(options),
    ],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const url = await new Promise<string>((resolve) =>
    child.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString().trim())),
  );
  return { url, close: () => child.stdin.end() };
}

const dir = mkdtempSync(join(tmpdir(), 'nxt-bench-llm-'));
const server = await serverProcess({ latencyMs });
const spec = ModelSpecSchema.parse({ model: 'test-model', baseUrls: [server.url], apiKey: 'sk', concurrency });

// 1. Live sampling: every request misses the cache and waits `latencyMs` at the server.
const live = createLlmClient(spec, { cache: SampleCache.open(join(dir, 'live.sqlite')) });
const ask = (index: number) => ({ messages: [{ role: 'user' as const, content: `live ${index}` }], n: 1 });
const liveRun = await withPeakRss(() =>
  Promise.all(Array.from({ length: requests }, (_, index) => live.sample(ask(index)))),
);
const ideal = concurrency / (latencyMs / 1000);
const achieved = requests / liveRun.seconds;
const ok = liveRun.value.flat().filter((outcome) => outcome.status === 'ok').length;
console.log(`live: ${requests} requests, ${latencyMs} ms latency, concurrency ${concurrency}`);
console.log(
  `  ${achieved.toFixed(1)} requests/s of an ideal ${ideal.toFixed(0)}: ${((100 * achieved) / ideal).toFixed(1)}% (target ≥ 95%); ${ok} samples ok; peak RSS ${liveRun.peakMb.toFixed(0)} MB`,
);

// 2. Cached reads: fill a cache file with `cachedCount` samples, then read them all back through a client.
const cachePath = join(dir, 'cached.sqlite');
const fill = SampleCache.open(cachePath);
const perRequest = 10;
const prompts = cachedCount / perRequest;
const request = (index: number) => ({
  messages: [{ role: 'user' as const, content: `cached ${index}` }],
  n: perRequest,
  temperature: 0.8,
});
for (let index = 0; index < prompts; index++) {
  const key = requestKey('chat', 'test-model', request(index), endpointIdentity(spec));
  const samples: Sample[] = Array.from({ length: perRequest }, (_, sample) => ({
    index: sample,
    text: `def f(x):\n    return x + ${sample}  # a rationale of some length would be here, ${index}`,
    finishReason: 'stop',
    usage: { promptTokens: 300, completionTokens: 120 },
    model: 'test-model',
  }));
  fill.put(key, samples, 'test-model');
}
fill.close();
const reader = createLlmClient(spec, { cache: SampleCache.open(cachePath) });
const requestsBefore = reader.stats().requests;
const cachedRun = await withPeakRss(async () => {
  let read = 0;
  for (let start = 0; start < prompts; start += 1000) {
    const chunk = await Promise.all(
      Array.from({ length: Math.min(1000, prompts - start) }, (_, offset) => reader.sample(request(start + offset))),
    );
    read += chunk.flat().filter((outcome) => outcome.status === 'ok' && outcome.cached).length;
  }
  return read;
});
console.log(
  `cached: ${cachedRun.value} samples read in ${cachedRun.seconds.toFixed(2)} s: ${(cachedRun.value / cachedRun.seconds).toFixed(0)} samples/s (target ≥ 20000); ${reader.stats().requests - requestsBefore} requests sent; peak RSS ${cachedRun.peakMb.toFixed(0)} MB`,
);

server.close();
rmSync(dir, { recursive: true, force: true });
