import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCapture } from '../support/cli.js';
import { sharedDataDir } from '../support/shared-data.js';

const dir = mkdtempSync(join(tmpdir(), 'nxt-data-cli-'));

async function cli(argv: string[], env: Record<string, string> = { NXT_DATA_DIR: sharedDataDir }) {
  return runCapture(argv, { cwd: dir, env: { HOME: dir, ...env } });
}

describe('nxt data', () => {
  it('lists the datasets and where their files are', async () => {
    const result = await cli(['data', 'list']);
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n')[0]).toBe(
      `files from the data folder ${sharedDataDir} ($NXT_DATA_DIR; nothing is downloaded)`,
    );
    // Without a data folder, downloads are kept beside the other caches.
    const cached = await cli(['data', 'list'], { NXT_CACHE_DIR: join(dir, 'caches') });
    expect(cached.stdout.split('\n')[0]).toBe(
      `files from downloads kept in ${join(dir, 'caches', 'data')} ($NXT_CACHE_DIR)`,
    );
    expect(cached.stdout).toMatch(/^humaneval {10}problems {2}downloads on first use$/m);
    expect(result.stdout).toMatch(/^humanevalfix {7}repair {4}in data folder$/m);
    expect(result.stdout).toMatch(/^mbpp-plus {10}problems {2}in data folder$/m);
  });

  it('shows a task with the inline trace of its failing test', async () => {
    const result = await cli(['data', 'show', 'humanevalfix', 'Python/2', '--workers', '1']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('bug: humanevalfix-bug-type = excess logic');
    expect(result.stdout).toContain('    return number % 1.0 + 1.0  # (1) __return__=1.5;');
    expect(result.stdout).toContain('assert truncate_number(3.5) == 0.5  # (2) __exception__ = AssertionError()');
    const missing = await cli(['data', 'show', 'humanevalfix', 'Python/999']);
    expect(missing).toMatchObject({
      code: 2,
      stderr: "nxt: no task 'Python/999' in humanevalfix (ids look like Python/0, Python/1, Python/2)\n",
    });
  });

  it('exports to standard output with --out -, and says plainly when --out cannot be written', async () => {
    const stdout = await cli(['data', 'export', 'humaneval', '--out', '-']);
    expect(stdout.code, stdout.stderr).toBe(0);
    expect(stdout.stdout.trim().split('\n')).toHaveLength(164);
    expect(existsSync(join(dir, '-'))).toBe(false);
    const nowhere = join(dir, 'no-such-folder', 'he.jsonl');
    expect(await cli(['data', 'export', 'humaneval', '--out', nowhere])).toMatchObject({
      code: 2,
      stderr: `nxt: cannot write or open ${nowhere}: no such file or folder\n`,
    });
  });

  it('exports JSONL that loads back as a dataset', async () => {
    const out = join(dir, 'mbpp.jsonl');
    expect((await cli(['data', 'export', 'mbpp', '--out', out])).stderr).toBe(`nxt: wrote 974 tasks to ${out}\n`);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(974);
    expect(JSON.parse(lines[0] as string)).toMatchObject({ id: 'MBPP/1', dataset: 'mbpp', split: 'prompt' });
    const shown = await cli(['data', 'show', out, 'MBPP/601', '--no-trace']);
    expect(shown.stdout).toMatch(/^mbpp MBPP\/601 \(split: train\)/);
  });

  it('checks a task file and reports unexpected verdicts with exit code 1', async () => {
    const tasks = readFileSync(join(dir, 'mbpp.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .slice(10, 14)
      .map((line) => JSON.parse(line));
    const broken = { ...tasks[0], id: 'MBPP/broken', reference: 'def nothing():\n    pass\n' };
    const file = join(dir, 'few.jsonl');
    writeFileSync(file, `${[...tasks, broken].map((task) => JSON.stringify(task)).join('\n')}\n`);
    const result = await cli(['data', 'check', file, '--workers', '1']);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('references (must pass): pass 4, fail 1, error 0, timeout 0');
    expect(result.stdout).toMatch(/ {2}UNEXPECTED MBPP\/broken: fail test 0 errored \(NameError: /);
  });

  it('says where to put the files when there is no data', async () => {
    const result = await cli(['data', 'export', 'mbpp', '--out', join(dir, 'x.jsonl')], {
      NXT_DATA_DIR: join(dir, 'empty'),
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /^nxt: mbpp\/mbpp\.jsonl is not in the data folder: expected .*empty\/mbpp\/mbpp\.jsonl \(sha256 [0-9a-f]{64}\)\n$/,
    );
  });

  it("checks the README's hand-written task file: only the fields it names are needed", async () => {
    const readme = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
    const example = /### Task files[\s\S]*?```jsonl\n([\s\S]*?)```/.exec(readme)?.[1];
    if (!example) throw new Error('the README has no jsonl example under "### Task files"');
    writeFileSync(join(dir, 'mine.jsonl'), example);
    const result = await cli(['data', 'check', 'mine.jsonl', '--workers', '1']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('references (must pass): pass 1, fail 0');
    expect(result.stdout).toContain('buggy programs (must fail): pass 0, fail 1');
    const exported = await cli(['data', 'export', 'mine.jsonl', '--out', '-']);
    expect(JSON.parse(exported.stdout)).toMatchObject({
      schemaVersion: 1,
      dataset: 'mine',
      promptTests: [],
      failingTest: null,
      provenance: { file: 'mine.jsonl', line: 1, upstreamId: 'mine/1' },
    });
  });

  it('names the line of a malformed task file', async () => {
    const file = join(dir, 'bad.jsonl');
    writeFileSync(file, '{"schemaVersion": 1}\n');
    const result = await cli(['data', 'export', file, '--out', join(dir, 'y.jsonl')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      new RegExp(
        `^nxt: ${file}:1: not a valid task:\\n✖ Invalid input: expected string, received undefined\\n {2}→ at id`,
      ),
    );
  });

  it('builds a synthetic set from the command line', async () => {
    const out = join(dir, 'syn');
    const result = await cli([
      'data',
      'build',
      'synthetic',
      '--problems',
      'mbpp',
      '--limit',
      '5',
      '--seed',
      '2',
      '--out',
      out,
      '--workers',
      '1',
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^\d+ synthetic repair tasks from 5 mbpp problems in /);
    expect(JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'))).toMatchObject({
      kind: 'synthetic',
      seed: 2,
      problems: 5,
    });
    expect((await cli(['data', 'build', 'mbpp-r'])).stderr).toBe(
      'nxt: building MBPP-R samples from a model: give --model SPEC\n',
    );
  });
});
