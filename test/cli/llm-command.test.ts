import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listPriceNote, loadConfig, resolveModel } from '../../src/cli/config.js';
import { startTestServer, type TestServer } from '../../src/llm/testing/test-server.js';
import { runCapture } from '../support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'nxt-llm-cli-'));
writeFileSync(join(dir, 'prompt.txt'), 'Fix the bug.');
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ models: ['test-model'] });
});
afterAll(async () => {
  await server.close();
});

async function cli(argv: string[], env: Record<string, string> = {}) {
  return runCapture(argv, { cwd: dir, env: { NXT_CACHE_DIR: join(dir, 'cache'), ...env } });
}

describe('resolveModel', () => {
  const config = loadConfig(undefined, dir, {});
  it('uses OPENAI_BASE_URL and OPENAI_API_KEY for a bare name, as the SDK does', () => {
    expect(resolveModel('gpt-x', config, { OPENAI_BASE_URL: 'http://h:1/v1', OPENAI_API_KEY: 'sk-1' })).toMatchObject({
      model: 'gpt-x',
      baseUrls: ['http://h:1/v1'],
      apiKey: 'sk-1',
    });
  });

  it('takes replicas from NAME@URL,URL and needs no key for a local server', () => {
    expect(resolveModel('qwen@http://a:8000/v1,http://b:8000/v1', config, {})).toMatchObject({
      model: 'qwen',
      baseUrls: ['http://a:8000/v1', 'http://b:8000/v1'],
      apiKey: 'no-key',
    });
  });

  it("prices common OpenAI models at OpenAI's dated list price, never a local server's, and lets the config override it", () => {
    const openai = resolveModel('gpt-4o-mini', config, { OPENAI_API_KEY: 'sk-1' });
    expect(openai.price).toEqual({ inputPerMTok: 0.15, outputPerMTok: 0.6 });
    expect(listPriceNote(openai, config)).toMatch(
      /^pricing gpt-4o-mini at OpenAI's list price as of \d{4}-\d{2} \(\$0\.15 in \/ \$0\.6 out per million tokens\); set "prices" in nxt\.config\.json/,
    );
    // The same name at a local server is not OpenAI's model: no price, so no --budget without one.
    expect(resolveModel('gpt-4o-mini@http://127.0.0.1:8000/v1', config, {}).price).toBeUndefined();
    const priced = loadConfig(undefined, dir, {});
    const override = { ...priced, prices: { 'gpt-4o-mini': { inputPerMTok: 9, outputPerMTok: 9 } } };
    const overridden = resolveModel('gpt-4o-mini', override, { OPENAI_API_KEY: 'sk-1' });
    expect(overridden.price).toEqual({ inputPerMTok: 9, outputPerMTok: 9 });
    expect(listPriceNote(overridden, override)).toBeNull();
    expect(resolveModel('my-finetune', config, { OPENAI_API_KEY: 'sk-1' }).price).toBeUndefined();
  });

  it('asks for the key when OpenAI would need one', () => {
    expect(() => resolveModel('gpt-x', config, {})).toThrow(/OPENAI_API_KEY is not set: export OPENAI_API_KEY=sk-/);
  });

  it('reads named models from the config file, with clear errors', () => {
    writeFileSync(
      join(dir, 'good.json'),
      JSON.stringify({
        models: { local: { model: 'm', baseUrl: 'http://x:1/v1', apiKeyEnv: 'MY_KEY', concurrency: 4 } },
      }),
    );
    expect(resolveModel('local', loadConfig('good.json', dir, {}), { MY_KEY: 'secret' })).toMatchObject({
      model: 'm',
      apiKey: 'secret',
      concurrency: 4,
    });
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ models: { local: { model: 'm', concurency: 4 } } }));
    expect(() => loadConfig('bad.json', dir, {})).toThrow(
      /config file .*bad\.json is invalid:\n✖ Unrecognized key: "concurency"\n {2}→ at models\.local/,
    );
    expect(() => loadConfig('missing.json', dir, {})).toThrow(/cannot read config file .*missing\.json: no such file/);
  });
});

describe('nxt llm and nxt cache', () => {
  it('pings a model and reports latency', async () => {
    const ok = await cli(['llm', 'ping', '--model', `test-model@${server.url}`]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(
      /^ok {4}http:\/\/127\.0\.0\.1:\d+\/v1 {2}model test-model \(listed\) answered in \d+ ms; model list \d+ ms\n$/,
    );
    const wrong = await cli(['llm', 'ping', '--model', `nope@${server.url}`]);
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toContain('not among the 1 models listed: test-model');
  });

  it('samples a prompt file through the cache', async () => {
    const first = await cli([
      'llm',
      'sample',
      '--model',
      `test-model@${server.url}`,
      '--prompt-file',
      'prompt.txt',
      '-n',
      '3',
      '--json',
    ]);
    expect(first.code).toBe(0);
    const outcomes = first.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(outcomes.map((outcome) => [outcome.index, outcome.status, outcome.cached])).toEqual([
      [0, 'ok', false],
      [1, 'ok', false],
      [2, 'ok', false],
    ]);
    const second = await cli([
      'llm',
      'sample',
      '--model',
      `test-model@${server.url}`,
      '--prompt-file',
      'prompt.txt',
      '-n',
      '3',
    ]);
    expect(second.stdout).toContain('--- sample 2 (cached) [stop]');
    expect(second.stderr).toMatch(/^nxt: 3\/3 samples; 3 from cache, 0 requests/);
    const stats = await cli(['cache', 'stats']);
    expect(stats.stdout).toMatch(/samples {3}3\nrequests {2}1\n/);
    expect(await cli(['cache', 'clear'])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/^nxt: this would delete all 3 samples in .*: run again with --yes/),
    });
    expect((await cli(['cache', 'stats'])).stdout).toMatch(/samples {3}3\n/);
    expect((await cli(['cache', 'clear', '--yes'])).stdout).toMatch(/^removed 3 samples from /);
    expect((await cli(['cache', 'stats'])).stdout).toMatch(/samples {3}0\n/);
  });

  it('clears one model with --model, leaving the others; lists samples per model; reads caches made before', async () => {
    const other = await startTestServer();
    const env = { NXT_CACHE_DIR: join(dir, 'per-model') };
    const sample = (model: string, n: string) =>
      cli(['llm', 'sample', '--model', model, '--prompt-file', 'prompt.txt', '-n', n], env);
    try {
      expect((await sample(`test-model@${server.url}`, '3')).code).toBe(0);
      expect((await sample(`other-model@${other.url}`, '2')).code).toBe(0);
    } finally {
      await other.close();
    }
    expect((await cli(['cache', 'stats'], env)).stdout).toMatch(
      /samples {3}5\n[\s\S]*by model\n +3 {2}test-model\n +2 {2}other-model\n$/,
    );
    expect(await cli(['cache', 'clear', '--model', 'other-model'], env)).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/^nxt: this would delete the 2 samples of model 'other-model' in .*--yes/),
    });
    expect(await cli(['cache', 'clear', '--model', 'nope', '--yes'], env)).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/holds no samples of model 'nope' \(models: test-model, other-model\)\n$/),
    });
    expect((await cli(['cache', 'clear', '--model', 'other-model', '--yes'], env)).stdout).toMatch(
      /^removed 2 samples of model 'other-model' from /,
    );
    expect((await cli(['cache', 'stats'], env)).stdout).toMatch(/samples {3}3\n[\s\S]*by model\n +3 {2}test-model\n$/);

    // A cache written before samples carried their model: its rows are known by the model the server named.
    const legacyPath = join(dir, 'legacy.sqlite');
    const Database = createRequire(import.meta.url)('better-sqlite3');
    const db = new Database(legacyPath);
    db.exec(
      'CREATE TABLE samples (key TEXT NOT NULL, idx INTEGER NOT NULL, sample TEXT NOT NULL, created_at INTEGER NOT NULL, PRIMARY KEY (key, idx)) WITHOUT ROWID; CREATE TABLE batches (job_key TEXT PRIMARY KEY, batch_id TEXT NOT NULL, status TEXT NOT NULL, created_at INTEGER NOT NULL);',
    );
    const old = {
      index: 0,
      text: 'x',
      finishReason: 'stop',
      usage: { promptTokens: 1, completionTokens: 1 },
      model: 'legacy-model',
    };
    db.prepare('INSERT INTO samples VALUES (?, ?, ?, ?)').run('k', 0, JSON.stringify(old), 0);
    db.close();
    expect((await cli(['cache', 'stats', '--cache', legacyPath])).stdout).toContain('       1  legacy-model\n');
    expect((await cli(['cache', 'clear', '--cache', legacyPath, '--model', 'legacy-model', '--yes'])).stdout).toMatch(
      /^removed 1 samples of model 'legacy-model'/,
    );
  });

  it('rejects bad flags with exit code 2', async () => {
    const result = await cli([
      'llm',
      'sample',
      '--model',
      `test-model@${server.url}`,
      '--prompt-file',
      'prompt.txt',
      '--temperature',
      'hot',
    ]);
    expect(result).toMatchObject({ code: 2, stderr: "nxt: --temperature must be a number from 0 to 2, got 'hot'\n" });
    expect((await cli(['cache', 'shred'])).stderr).toBe("nxt: unknown cache action 'shred': use stats or clear\n");
  });
});
