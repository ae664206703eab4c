/**
 * Where tests find dataset files, by the rule users have (README, "nxt data"): $NXT_DATA_DIR, else the
 * read-only copies in ../shared/data beside the checkout, else the download cache nxt fills on first use
 * ($NXT_CACHE_DIR/data, else ~/.cache/nxt/data). Tests never download. Plain node: vitest.config.ts uses it.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** A file every data-reading test needs; its presence marks a usable data folder. */
const MARKER = join('humanevalpack', 'humanevalpack_python.jsonl');

const root = resolve(import.meta.dirname, '..', '..');
const env = process.env;
const candidates: { dir: string; why: string }[] = [
  ...(env['NXT_DATA_DIR'] ? [{ dir: resolve(env['NXT_DATA_DIR']), why: '$NXT_DATA_DIR' }] : []),
  { dir: resolve(root, '..', 'shared', 'data'), why: '../shared/data beside the checkout' },
  {
    dir: join(
      env['NXT_CACHE_DIR'] ?? join(env['XDG_CACHE_HOME'] ?? join(env['HOME'] ?? homedir(), '.cache'), 'nxt'),
      'data',
    ),
    why: "nxt's download cache",
  },
];

const found = env['NXT_DATA_DIR']
  ? candidates[0]
  : candidates.find((candidate) => existsSync(join(candidate.dir, MARKER)));

/** The data folder tests read (the first candidate when none holds the files: tests needing it are skipped). */
export const testDataDir: string = (found ?? candidates[0])?.dir ?? '';

/** Why there is no data, in one line naming where nxt looked and the fix; null when there is. */
export const dataMissing: string | null = existsSync(join(testDataDir, MARKER))
  ? null
  : `dataset files not found (looked for ${MARKER} in ${candidates.map((c) => `${c.dir} (${c.why})`).join(', ')}): ` +
    'set NXT_DATA_DIR to a data folder, or run `nxt data export humanevalfix --out -` and the like once with internet to fill the cache';
