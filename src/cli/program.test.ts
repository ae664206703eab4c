import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CliIo } from './io.js';
import { runCli } from './program.js';

const dir = mkdtempSync(join(tmpdir(), 'nxt-cli-'));
const repo = join(import.meta.dirname, '..', '..');
writeFileSync(join(dir, 'inc.py'), 'def inc(x):\n    return x + 1\n');
writeFileSync(join(dir, 'tests.py'), 'assert inc(1) == 2\nassert inc(2) == 3\n');
writeFileSync(join(dir, 'tests.json'), JSON.stringify(['assert inc(1) == 2', 'assert inc(5) == 7']));
writeFileSync(join(dir, 'broken-tests.py'), 'assert inc(1) ==\n');
writeFileSync(join(dir, 'spin.py'), 'while True:\n    pass\n');

async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    env: {},
    cwd: dir,
    isTty: false,
  };
  const code = await runCli(argv, io);
  return { code, stdout, stderr };
}

describe('nxt run', () => {
  it('exits 0 and says PASS when every test passes', async () => {
    const result = await cli('run', 'inc.py', '--tests-file', 'tests.py');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^PASS {2}inc\.py\n/);
    expect(result.stdout).toContain('2/2 tests passed');
  });

  it('exits 1 and names the failing test', async () => {
    const result = await cli('run', 'inc.py', '--tests-file', 'tests.json', '--test', 'assert inc(0) == 1');
    expect(result.code).toBe(1);
    // --test statements come first, then the file's.
    expect(result.stdout.split('\n')[0]).toBe('FAIL  inc.py: test 2 failed (AssertionError)');
    expect(result.stdout).toContain('2/3 tests passed');
  });

  it('prints one JSON verdict with --json', async () => {
    const result = await cli('run', 'inc.py', '--test', 'assert inc(1) == 2', '--test', 'assert inc(1) == 3', '--json');
    const verdict = JSON.parse(result.stdout);
    expect(verdict.status).toBe('fail');
    expect(verdict.tests.map((test: { status: string }) => test.status)).toEqual(['pass', 'fail']);
    expect(result.code).toBe(1);
  });

  it('exits 1 with TIMEOUT when --timeout-ms runs out', async () => {
    const result = await cli('run', 'spin.py', '--test', 'assert True', '--timeout-ms', '300');
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^TIMEOUT {2}spin\.py: the program timed out while loading/);
  });

  it('exits 2 with a clear message on bad usage', async () => {
    expect(await cli('run', 'missing.py', '--test', 'assert True')).toEqual({
      code: 2,
      stdout: '',
      stderr: "nxt: cannot read program 'missing.py': no such file\n",
    });
    expect((await cli('run', 'inc.py')).stderr).toMatchInlineSnapshot(`
      "nxt: nothing to judge the program against: give --test STMT (repeatable) or --tests-file FILE
      "
    `);
    expect((await cli('run', 'inc.py', '--test', 'assert 1', '--timeout-ms', 'soon')).stderr).toBe(
      "nxt: --timeout-ms must be a positive integer, got 'soon'\n",
    );
    expect((await cli('run', 'inc.py', '--tests-file', 'broken-tests.py')).stderr).toMatch(
      /^nxt: tests file 'broken-tests\.py': the Python source does not parse: .*\(line 1\)\n$/,
    );
    const unknown = await cli('run', 'inc.py', '--frobnicate');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown option '--frobnicate'");
  });

  it('explains itself with --help', async () => {
    const result = await cli('run', '--help');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('--tests-file <file>');
    expect(result.stdout).toContain('Exit code: 0 when every test passes');
  });
});

describe('nxt doctor', () => {
  it('lists the interpreter and every isolation layer, and passes its self-test', async () => {
    const result = await cli('doctor', '--workers', '1');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^python {5}\/\S+ \(3\.\d+\.\d+\)/);
    for (const name of ['rlimits', 'unprivileged-uid', 'process-limit', 'bubblewrap']) {
      expect(result.stdout).toMatch(new RegExp(`  (on |off)  ${name}`));
    }
    expect(result.stdout).toContain('self-test  ok');
  });
});

describe('the nxt executable', () => {
  it('sets its exit code from the verdict', async () => {
    const run = (args: string[]) =>
      new Promise<number>((resolve) => {
        const child = execFile(
          process.execPath,
          ['--import', import.meta.resolve('tsx'), join(repo, 'src/cli/main.ts'), ...args],
          {
            cwd: dir,
          },
        );
        child.on('exit', (code) => resolve(code ?? -1));
      });
    expect(await run(['run', 'inc.py', '--test', 'assert inc(1) == 2'])).toBe(0);
    expect(await run(['run', 'inc.py', '--test', 'assert inc(1) == 3'])).toBe(1);
    expect(await run(['run', 'nope.py', '--test', 'assert True'])).toBe(2);
  });
});
