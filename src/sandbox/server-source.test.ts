import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, type Sandbox } from './index.js';
import { benchServer, judgeSource, serverBundle } from './server-source.js';

const PYTHON_DIR = new URL('./python/', import.meta.url).pathname;

/** The paths of the files in a bundle (a decimal length, a newline, JSON `[[path, source], ...]`). */
function paths(bundle: Buffer): string[] {
  const json = bundle.subarray(bundle.indexOf('\n') + 1).toString('utf8');
  return (JSON.parse(json) as [string, string][]).map(([path]) => path);
}

describe('the Python package', () => {
  it("passes its own unittest suite (plain data, oracles, the constant evaluator's budgets, mutants)", () => {
    const result = spawnSync('python3', ['-B', '-m', 'unittest', 'discover', '-s', 'tests', '-t', '.'], {
      cwd: PYTHON_DIR,
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/^Ran \d+ tests/m);
  });

  it('ships the judge and the tools to every server, and only the judge decides its identity', () => {
    const judge = paths(judgeSource());
    const server = paths(serverBundle());
    expect(judge).toContain('nxt/server/main.py');
    expect(judge).toContain('nxt/child/program.py');
    expect(judge.some((path) => path.startsWith('nxt/tools/') || path.startsWith('nxt/bench/'))).toBe(false);
    expect(server).toEqual(expect.arrayContaining([...judge, 'nxt/tools/mutate.py']));
    expect(server.some((path) => path.startsWith('nxt/bench/'))).toBe(false);
    expect(paths(benchServer().bundle)).toContain('nxt/bench/baseline.py');
    expect([...judge].sort()).toEqual(judge);
  });

  it("serves the benchmark's baseline from its own bundle", () => {
    const { bootstrap, bundle } = benchServer();
    const dir = mkdtempSync(join(tmpdir(), 'nxt-bench-bundle-'));
    const file = join(dir, 'bundle');
    writeFileSync(file, bundle);
    const fd = openSync(file, 'r');
    try {
      const request = { id: 1, program: 'def f():\n    return 1\n', tests: ['assert f() == 1', 'assert f() == 2'] };
      const result = spawnSync('python3', ['-I', '-S', '-c', bootstrap, 'once'], {
        input: JSON.stringify({ ...request, programTimeoutMs: 5000 }),
        stdio: ['pipe', 'pipe', 'pipe', fd],
        encoding: 'utf8',
        timeout: 20_000,
      });
      expect(result.status, result.stderr).toBe(0);
      const answer = JSON.parse(result.stdout) as { result: { tests: { status: string }[] } };
      expect(answer.result.tests.map((test) => test.status)).toEqual(['pass', 'fail']);
    } finally {
      closeSync(fd);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the program's view of the sandbox", () => {
  let sandbox: Sandbox;

  beforeAll(async () => {
    sandbox = await createSandbox({ workers: 1 });
  });

  afterAll(async () => {
    await sandbox.close();
  });

  it('has no nxt module and cannot import one', async () => {
    const program =
      'import sys\n' +
      'SEEN = [name for name in sys.modules if name == "nxt" or name.startswith("nxt.")]\n' +
      'try:\n    import nxt.protocol.plain\n    IMPORTED = True\nexcept ImportError:\n    IMPORTED = False\n';
    const verdict = await sandbox.judgeProgram(program, ['assert SEEN == [] and not IMPORTED, (SEEN, IMPORTED)']);
    expect(verdict.status, verdict.tests[0]?.exception?.message).toBe('pass');
  });

  it('runs its code as deep in the stack as before the package had zones (recursion near the limit)', async () => {
    const program =
      'import sys\ndef depth():\n    n, frame = 0, sys._getframe()\n' +
      '    while frame is not None:\n        n, frame = n + 1, frame.f_back\n    return n\nLOADED = depth()\n';
    const verdict = await sandbox.judgeProgram(program, ['assert (LOADED, depth()) == (12, 12), (LOADED, depth())']);
    expect(verdict.status, verdict.tests[0]?.exception?.message).toBe('pass');
  });
});
