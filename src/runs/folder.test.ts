import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { differingFields, isRunFolder, openRunFolder, readManifest } from './folder.js';
import { describeRun, type RunManifest } from './manifest.js';
import {
  IterationStateSchema,
  readSelftrainState,
  readSelftrainSummary,
  type SelftrainState,
  writeSelftrainState,
} from './selftrain.js';

describe('run folders', () => {
  it('are recognised one way, and a folder that is not one is an error, not an empty run', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'nxt-not-a-run-'));
    expect(isRunFolder(empty)).toBe(false);
    await expect(readManifest(empty)).rejects.toThrow(/is not an nxt run folder/);
    writeFileSync(join(empty, 'manifest.json'), '{"kind": "something else"}');
    expect(isRunFolder(empty)).toBe(true);
    await expect(readManifest(empty)).rejects.toThrow(/is not an nxt run manifest/);
  });

  it('describe every kind for lists and reports', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nxt-import-run-'));
    const common = { schemaVersion: 1, createdAt: 'now', nxtVersion: 't', python: '3.11', sandbox: [] };
    writeFileSync(
      join(dir, 'manifest.json'),
      JSON.stringify({ ...common, kind: 'import', dataset: 'humanevalfix', file: 'theirs.jsonl', fileSha256: 'ab' }),
    );
    expect(describeRun(await readManifest(dir))).toMatchObject({ kind: 'import', model: 'imported: theirs.jsonl' });
  });
});

describe('openRunFolder', () => {
  const common = { schemaVersion: 1 as const, createdAt: 'now', nxtVersion: 't', python: '3.11.2 (main)', sandbox: [] };
  const imported = (fileSha256: string, python = common.python): RunManifest => ({
    ...common,
    python,
    kind: 'import' as const,
    dataset: 'humanevalfix',
    file: 'theirs.jsonl',
    fileSha256,
  });
  const differences = (existing: RunManifest) => differingFields(existing, imported('ab'), ['fileSha256', 'shard']);

  it('creates a run, resumes the same one, and names what differs in another, whatever its kind', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'nxt-open-')), 'run');
    expect(await openRunFolder(dir, imported('ab'), differences)).toBeNull();
    expect(await readManifest(dir)).toEqual(imported('ab'));
    expect(await openRunFolder(dir, imported('ab'), differences)).toEqual(imported('ab'));
    await expect(
      openRunFolder(dir, imported('cd'), (existing) => differingFields(existing, imported('cd'), ['fileSha256'])),
    ).rejects.toThrow(
      `${dir} holds a run with different settings (fileSha256); resume it with the same flags or choose another --out`,
    );
    const proxy = { ...common, kind: 'proxy' as const, from: 'a', dataset: 'd', student: 's' };
    await expect(openRunFolder(dir, proxy, () => [])).rejects.toThrow(
      `${dir} holds another run (import); choose another --out`,
    );
    await expect(openRunFolder(dir, imported('ab', '3.12.1'), differences)).rejects.toThrow(
      /was judged with Python 3\.11\.2, but this command would judge with Python 3\.12\.1/,
    );
  });

  it('compares every field either settings object has when given no list, in their order', () => {
    expect(differingFields({ a: 1, b: [1], c: 'x' }, { b: [1], c: 'y', d: 0 })).toEqual(['a', 'c', 'd']);
  });
});

describe('self-training files', () => {
  it('are written atomically, read back as written, and refused behind a link', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nxt-selftrain-files-'));
    const state: SelftrainState = {
      schemaVersion: 1,
      configHash: 'h',
      hardSet: null,
      trainTasks: 3,
      baseDev: null,
      iterations: [IterationStateSchema.parse({ iteration: 0, model: 'm', phase: 'sampling' })],
      waiting: null,
      best: null,
    };
    expect(await readSelftrainState(dir)).toBeNull();
    await writeSelftrainState(dir, state);
    expect(await readSelftrainState(dir)).toEqual(state);
    expect(isRunFolder(dir)).toBe(true);
    const other = mkdtempSync(join(tmpdir(), 'nxt-selftrain-files-'));
    symlinkSync(join(dir, 'state.json'), join(other, 'state.json'));
    await expect(readSelftrainState(other)).rejects.toThrow(/is a symbolic link/);
    writeFileSync(join(dir, 'summary.json'), JSON.stringify({ baseModel: 'b', best: 0, iterations: [] }));
    await expect(readSelftrainSummary(dir)).rejects.toThrow(`${join(dir, 'summary.json')} is not what nxt wrote`);
  });
});
