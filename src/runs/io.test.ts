import { mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { appendRecords, readRecords } from './io.js';

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

const Numbered = z.object({ n: z.number() });
const folder = () => mkdtempSync(join(tmpdir(), 'nxt-records-'));

describe('readRecords', () => {
  it('never changes the file it reads: a torn last line is refused with its file and line, not cut', async () => {
    const path = join(folder(), 'results.jsonl');
    writeFileSync(path, '{"n":1}\n{"n":2}\n{"n":');
    await expect(readRecords(path, Numbered)).rejects.toThrow(
      `${path}:3: the last line is incomplete (a write stopped halfway); the command that writes this file repairs it when it runs again`,
    );
    expect(readFileSync(path, 'utf8')).toBe('{"n":1}\n{"n":2}\n{"n":');
  });

  it('reads a last record that lacks its newline, and leaves the file as it was', async () => {
    const path = join(folder(), 'results.jsonl');
    writeFileSync(path, '{"n":1}\n{"n":2}');
    expect(await readRecords(path, Numbered)).toEqual([{ n: 1 }, { n: 2 }]);
    expect(readFileSync(path, 'utf8')).toBe('{"n":1}\n{"n":2}');
  });

  it('names the file and line of a record of the wrong shape', async () => {
    const path = join(folder(), 'results.jsonl');
    writeFileSync(path, '{"n":1}\n{"n":"<b>2</b>"}\n{"n":3}\n');
    await expect(readRecords(path, Numbered)).rejects.toThrow(`${path}:2: not a valid record`);
  });

  it('repairs only when the run that owns the file asks: a torn line is cut, a whole one ended', async () => {
    const torn = join(folder(), 'samples.jsonl');
    writeFileSync(torn, '{"n":1}\n{"n":');
    expect(await readRecords(torn, Numbered, { repair: true })).toEqual([{ n: 1 }]);
    expect(readFileSync(torn, 'utf8')).toBe('{"n":1}\n');
    const unended = join(folder(), 'samples.jsonl');
    writeFileSync(unended, '{"n":1}');
    expect(await readRecords(unended, Numbered, { repair: true })).toEqual([{ n: 1 }]);
    await appendRecords(unended, [{ n: 2 }]);
    expect(await readRecords(unended, Numbered)).toEqual([{ n: 1 }, { n: 2 }]);
  });

  it('cuts a torn line at its first byte, even after bytes that are not UTF-8', async () => {
    const path = join(folder(), 'samples.jsonl');
    const whole = Buffer.concat([Buffer.from('{"n":1,"s":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}\n')]);
    writeFileSync(path, Buffer.concat([whole, Buffer.from('{"n":')]));
    expect(await readRecords(path, Numbered, { repair: true })).toEqual([{ n: 1 }]);
    expect(readFileSync(path)).toEqual(whole);
  });

  it('refuses a symbolic link instead of reading or writing where it points', async () => {
    const outside = join(folder(), 'elsewhere.jsonl');
    writeFileSync(outside, '{"n":1}\n');
    const run = folder();
    for (const [name, target] of [
      ['results.jsonl', outside],
      ['samples.jsonl', '/etc/passwd'],
    ] as const) {
      symlinkSync(target, join(run, name));
      await expect(readRecords(join(run, name), Numbered)).rejects.toThrow(
        `${join(run, name)} is a symbolic link: nxt does not follow links in a run folder (put the file itself there)`,
      );
      await expect(readRecords(join(run, name), Numbered, { repair: true })).rejects.toThrow(/is a symbolic link/);
    }
    await expect(appendRecords(join(run, 'results.jsonl'), [{ n: 2 }])).rejects.toThrow(/is a symbolic link/);
    expect(readFileSync(outside, 'utf8')).toBe('{"n":1}\n');
  });
});
