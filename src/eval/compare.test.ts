import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareRuns } from './compare.js';

describe('compareRuns', () => {
  it('refuses a folder that is not a run, rather than comparing an empty run at 0%', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'nxt-not-a-run-'));
    await expect(compareRuns(empty, empty)).rejects.toThrow(/is not an nxt run folder/);
  });
});
