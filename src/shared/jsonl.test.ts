import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { appendJsonLines, formatJsonLines, jsonLineBytes, parseJsonLines, readJsonLines } from './jsonl.js';

const Numbered = z.object({ n: z.number() });
const options = { from: 'f.jsonl', code: 'run' };

describe('parseJsonLines', () => {
  it('splits on \\n only, skips blank lines and numbers lines as the file does', () => {
    const { records } = parseJsonLines('{"n":1,"s":"a\u2028b"}\n\n{"n":2}\n', Numbered, options);
    expect(records).toEqual([
      { record: { n: 1 }, line: 1 },
      { record: { n: 2 }, line: 3 },
    ]);
  });

  it('names the file and line of a line that is not JSON or not a valid record', () => {
    expect(() => parseJsonLines('{"n":1}\n{"n":\n', Numbered, options)).toThrow(/^f\.jsonl:2: not valid JSON \(/);
    expect(() =>
      parseJsonLines('{"n":"2"}\n', Numbered, { ...options, what: 'result' }),
    ).toThrowErrorMatchingInlineSnapshot(
      `
      [NxtError: f.jsonl:1: not a valid result:
      ✖ Invalid input: expected number, received string
        → at n]
    `,
    );
  });

  it('reads a last line without its newline by the caller’s policy: a bad line, torn, or left to cut', () => {
    const text = '{"n":1}\n{"n":';
    expect(() => parseJsonLines(text, Numbered, options)).toThrow(/^f\.jsonl:2: not valid JSON/);
    expect(() => parseJsonLines(text, Numbered, { ...options, lastLine: 'torn' })).toThrow(
      'f.jsonl:2: the last line is incomplete (a write stopped halfway); the command that writes this file repairs it when it runs again',
    );
    expect(parseJsonLines(text, Numbered, { ...options, lastLine: 'repairable' })).toEqual({
      records: [{ record: { n: 1 }, line: 1 }],
      torn: 2,
    });
    // A whole record without its newline is read; a bad line before the last is never taken for torn.
    expect(parseJsonLines('{"n":1}\n{"n":2}', Numbered, { ...options, lastLine: 'torn' }).records).toHaveLength(2);
    expect(() => parseJsonLines('{"n":\n{"n":2}\n', Numbered, { ...options, lastLine: 'repairable' })).toThrow(
      /^f\.jsonl:1: not valid JSON/,
    );
  });

  it("reads Python's bare NaN and infinities as null when asked, and leaves strings as they are", () => {
    const text = '{"n": 1, "s": "NaN, \\"Infinity\\"", "x": [NaN, -Infinity, Infinity]}\n';
    const Record = Numbered.extend({ s: z.string(), x: z.array(z.null()) });
    expect(() => parseJsonLines(text, Record, options)).toThrow(/^f\.jsonl:1: not valid JSON/);
    expect(parseJsonLines(text, Record, { ...options, pythonNonFinite: true }).records[0]?.record).toEqual({
      n: 1,
      s: 'NaN, "Infinity"',
      x: [null, null, null],
    });
  });

  it('checks each line against the schema its value and line number choose', () => {
    const choose = (value: unknown, line: number) =>
      z.preprocess(
        (raw) => ({ ...(raw as object), line }),
        value && typeof value === 'object' && 'n' in value
          ? Numbered.extend({ line: z.number() })
          : z.object({ s: z.string(), line: z.number() }),
      );
    const { records } = parseJsonLines('{"n":1}\n{"s":"a"}\n', choose, options);
    expect(records.map((entry) => entry.record)).toEqual([
      { n: 1, line: 1 },
      { s: 'a', line: 2 },
    ]);
  });
});

describe('readJsonLines', () => {
  const file = (text: string | Buffer) => {
    const path = join(mkdtempSync(join(tmpdir(), 'nxt-jsonl-')), 'records.jsonl');
    writeFileSync(path, text);
    return path;
  };
  const read = async (path: string, repair: boolean) => {
    const handle = await open(path, repair ? 'r+' : 'r');
    try {
      return (await readJsonLines(handle, Numbered, { ...options, from: path, repair })).map((line) => line.record);
    } finally {
      await handle.close();
    }
  };

  it('refuses a torn last line and changes nothing, unless the owner repairs: then it is cut', async () => {
    const path = file('{"n":1}\n{"n":');
    await expect(read(path, false)).rejects.toThrow(`${path}:2: the last line is incomplete`);
    expect(readFileSync(path, 'utf8')).toBe('{"n":1}\n{"n":');
    expect(await read(path, true)).toEqual([{ n: 1 }]);
    expect(readFileSync(path, 'utf8')).toBe('{"n":1}\n');
  });

  it('ends a whole last record that lost its newline only when repairing', async () => {
    const path = file('{"n":1}');
    expect(await read(path, false)).toEqual([{ n: 1 }]);
    expect(readFileSync(path, 'utf8')).toBe('{"n":1}');
    expect(await read(path, true)).toEqual([{ n: 1 }]);
    expect(readFileSync(path, 'utf8')).toBe('{"n":1}\n');
  });

  it('cuts a torn line at its first byte, even after bytes that are not UTF-8', async () => {
    const whole = Buffer.concat([Buffer.from('{"n":1,"s":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}\n')]);
    const path = file(Buffer.concat([whole, Buffer.from('{"n":')]));
    expect(await read(path, true)).toEqual([{ n: 1 }]);
    expect(readFileSync(path)).toEqual(whole);
  });
});

describe('jsonLineBytes', () => {
  it('yields each line with its offset, across chunk boundaries, the last one unended', async () => {
    const long = `{"s":"${'x'.repeat(70_000)}"}`;
    const text = `{"n":1}\n${long}\n{"n":`;
    const path = join(mkdtempSync(join(tmpdir(), 'nxt-jsonl-')), 'records.jsonl');
    writeFileSync(path, text);
    const handle = await open(path, 'r');
    const lines: { text: string; offset: number; ended: boolean }[] = [];
    for await (const line of jsonLineBytes(handle, 0, Buffer.byteLength(text)))
      lines.push({ text: line.bytes.toString('utf8'), offset: line.offset, ended: line.ended });
    await handle.close();
    expect(lines).toEqual([
      { text: '{"n":1}', offset: 0, ended: true },
      { text: long, offset: 8, ended: true },
      { text: '{"n":', offset: 9 + long.length, ended: false },
    ]);
  });
});

describe('appendJsonLines', () => {
  it('queues appends to one file: concurrent batches never interleave, and the text is what formatJsonLines makes', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'nxt-jsonl-')), 'records.jsonl');
    const batch = (task: number) =>
      Array.from({ length: 50 }, (_, index) => ({ task, index, pad: 'x'.repeat(20_000) }));
    await Promise.all([0, 1, 2, 3].map((task) => appendJsonLines(path, batch(task))));
    expect(readFileSync(path, 'utf8')).toBe([0, 1, 2, 3].map((task) => formatJsonLines(batch(task))).join(''));
    expect(formatJsonLines([])).toBe('');
  });
});
