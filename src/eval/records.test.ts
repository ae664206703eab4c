import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { appendRecords } from './records.js';

describe('appendRecords', () => {
  it('never interleaves concurrent batches: 40 KB answers × 20 samples × 8 tasks, every line parses', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'nxt-records-')), 'samples.jsonl');
    const answer = 'x'.repeat(40_000);
    const batch = (task: number, round: number) =>
      Array.from({ length: 20 }, (_, index) => ({ task, round, index, answer }));
    const writes: Promise<void>[] = [];
    for (let round = 0; round < 4; round++) {
      for (let task = 0; task < 8; task++) writes.push(appendRecords(path, batch(task, round)));
    }
    await Promise.all(writes);
    const lines = readFileSync(path, 'utf8').split('\n').filter(Boolean);
    expect(lines).toHaveLength(8 * 4 * 20);
    const parsed = lines.map((line) => JSON.parse(line) as { task: number; round: number; index: number });
    // Whole batches, each in one piece: its 20 lines are consecutive and in order.
    for (let start = 0; start < parsed.length; start += 20) {
      const first = parsed[start];
      expect(parsed.slice(start, start + 20).map((line) => [line.task, line.round, line.index])).toEqual(
        Array.from({ length: 20 }, (_, index) => [first?.task, first?.round, index]),
      );
    }
  });
});
