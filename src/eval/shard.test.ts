import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { folderBytes, resultRecord, writeHandMadeRun } from '../../test/support/hand-made-run.js';
import { ResultRecordSchema, readRecords } from '../runs/index.js';
import type { Problem } from '../tasks/index.js';
import { mergeShards } from './shard.js';

const problem = (id: string): Problem => ({
  schemaVersion: 1,
  id,
  dataset: 'humanevalfix',
  description: 'd',
  entryPoint: 'f',
  promptTests: [],
  tests: ['assert f() == 1'],
  plusTests: null,
  reference: null,
  split: null,
  provenance: { file: 'f', sha256: 's', line: 1, upstreamId: id },
  prompt: null,
});
const loadTasks = async () => ['Python/0', 'Python/1', 'Python/2'].map(problem);

/** Two hand-made shards of one import run: shard 0 has Python/0 and /2, shard 1 has Python/1. */
function shards(root: string): [string, string] {
  const shard = (index: number, taskIds: string[]) =>
    writeHandMadeRun(
      join(root, `part-${index}`),
      taskIds.flatMap((id) => [resultRecord(id, 0, true), resultRecord(id, 1, false)]),
      { manifest: { shard: { index, count: 2 }, taskIds } },
    );
  return [shard(0, ['Python/0', 'Python/2']), shard(1, ['Python/1'])];
}

describe('mergeShards', () => {
  it('merges records whose last line lacks its newline without joining lines, and leaves the shards as they were', async () => {
    const root = mkdtempSync(join(tmpdir(), 'nxt-merge-'));
    const [first, second] = shards(root);
    const results = readFileSync(join(first, 'results.jsonl'), 'utf8');
    writeFileSync(join(first, 'results.jsonl'), results.trimEnd());
    const before = [folderBytes(first), folderBytes(second)];
    const summary = await mergeShards(join(root, 'merged'), [first, second], loadTasks);
    expect(summary.tasks).toBe(3);
    expect(await readRecords(join(root, 'merged', 'results.jsonl'), ResultRecordSchema)).toHaveLength(6);
    expect([folderBytes(first), folderBytes(second)]).toEqual(before);
  });

  it('refuses a torn last line, a record of the wrong shape and a results file that is a link, naming the file', async () => {
    const root = mkdtempSync(join(tmpdir(), 'nxt-merge-'));
    const [first, second] = shards(root);
    const path = join(second, 'results.jsonl');
    const whole = readFileSync(path, 'utf8');
    const cases: [string, () => void, string][] = [
      ['torn', () => writeFileSync(path, `${whole}{"schemaVers`), `${path}:3: the last line is incomplete`],
      [
        'wrong shape',
        () => writeFileSync(path, `${whole}${JSON.stringify({ ...resultRecord('Python/1', 2, true), pass: 'yes' })}\n`),
        `${path}:3: not a valid record`,
      ],
      [
        'link',
        () => {
          rmSync(path);
          symlinkSync(join(first, 'results.jsonl'), path);
        },
        `${path} is a symbolic link`,
      ],
    ];
    for (const [name, damage, message] of cases) {
      damage();
      const out = join(root, `merged-${name.replace(' ', '-')}`);
      await expect(mergeShards(out, [first, second], loadTasks), name).rejects.toThrow(message);
      expect(existsSync(join(out, 'manifest.json')), name).toBe(false);
      rmSync(path);
      writeFileSync(path, whole);
    }
  });

  it('refuses samples, prompts and ratings files of the wrong shape or behind a link', async () => {
    const root = mkdtempSync(join(tmpdir(), 'nxt-merge-'));
    const [first, second] = shards(root);
    writeFileSync(join(second, 'ratings.jsonl'), '{"taskId":"Python/1","rater":"<script>"}\n');
    await expect(mergeShards(join(root, 'a'), [first, second], loadTasks)).rejects.toThrow(
      `${join(second, 'ratings.jsonl')}:1: not a valid record`,
    );
    rmSync(join(second, 'ratings.jsonl'));
    symlinkSync('/etc/passwd', join(second, 'samples.jsonl'));
    await expect(mergeShards(join(root, 'b'), [first, second], loadTasks)).rejects.toThrow(
      `${join(second, 'samples.jsonl')} is a symbolic link`,
    );
    expect(existsSync(join(root, 'b', 'samples.jsonl'))).toBe(false);
  });

  it("refuses results for tasks that are not the shard's, and a summary of the wrong shape", async () => {
    const root = mkdtempSync(join(tmpdir(), 'nxt-merge-'));
    const [first, second] = shards(root);
    const path = join(second, 'results.jsonl');
    const whole = readFileSync(path, 'utf8');
    writeFileSync(path, `${whole}${JSON.stringify(resultRecord('Python/0', 0, true))}\n`);
    await expect(mergeShards(join(root, 'a'), [first, second], loadTasks)).rejects.toThrow(
      `${path}:3: task Python/0 is not one of this shard's tasks`,
    );
    writeFileSync(path, whole);
    writeFileSync(join(second, 'summary.json'), '{"schemaVersion":1,"model":"<b>x</b>"}');
    await expect(mergeShards(join(root, 'b'), [first, second], loadTasks)).rejects.toThrow(
      `${join(second, 'summary.json')} is not what nxt wrote`,
    );
  });

  it('refuses to write the merged run inside one of its shards', async () => {
    const root = mkdtempSync(join(tmpdir(), 'nxt-merge-'));
    const [first, second] = shards(root);
    const before = folderBytes(first);
    await expect(mergeShards(join(first, 'merged'), [first, second], loadTasks)).rejects.toThrow(
      `${join(first, 'merged')} is inside shard ${first}: merge into a folder of its own`,
    );
    expect(folderBytes(first)).toEqual(before);
    expect(existsSync(join(first, 'merged'))).toBe(false);
    // Nor through a link to a folder inside one.
    mkdirSync(join(first, 'sub'));
    symlinkSync(join(first, 'sub'), join(root, 'alias'));
    await expect(mergeShards(join(root, 'alias'), [first, second], loadTasks)).rejects.toThrow(
      `${join(root, 'alias')} is inside shard ${first}`,
    );
    expect(readdirSync(join(first, 'sub'))).toEqual([]);
  });

  it('refuses a folder that already holds files: it writes a new one, never through what is there', async () => {
    const root = mkdtempSync(join(tmpdir(), 'nxt-merge-'));
    const [first, second] = shards(root);
    const out = join(root, 'merged');
    const target = join(root, 'target.txt');
    writeFileSync(target, 'keep\n');
    mkdirSync(out);
    symlinkSync(target, join(out, 'results.jsonl'));
    await expect(mergeShards(out, [first, second], loadTasks)).rejects.toThrow(
      `${out} is not empty: merge into a new folder`,
    );
    expect(readFileSync(target, 'utf8')).toBe('keep\n');
  });
});
