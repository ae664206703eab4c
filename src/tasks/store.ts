import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { NxtError } from '../shared/index.js';
import { DATA_FILES, type DataFile, type DataFileName } from './files.js';

/** Download progress: bytes so far and the total when known. */
export type ProgressCallback = (file: string, received: number, total: number | null) => void;

export interface DataStoreOptions {
  /** A folder laid out like ../shared/data, read first (--data-dir / NXT_DATA_DIR). */
  dataDir?: string | null;
  /** Where downloads are kept. */
  cacheDir: string;
  /** Injected for tests; `null` means no network at all. */
  fetch?: typeof fetch | null;
  onProgress?: ProgressCallback;
}

/** A verified dataset file's text (gunzipped when needed) and where it came from. */
export interface LoadedFile {
  file: DataFile;
  text: string;
  sha256: string;
  from: string;
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/**
 * Finds dataset files: in the data folder when one is given, else in the download cache, else
 * downloads them from their pinned upstream URLs. Every file's sha256 is checked wherever it came from.
 */
export class DataStore {
  readonly #options: DataStoreOptions;
  readonly #loaded = new Map<DataFileName, Promise<LoadedFile>>();

  constructor(options: DataStoreOptions) {
    this.#options = options;
  }

  /** Where a file would be read from in the data folder and in the cache. */
  locations(name: DataFileName): { dataDir: string | null; cache: string } {
    const file = DATA_FILES[name];
    return {
      dataDir: this.#options.dataDir ? join(this.#options.dataDir, file.path) : null,
      cache: join(this.#options.cacheDir, file.path),
    };
  }

  load(name: DataFileName): Promise<LoadedFile> {
    let loaded = this.#loaded.get(name);
    if (!loaded) {
      loaded = this.#load(name);
      this.#loaded.set(name, loaded);
      loaded.catch(() => this.#loaded.delete(name));
    }
    return loaded;
  }

  async #load(name: DataFileName): Promise<LoadedFile> {
    const file = DATA_FILES[name];
    const { dataDir, cache } = this.locations(name);
    if (dataDir) {
      if (!existsSync(dataDir)) {
        throw new NxtError(
          'data',
          `${file.path} is not in the data folder: expected ${dataDir} (sha256 ${file.sha256})`,
        );
      }
      return this.#verified(file, await readFile(dataDir), dataDir);
    }
    if (existsSync(cache)) return this.#verified(file, await readFile(cache), cache);
    const bytes = await this.#download(file);
    await mkdir(dirname(cache), { recursive: true });
    await writeFile(`${cache}.part`, bytes);
    await rename(`${cache}.part`, cache);
    return this.#verified(file, bytes, cache);
  }

  #verified(file: DataFile, bytes: Buffer, from: string): LoadedFile {
    const actual = sha256(bytes);
    if (actual !== file.sha256) {
      throw new NxtError(
        'data',
        `${from} is not the expected ${file.path}: its sha256 is ${actual}, expected ${file.sha256}. Replace it with the upstream file (${file.urls[0]}).`,
      );
    }
    const text = file.path.endsWith('.gz') ? gunzipSync(bytes).toString('utf8') : bytes.toString('utf8');
    return { file, text, sha256: actual, from };
  }

  async #download(file: DataFile): Promise<Buffer> {
    const fetcher = this.#options.fetch === undefined ? fetch : this.#options.fetch;
    const reasons: string[] = [];
    if (fetcher) {
      for (const url of file.urls) {
        try {
          const bytes = await this.#fetchOne(fetcher, url, file);
          const actual = sha256(bytes);
          if (actual === file.sha256) return bytes;
          reasons.push(`${url} served different bytes (sha256 ${actual})`);
        } catch (error) {
          reasons.push(`${url}: ${(error as Error).message}`);
        }
      }
    } else reasons.push('the network is off');
    throw new NxtError(
      'data',
      `cannot get ${file.path}: ${reasons.join('; ')}. Without internet, put the file (sha256 ${file.sha256}) at ` +
        `DIR/${file.path} and pass --data-dir DIR or set NXT_DATA_DIR=DIR.`,
    );
  }

  async #fetchOne(fetcher: typeof fetch, url: string, file: DataFile): Promise<Buffer> {
    const response = await fetcher(url, { signal: AbortSignal.timeout(120_000) });
    if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
    const total = Number(response.headers.get('content-length')) || file.bytes || null;
    const chunks: Uint8Array[] = [];
    let received = 0;
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      received += value.length;
      this.#options.onProgress?.(file.path, received, total);
    }
    return Buffer.concat(chunks);
  }
}
