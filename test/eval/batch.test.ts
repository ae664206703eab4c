/**
 * `nxt eval --batch`: every model call goes through the Batch API of the loopback test server, one
 * batch per turn; a process killed while its batch runs finds the same batch again when rerun.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ScriptedRequest, startTestServer, type TestServer } from '../../src/llm/testing/test-server.js';
import { DataStore, loadDataset, type RepairTask } from '../../src/tasks/index.js';
import { evalArgv, exited, runCapture, spawnNxt } from '../support/cli.js';
import { sharedDataDir } from '../support/shared-data.js';

const dir = mkdtempSync(join(tmpdir(), 'nxt-batch-'));
const env = { NXT_DATA_DIR: sharedDataDir, NXT_CACHE_DIR: join(dir, 'caches') };
let tasks: RepairTask[];
let server: TestServer;

/** Wrong at first (the buggy program back); right once told its fix still fails. Right on task 0 always. */
function script(request: ScriptedRequest): string {
  const conversation = request.messages.map((message) => message.content).join('\n');
  const index = tasks.findIndex((item) => conversation.includes(`Task: ${item.description.trim()}`));
  const task = tasks[index];
  if (!task) return 'no idea';
  const told = request.messages.some((message) => message.content.startsWith('Your fixed program is still wrong.'));
  const program = told || index === 0 ? (task.reference ?? '') : task.buggyProgram;
  return `Looking at the run.\n\n\`\`\`python\n${program}\n\`\`\``;
}

beforeAll(async () => {
  const store = new DataStore({ dataDir: sharedDataDir, cacheDir: '/nonexistent', fetch: null });
  tasks = ((await loadDataset('humanevalfix', store)) as RepairTask[]).slice(0, 3);
  server = await startTestServer({ respond: script, batchPolls: 1 });
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const argv = (out: string, cache: string, ...rest: string[]) =>
  evalArgv(`scripted@${server.url}`, { limit: 3, samples: 2, k: '1,2' }, '--out', out, '--cache', cache, ...rest);
const created = () => server.log.filter((entry) => entry.method === 'POST' && entry.path === '/batches').length;
const completions = () => server.log.filter((entry) => entry.path === '/chat/completions').length;
const summary = (out: string) => JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));

describe('nxt eval --batch', () => {
  it('samples through one batch and judges as a direct run does', async () => {
    const direct = await runCapture(argv(join(dir, 'direct'), join(dir, 'direct.sqlite')), { cwd: dir, env });
    expect(direct.code, direct.stderr).toBe(0);
    const [batches, calls] = [created(), completions()];
    const batched = await runCapture(
      argv(join(dir, 'batched'), join(dir, 'batched.sqlite'), '--batch', '--batch-poll', '0.05'),
      { cwd: dir, env },
    );
    expect(batched.code, batched.stderr).toBe(0);
    expect(created() - batches).toBe(1);
    expect(completions()).toBe(calls); // nothing asked one request at a time
    expect(summary(join(dir, 'batched'))['pass@k']).toEqual(summary(join(dir, 'direct'))['pass@k']);
    expect(summary(join(dir, 'batched')).outcomes).toEqual(summary(join(dir, 'direct')).outcomes);
  }, 120_000);

  it('a multi-turn strategy sends one batch per turn', async () => {
    const before = created();
    const run = await runCapture(
      argv(
        join(dir, 'turns'),
        join(dir, 'turns.sqlite'),
        '--strategy',
        'self-debug',
        '--turns',
        '2',
        '--batch',
        '--batch-poll',
        '0.05',
      ),
      { cwd: dir, env },
    );
    expect(run.code, run.stderr).toBe(0);
    expect(created() - before).toBe(2);
    expect(summary(join(dir, 'turns'))['pass@k'].values['pass@1']).toBe(1);
    expect(summary(join(dir, 'turns')).byTurn).toEqual([1 / 3, 1]);
  }, 120_000);

  it('killed while its batch runs, the same command finds the same batch and finishes', async () => {
    server.options.batchPolls = 1_000_000; // the batch stays in progress
    const out = join(dir, 'killed');
    const cache = join(dir, 'killed.sqlite');
    const before = created();
    const child = spawnNxt(argv(out, cache, '--batch', '--batch-poll', '0.05'), { ...env });
    const deadline = Date.now() + 60_000;
    // Wait until the batch exists and has been polled a few times.
    while (Date.now() < deadline) {
      const polls = server.log.filter((entry) => entry.method === 'GET' && entry.path.startsWith('/batches/')).length;
      if (created() > before && polls >= 3) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(created() - before).toBe(1);
    child.kill('SIGKILL');
    await exited(child);

    server.options.batchPolls = 1; // the batch completes at the next poll
    const resumed = await runCapture(argv(out, cache, '--batch', '--batch-poll', '0.05'), { cwd: dir, env });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(created() - before).toBe(1); // the same batch, not a new one
    expect(summary(out)['pass@k']).toEqual(summary(join(dir, 'direct'))['pass@k']);
  }, 120_000);

  it('Ctrl-C while waiting says the run resumes and exits 130', async () => {
    server.options.batchPolls = 1_000_000;
    const before = created();
    const child = spawn(
      process.execPath,
      [
        '--import',
        import.meta.resolve('tsx'),
        join(import.meta.dirname, '../../src/cli/main.ts'),
        ...argv(join(dir, 'interrupted'), join(dir, 'interrupted.sqlite'), '--batch', '--batch-poll', '0.05'),
      ],
      { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr?.on('data', (chunk) => {
      stderr += String(chunk);
    });
    const deadline = Date.now() + 60_000;
    while (created() === before && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    child.kill('SIGINT');
    expect(await exited(child)).toBe(130);
    expect(stderr).toContain('nxt: interrupted. Nothing finished is lost: run the same command again');
    server.options.batchPolls = 1;
  }, 90_000);
});
