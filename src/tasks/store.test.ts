import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { sharedDataDir } from '../../test/support/shared-data.js';
import { DATA_FILES } from './files.js';
import { readRecords } from './records.js';
import { DataStore, type LoadedFile } from './store.js';

const mbpp = readFileSync(join(sharedDataDir, DATA_FILES.mbpp.path));
let server: Server;
let base = '';
let served = 0;

beforeAll(async () => {
  server = createServer((request, response) => {
    served += 1;
    if (request.url === '/good') {
      response.writeHead(200, { 'content-length': String(mbpp.length) });
      response.end(mbpp);
    } else if (request.url === '/tampered') response.end(Buffer.concat([mbpp, Buffer.from('x')]));
    else {
      response.writeHead(404);
      response.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => {
  server.close();
});

/** A fetch that sends the pinned upstream URLs of MBPP to the local server instead. */
function redirect(path: string): typeof fetch {
  return (_url, init) => fetch(`${base}${path}`, init);
}

describe('DataStore', () => {
  it('reads a local data folder and checks the hash', async () => {
    const store = new DataStore({ dataDir: sharedDataDir, cacheDir: '/nonexistent', fetch: null });
    const loaded = await store.load('mbpp');
    expect(loaded.sha256).toBe(DATA_FILES.mbpp.sha256);
    expect(loaded.text.split('\n').filter(Boolean)).toHaveLength(974);
  });

  it('refuses a file with the wrong hash, naming it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nxt-data-'));
    mkdirSync(join(dir, 'mbpp'));
    writeFileSync(join(dir, 'mbpp', 'mbpp.jsonl'), Buffer.concat([mbpp, Buffer.from('\n')]));
    const store = new DataStore({ dataDir: dir, cacheDir: '/nonexistent', fetch: null });
    await expect(store.load('mbpp')).rejects.toThrow(
      new RegExp(
        `${dir}/mbpp/mbpp.jsonl is not the expected mbpp/mbpp.jsonl: its sha256 is [0-9a-f]{64}, expected ${DATA_FILES.mbpp.sha256}`,
      ),
    );
    await expect(store.load('humaneval')).rejects.toThrow(
      /humaneval\/HumanEval\.jsonl\.gz is not in the data folder: expected/,
    );
  });

  it('downloads once with progress, verifies, and reads the cache afterwards', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'nxt-cache-'));
    const progress: number[] = [];
    const store = new DataStore({
      cacheDir,
      fetch: redirect('/good'),
      onProgress: (_file, received) => progress.push(received),
    });
    const before = served;
    expect((await store.load('mbpp')).sha256).toBe(DATA_FILES.mbpp.sha256);
    expect(served - before).toBe(1);
    expect(progress.at(-1)).toBe(mbpp.length);
    const again = new DataStore({ cacheDir, fetch: null });
    expect((await again.load('mbpp')).from).toBe(join(cacheDir, 'mbpp/mbpp.jsonl'));
  });

  it('says where to put the file when it cannot be downloaded', async () => {
    const offline = new DataStore({ cacheDir: mkdtempSync(join(tmpdir(), 'nxt-cache-')), fetch: null });
    await expect(offline.load('mbpp')).rejects.toThrow(
      /^cannot get mbpp\/mbpp\.jsonl: the network is off\. Without internet, put the file \(sha256 [0-9a-f]+\) at DIR\/mbpp\/mbpp\.jsonl and pass --data-dir DIR or set NXT_DATA_DIR=DIR\.$/,
    );
    const tampered = new DataStore({
      cacheDir: mkdtempSync(join(tmpdir(), 'nxt-cache-')),
      fetch: redirect('/tampered'),
    });
    await expect(tampered.load('mbpp')).rejects.toThrow(/served different bytes \(sha256 [0-9a-f]{64}\)/);
  });
});

describe('readRecords', () => {
  const file = { ...DATA_FILES.mbpp, records: 2 };
  const loaded = (text: string): LoadedFile => ({
    file,
    text,
    sha256: createHash('sha256').update(text).digest('hex'),
    from: 'data/mbpp.jsonl',
  });
  const Record = z.object({ task_id: z.number(), text: z.string() });

  it('names the file and line of a bad JSON line or a record with missing fields', () => {
    expect(() => readRecords(loaded('{"task_id": 1, "text": "a"}\n{"task_id": 2,\n'), Record)).toThrow(
      /^data\/mbpp\.jsonl:2: not valid JSON/,
    );
    expect(() => readRecords(loaded('{"task_id": 1, "text": "a"}\n{"task_id": 2}\n'), Record)).toThrow(
      /^data\/mbpp\.jsonl:2: not a valid record:\n✖ Invalid input: expected string, received undefined\n {2}→ at text$/,
    );
    expect(() => readRecords(loaded('{"task_id": 1, "text": "a"}\n'), Record)).toThrow(
      'data/mbpp.jsonl holds 1 records, expected 2',
    );
    expect(
      readRecords(loaded('{"task_id": 1, "text": "a\u2028b"}\n{"task_id": 2, "text": "c"}\n'), Record),
    ).toHaveLength(2);
  });

  it("reads Python's bare NaN and infinities as null when asked, and leaves strings as they are", () => {
    const text =
      '{"task_id": 1, "text": "NaN, \\"Infinity\\"", "x": [NaN, -Infinity, Infinity]}\n{"task_id": 2, "text": "c"}\n';
    expect(() => readRecords(loaded(text), Record)).toThrow(/^data\/mbpp\.jsonl:1: not valid JSON/);
    const read = readRecords(loaded(text), Record.extend({ x: z.array(z.null()).optional() }), {
      pythonNonFinite: true,
    });
    expect(read[0]?.record).toEqual({ task_id: 1, text: 'NaN, "Infinity"', x: [null, null, null] });
  });
});
