import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endpointIdentity, requestKey, SampleCache } from '../../src/llm/index.js';
import { startTestServer, type TestServer } from '../../src/llm/testing/test-server.js';

const COUNT = 200;
const dir = mkdtempSync(join(tmpdir(), 'nxt-kill-'));
const worker = new URL('./__fixtures__/sample-worker.ts', import.meta.url).pathname;
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ latencyMs: 15 });
});
afterAll(async () => {
  await server.close();
});

function run(cachePath: string): ChildProcess {
  return spawn(
    process.execPath,
    ['--import', import.meta.resolve('tsx'), worker, server.url, cachePath, String(COUNT)],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
}

const finished = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
const promptOf = (body: unknown) => (body as { messages: { content: string }[] }).messages[0]?.content as string;
const key = (prompt: string) =>
  requestKey(
    'chat',
    'test-model',
    { messages: [{ role: 'user', content: prompt }], n: 1, temperature: 0.8 },
    endpointIdentity({ baseUrls: [server.url] }),
  );

function contents(path: string): Map<string, string> {
  const cache = SampleCache.open(path);
  const found = new Map<string, string>();
  for (let index = 0; index < COUNT; index++) {
    const sample = cache.get(key(`prompt ${index}`), 0);
    if (sample) found.set(`prompt ${index}`, sample.text);
  }
  cache.close();
  return found;
}

describe('a sampling run killed with SIGKILL and started again', () => {
  it('ends with the same samples as an uninterrupted run, and never asks twice for a finished one', async () => {
    const interrupted = join(dir, 'interrupted.sqlite');
    const first = run(interrupted);
    while (server.completions().length < 60) await new Promise((resolve) => setTimeout(resolve, 5));
    first.kill('SIGKILL');
    await finished(first);
    const before = contents(interrupted);
    expect(before.size).toBeGreaterThan(40);
    expect(before.size).toBeLessThan(COUNT);
    const mark = server.log.length;
    expect(await finished(run(interrupted))).toBe(0);
    const askedAgain = server.log.slice(mark).map((entry) => promptOf(entry.body));
    expect(askedAgain.filter((prompt) => before.has(prompt))).toEqual([]);
    expect(new Set(askedAgain).size).toBe(askedAgain.length);
    const resumed = contents(interrupted);
    expect(resumed.size).toBe(COUNT);

    const straight = join(dir, 'straight.sqlite');
    expect(await finished(run(straight))).toBe(0);
    expect(resumed).toEqual(contents(straight));
  }, 60_000);
});
