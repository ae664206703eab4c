import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isRunFolder, readManifest } from './folder.js';
import { describeRun } from './manifest.js';

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
