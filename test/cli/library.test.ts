/**
 * nxt as a library: the README's example runs as written (against this checkout's sources), and the
 * package's entry points are the modules they name.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { sharedDataDir } from '../support/shared-data.js';

const root = join(import.meta.dirname, '..', '..');
const README = readFileSync(join(root, 'README.md'), 'utf8');

describe('the library', () => {
  it("runs the README's example as written", async () => {
    const section = README.slice(README.indexOf('### As a library'));
    const example = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
    if (!example) throw new Error('the README has no ts example under "As a library"');
    expect(example).toContain("from 'nxt'");
    const dir = mkdtempSync(join(tmpdir(), 'nxt-library-'));
    const file = join(dir, 'example.mts');
    writeFileSync(file, example.replace("from 'nxt'", `from '${join(root, 'src', 'index.ts')}'`));
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', import.meta.resolve('tsx'), file], {
      env: { ...process.env, NXT_DATA_DIR: sharedDataDir, HOME: dir },
      timeout: 60_000,
    });
    expect(stdout).toMatch(/^fail test 0 failed \(AssertionError/);
    expect(stdout).toContain('# (');
  }, 90_000);

  it('exports a top-level entry and one per domain, each built from its index', () => {
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    expect(Object.keys(manifest.exports)).toEqual([
      '.',
      './sandbox',
      './trace',
      './tasks',
      './llm',
      './eval',
      './package.json',
    ]);
    for (const [name, target] of Object.entries(
      manifest.exports as Record<string, { import?: string; types?: string }>,
    )) {
      if (name === './package.json') continue;
      const source = (target.import as string).replace('./dist/', 'src/').replace(/\.js$/, '.ts');
      expect(existsSync(join(root, source)), `${name} -> ${source}`).toBe(true);
      expect(target.types).toBe((target.import as string).replace(/\.js$/, '.d.ts'));
    }
  });
});
