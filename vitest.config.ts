import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { defineConfig } from 'vitest/config';
import { dataMissing } from './test/support/data-location.js';

/** Every .ts file under `dir`, relative to the checkout. */
function sources(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .map((file) => join(dir, file));
}

/** The checkout's modules that `file` imports by relative path. */
function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/from '(\.{1,2}\/[^']+)\.js'/g)].map((match) => join(dirname(file), `${match[1]}.ts`));
}

/**
 * The test files that read datasets: those importing test/support/shared-data.ts, directly or through
 * other modules. Without dataset files they are left out, each named, instead of failing.
 */
function dataTests(): string[] {
  const files = [...sources('src'), ...sources('test')];
  const graph = new Map(files.map((file) => [file, imports(file)]));
  const needs = new Set([join('test', 'support', 'shared-data.ts')]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [file, deps] of graph) {
      if (!needs.has(file) && deps.some((dep) => needs.has(dep))) {
        needs.add(file);
        grew = true;
      }
    }
  }
  return files.filter((file) => file.endsWith('.test.ts') && needs.has(file));
}

const skipped = dataMissing ? dataTests() : [];
if (dataMissing) {
  console.log(`nxt tests: ${skipped.length} test files skipped, ${dataMissing}:`);
  for (const file of skipped) console.log(`  skipped: ${relative('.', file)}`);
}

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/node_modules/**', ...skipped],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // The JSON report is what .ci/run counts; the default reporter is for people.
    reporters: ['default', 'json'],
    outputFile: { json: '.vitest-report.json' },
  },
});
