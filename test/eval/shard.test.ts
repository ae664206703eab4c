/**
 * A run split with --shard I/N and joined with `nxt merge` is the unsharded run: the same summary,
 * byte for byte. Shards of different runs, or an incomplete set, are refused.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResultRecordSchema, readRecords, shardTasks } from '../../src/eval/index.js';
import { type ScriptedRequest, startTestServer, type TestServer } from '../../src/llm/testing/test-server.js';
import { DataStore, loadDataset, type RepairTask } from '../../src/tasks/index.js';
import { evalArgv, runCapture } from '../support/cli.js';
import { sharedDataDir } from '../support/shared-data.js';

const dir = mkdtempSync(join(tmpdir(), 'nxt-shard-'));
const env = { NXT_DATA_DIR: sharedDataDir, NXT_CACHE_DIR: join(dir, 'caches') };
let tasks: RepairTask[];
let server: TestServer;

/** Right on even tasks for even choices, wrong otherwise. */
function script(request: ScriptedRequest): string {
  const last = request.messages.at(-1)?.content ?? '';
  const index = tasks.findIndex((item) => last.startsWith(`Task: ${item.description.trim()}`));
  const task = tasks[index];
  if (!task) return 'no idea';
  const program = index % 2 === 0 && request.choice % 2 === 0 ? (task.reference ?? '') : task.buggyProgram;
  return `The trace shows the wrong value.\n\n\`\`\`python\n${program}\n\`\`\``;
}

beforeAll(async () => {
  const store = new DataStore({ dataDir: sharedDataDir, cacheDir: '/nonexistent', fetch: null });
  tasks = ((await loadDataset('humanevalfix', store)) as RepairTask[]).slice(0, 7);
  server = await startTestServer({ respond: script });
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const argv = (out: string, ...rest: string[]) =>
  evalArgv(`scripted@${server.url}`, { limit: 7, samples: 3, k: '1,2,3' }, '--seed', '1', '--out', out, ...rest);

describe('sharding', () => {
  it('splits tasks deterministically and evenly', () => {
    const ids = Array.from({ length: 10 }, (_, i) => i);
    const shards = [0, 1, 2].map((index) => shardTasks(ids, { index, count: 3 }));
    expect(shards).toEqual([
      [0, 3, 6, 9],
      [1, 4, 7],
      [2, 5, 8],
    ]);
  });

  it('three shards merged give the summary of the unsharded run, byte for byte', async () => {
    const whole = await runCapture(argv(join(dir, 'whole'), '--cache', join(dir, 'whole.sqlite')), { cwd: dir, env });
    expect(whole.code, whole.stderr).toBe(0);
    const shards = [0, 1, 2].map((index) => join(dir, `part-${index}`));
    for (const [index, out] of shards.entries()) {
      const part = await runCapture(argv(out, '--shard', `${index}/3`, '--cache', join(dir, 'parts.sqlite')), {
        cwd: dir,
        env,
      });
      expect(part.code, part.stderr).toBe(0);
    }
    // Each task is in exactly one shard.
    const counts = await Promise.all(
      shards.map(
        async (out) =>
          new Set((await readRecords(join(out, 'results.jsonl'), ResultRecordSchema)).map((r) => r.taskId)).size,
      ),
    );
    expect(counts).toEqual([3, 2, 2]);

    const merged = await runCapture(['merge', join(dir, 'merged'), ...[...shards].reverse()], { cwd: dir, env });
    expect(merged.code, merged.stderr).toBe(0);
    expect(readFileSync(join(dir, 'merged', 'summary.json'), 'utf8')).toBe(
      readFileSync(join(dir, 'whole', 'summary.json'), 'utf8'),
    );
    expect(await readRecords(join(dir, 'merged', 'results.jsonl'), ResultRecordSchema)).toHaveLength(21);

    // Incomplete: two of three.
    const incomplete = await runCapture(['merge', join(dir, 'm2'), shards[0] as string, shards[1] as string], {
      cwd: dir,
      env,
    });
    expect(incomplete).toMatchObject({ code: 2, stderr: expect.stringContaining('shards 2/3 are missing') });
    // The same shard twice.
    const twice = await runCapture(
      ['merge', join(dir, 'm3'), shards[0] as string, shards[0] as string, shards[2] as string],
      {
        cwd: dir,
        env,
      },
    );
    expect(twice.stderr).toContain('are the same shard (0/3)');
    // A shard of another run (other samples).
    const other = join(dir, 'other-2');
    const otherRun = await runCapture(
      evalArgv(
        `scripted@${server.url}`,
        { limit: 7, samples: 2, k: '1,2' },
        '--seed',
        '1',
        '--out',
        other,
        '--shard',
        '2/3',
      ),
      { cwd: dir, env },
    );
    expect(otherRun.code, otherRun.stderr).toBe(0);
    const mismatched = await runCapture(['merge', join(dir, 'm4'), shards[0] as string, shards[1] as string, other], {
      cwd: dir,
      env,
    });
    expect(mismatched.code).toBe(2);
    expect(mismatched.stderr).toMatch(/is not a shard of the same run as .*: config\.samples differ/);
    // Not a shard at all.
    const notShard = await runCapture(['merge', join(dir, 'm5'), join(dir, 'whole'), shards[1] as string], {
      cwd: dir,
      env,
    });
    expect(notShard.stderr).toContain('is not a shard (it was run without --shard)');
    // A bad --shard.
    writeFileSync(join(dir, 'x'), '');
    const bad = await runCapture(argv(join(dir, 'bad'), '--shard', '3/3'), { cwd: dir, env });
    expect(bad).toMatchObject({ code: 2, stderr: expect.stringContaining('--shard must be I/N with 0 <= I < N') });
  }, 180_000);
});

describe('shards served by replicas', () => {
  it('merge when the replicas share a cacheKey, and are refused with the hint when they do not', async () => {
    const other = await startTestServer({ respond: script });
    try {
      const config = (cacheKey: string | null) =>
        JSON.stringify({
          models: Object.fromEntries(
            [
              ['near-0', server.url],
              ['near-1', other.url],
            ].map(([name, url]) => [name, { model: 'scripted', baseUrl: url, ...(cacheKey ? { cacheKey } : {}) }]),
          ),
        });
      for (const [label, cacheKey] of [
        ['keyed', 'scripted-v1'],
        ['unkeyed', null],
      ] as const) {
        writeFileSync(join(dir, `${label}.json`), config(cacheKey));
        const parts = [0, 1].map((index) => join(dir, `${label}-${index}`));
        for (const [index, out] of parts.entries()) {
          const run = await runCapture(
            [
              'eval',
              '--dataset',
              'humanevalfix',
              '--limit',
              '4',
              '--model',
              `near-${index}`,
              '--config',
              join(dir, `${label}.json`),
              '--samples',
              '2',
              '--k',
              '1,2',
              '--workers',
              '1',
              '--shard',
              `${index}/2`,
              '--out',
              out,
            ],
            { cwd: dir, env },
          );
          expect(run.code, run.stderr).toBe(0);
        }
        const merged = await runCapture(['merge', join(dir, `${label}-merged`), ...parts], { cwd: dir, env });
        if (cacheKey) expect(merged.code, merged.stderr).toBe(0);
        else {
          expect(merged.code).toBe(2);
          expect(merged.stderr).toContain(
            'endpoint.baseUrls differ (shards served by different replicas of one model: give the model a common "cacheKey"',
          );
        }
      }
    } finally {
      await other.close();
    }
  }, 120_000);
});

describe('nxt eval folder names and k', () => {
  it('says when a --k asked for needs more samples, and names a task file run after the file', async () => {
    const exported = await runCapture(['data', 'export', 'humanevalfix', '--out', join(dir, 'my-tasks.jsonl')], {
      cwd: dir,
      env,
    });
    expect(exported.code, exported.stderr).toBe(0);
    const run = await runCapture(
      [
        'eval',
        '--dataset',
        'my-tasks.jsonl',
        '--limit',
        '1',
        '--model',
        `scripted@${server.url}`,
        '--samples',
        '2',
        '--k',
        '1,5',
        '--workers',
        '1',
      ],
      { cwd: dir, env },
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('pass@5 needs more than 2 samples per task: reporting pass@1');
    expect(existsSync(join(dir, 'runs', 'my-tasks-scripted-inline-3shot', 'summary.json'))).toBe(true);
  }, 60_000);
});
