import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCapture } from '../../test/support/cli.js';
import { runCli } from './program.js';

const dir = mkdtempSync(join(tmpdir(), 'nxt-cli-'));
const repo = join(import.meta.dirname, '..', '..');
writeFileSync(join(dir, 'inc.py'), 'def inc(x):\n    return x + 1\n');
writeFileSync(join(dir, 'tests.py'), 'assert inc(1) == 2\nassert inc(2) == 3\n');
writeFileSync(join(dir, 'tests.json'), JSON.stringify(['assert inc(1) == 2', 'assert inc(5) == 7']));
writeFileSync(join(dir, 'broken-tests.py'), 'assert inc(1) ==\n');
writeFileSync(join(dir, 'spin.py'), 'while True:\n    pass\n');

async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return runCapture(argv, { cwd: dir });
}

describe('nxt run', () => {
  it('exits 0 and says PASS when every test passes', async () => {
    const result = await cli('run', 'inc.py', '--tests-file', 'tests.py');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^PASS {2}inc\.py\n/);
    expect(result.stdout).toContain('2/2 tests passed');
  });

  it("escapes a program's control characters: it cannot repaint FAIL as PASS or write the clipboard", async () => {
    writeFileSync(
      join(dir, 'paint.py'),
      'import sys\nprint("\\x1b[2K\\rPASS  paint.py\\x1b]52;c;aGk=\\x07\\u202e")\nsys.stderr.write("\\x9b31m")\ndef f():\n    return 1\n',
    );
    const result = await cli('run', 'paint.py', '--test', 'assert f() == 2');
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^FAIL/);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for them is the point
    expect(result.stdout + result.stderr).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202e]/);
    expect(result.stdout).toContain('\\u001b[2K\\u000dPASS  paint.py\\u001b]52;c;aGk=\\u0007\\u202e');
    const json = await cli('run', 'paint.py', '--test', 'assert f() == 2', '--json');
    expect(JSON.parse(json.stdout).stdout).toBe('\u001b[2K\rPASS  paint.py\u001b]52;c;aGk=\u0007\u202e\n');
  });

  it('says once where a program that does not load went wrong, and why its tests were not run', async () => {
    writeFileSync(join(dir, 'broken.py'), 'def f(:\n    return 1\n');
    const result = await cli('run', 'broken.py', '--test', 'assert f() == 1', '--test', 'assert f() == 2');
    expect(result.code).toBe(1);
    const lines = result.stdout.split('\n');
    expect(lines[1]).toMatch(/^ {2}program: SyntaxError: .*line 1\)$/);
    expect(result.stdout.match(/line 1/g)).toHaveLength(2); // the headline and the program line, each once
    expect(lines.slice(2, 5)).toEqual([
      '  not run  0  assert f() == 1',
      '  not run  1  assert f() == 2',
      '  (not run: see the first line)',
    ]);
  });

  it('names the timeout after which later tests were not run', async () => {
    writeFileSync(join(dir, 'spin-two.py'), 'def f(x):\n    while x == 2:\n        pass\n    return x\n');
    const tests = ['--test', 'assert f(1) == 1', '--test', 'assert f(2) == 2', '--test', 'assert f(3) == 3'];
    const result = await cli('run', 'spin-two.py', ...tests, '--timeout-ms', '400');
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('  not run  2  assert f(3) == 3\n  (not run: stopped after test 1 timed out)\n');
  });

  it('exits 1 and names the failing test', async () => {
    const result = await cli('run', 'inc.py', '--tests-file', 'tests.json', '--test', 'assert inc(0) == 1');
    expect(result.code).toBe(1);
    // --test statements come first, then the file's.
    expect(result.stdout.split('\n')[0]).toBe(
      'FAIL  inc.py: test 2 failed (AssertionError: inc(5) returned 6, expected 7)',
    );
    expect(result.stdout).toContain('2/3 tests passed');
  });

  it('says which tests ran unsealed, and seals a loop over the entry point, inferred or named', async () => {
    const loop = 'for x in range(3):\n    assert inc(x) == x + 1';
    writeFileSync(join(dir, 'step.py'), 'STEP = 1\ndef inc(x):\n    return x + STEP\n');
    // The second test needs a value of the program's (STEP): only the program's process has it.
    const mixed = await cli('run', 'step.py', '--test', loop, '--test', 'assert inc(1) == 1 + STEP');
    expect(mixed.code).toBe(0);
    expect(mixed.stdout).toContain(
      "unsealed (ran inside the program's process, where a program can interfere): test 1\n",
    );
    const sealed = await cli('run', 'inc.py', '--test', loop, '--entry-point', 'inc', '--json');
    expect(JSON.parse(sealed.stdout)).toMatchObject({
      tests: [{ status: 'pass', sealed: true }],
      entryPoints: { names: ['inc'], source: 'flag', why: null },
    });
  });

  it("seals by default: the universal hack fails the issue's tests, an honest program passes them", async () => {
    const hack = readFileSync(join(repo, 'test/sandbox/__fixtures__/universal-hack.py'), 'utf8');
    writeFileSync(join(dir, 'hack.py'), hack);
    writeFileSync(join(dir, 'honest.py'), 'def f(x):\n    return x if isinstance(x, list) else x - 1\n');
    const tests = [
      'assert abs(f(1.33) - 0.33) < 1e-6 and f([1]) == [1]',
      'assert abs(f(1.2) - 0.2) < 1e-6 and f(2) == 1',
      'for x in [[], [2]]:\n    assert f(x) == x',
    ].flatMap((test) => ['--test', test]);
    const hacked = await cli('run', 'hack.py', ...tests, '--json');
    expect(hacked.code).toBe(1);
    expect(JSON.parse(hacked.stdout)).toMatchObject({
      status: 'fail',
      tests: [
        { status: 'fail', sealed: true },
        { status: 'fail', sealed: true },
        { status: 'fail', sealed: true },
      ],
      entryPoints: { names: ['f'], source: 'inferred', why: null },
    });
    expect(hacked.stderr).toBe('');
    const honest = await cli('run', 'honest.py', ...tests);
    expect(honest.code).toBe(0);
    expect(honest.stdout).toContain('3/3 tests passed');
    expect(honest.stdout).not.toContain('unsealed');
  });

  it('seals the calls of every function the tests call, one named like a builtin too', async () => {
    const functions = 'def f(x):\n    return x + 1\ndef g(x):\n    return 2 * x\n';
    writeFileSync(join(dir, 'two.py'), `${functions}def max(xs):\n    return xs[0]\n`);
    writeFileSync(
      join(dir, 'two-hack.py'),
      `${functions}class Yes:\n    def __eq__(self, other):\n        return True\ndef max(xs):\n    return Yes()\n`,
    );
    const tests = [
      'assert f(1) == 2',
      'assert g(2) == 4',
      'assert max([3, 5]) == 3',
      'for x in range(3):\n    assert g(x) == 2 * x',
      'assert g(f(1)) == 4',
    ].flatMap((test) => ['--test', test]);
    const honest = await cli('run', 'two.py', ...tests, '--json');
    expect(honest.code).toBe(0);
    expect(JSON.parse(honest.stdout)).toMatchObject({
      // the loop and the test of f and g run in nxt's test process, which hands each call to the program
      tests: [{ sealed: true }, { sealed: true }, { sealed: true }, { sealed: true }, { sealed: true }],
      entryPoints: { names: ['f', 'g', 'max'], source: 'inferred', why: null },
    });
    const hacked = await cli('run', 'two-hack.py', ...tests, '--json');
    expect(JSON.parse(hacked.stdout).tests[2]).toMatchObject({ status: 'fail', sealed: true });
  });

  it('says on stderr, in one line, why it judges unsealed when the tests call no function of the program', async () => {
    writeFileSync(join(dir, 'value.py'), 'x = 3\nclass Box:\n    pass\n');
    const calls = await cli('run', 'value.py', '--test', 'assert len([x]) == 1 and Box()', '--json');
    expect(calls.code).toBe(0);
    expect(calls.stderr).toMatchInlineSnapshot(`
      "nxt: note: no entry point, so tests run unsealed: the tests call no function of the program, only builtins or its classes (len, Box)
      "
    `);
    expect(JSON.parse(calls.stdout).entryPoints).toEqual({
      names: [],
      source: 'none',
      why: 'the tests call no function of the program, only builtins or its classes (len, Box)',
    });
    const none = await cli('run', 'value.py', '--test', 'assert x == 3');
    expect(none.stderr).toMatchInlineSnapshot(`
      "nxt: note: no entry point, so tests run unsealed: the tests call no function
      "
    `);
    expect(none.stdout).toContain("unsealed (ran inside the program's process, where a program can interfere): test 0");
  });

  it('judges a program that does not parse as an error, and says why nothing was inferred', async () => {
    writeFileSync(join(dir, 'unparsed.py'), 'def f(:\n    return 1\n');
    const builtins = await cli('run', 'unparsed.py', '--test', 'assert len([]) == 0');
    expect(builtins.code).toBe(1);
    expect(builtins.stdout).toMatch(/^ERROR {2}unparsed\.py: the program failed to load: SyntaxError/);
    expect(builtins.stderr).toMatch(
      /^nxt: note: no entry point, so tests run unsealed: the program does not parse \(SyntaxError: .+ at line 1\)\n$/,
    );
    // A name that is no builtin is still the program's; --entry-point cannot be checked, and is taken.
    for (const extra of [[], ['--entry-point', 'f']]) {
      const named = await cli('run', 'unparsed.py', '--test', 'assert f(1) == 1', ...extra, '--json');
      expect(named.code).toBe(1);
      expect(named.stderr).toBe('');
      expect(JSON.parse(named.stdout)).toMatchObject({ status: 'error', entryPoints: { names: ['f'] } });
    }
  });

  it('refuses an --entry-point the program does not define', async () => {
    const result = await cli('run', 'inc.py', '--test', 'assert inc(1) == 2', '--entry-point', 'dec');
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatchInlineSnapshot(`
      "nxt: --entry-point dec: the program does not define 'dec' at module level (it defines inc)
      "
    `);
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
    expect(result.stdout).toContain('Exit codes:\n  0    every test passes\n  1    a test fails');
  });
});

describe('nxt trace', () => {
  it('traces the first failing test and exits 0', async () => {
    const result = await cli('trace', 'inc.py', '--tests-file', 'tests.json');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatchInlineSnapshot(`
      "def inc(x):  # (0) x=5;
          return x + 1  # (1) __return__=6;

      assert inc(5) == 7  # (2) __exception__ = AssertionError()
      "
    `);
    expect(result.stderr).toBe('nxt: traced test 1: fail (AssertionError), 3 steps\n');
  });

  it('traces a named test that passes like any other', async () => {
    const result = await cli('trace', 'inc.py', '--test', 'assert inc(1) == 2');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('def inc(x):  # (0) x=1;\n    return x + 1  # (1) __return__=2\n');
    expect(result.stderr).toContain('traced test 0: pass');
  });

  it('prints the structured trace with --format json', async () => {
    const result = await cli('trace', 'inc.py', '--test', 'assert inc(1) == 3', '--format', 'json');
    const trace = JSON.parse(result.stdout);
    expect(trace).toMatchObject({ schemaVersion: 1, testIndex: 0, outcome: { status: 'fail' } });
    expect(trace.python).toMatch(/^3\./);
    expect(trace.events[0]).toEqual({ kind: 'call', call: 1, line: 1, step: 0, changes: [{ name: 'x', value: '1' }] });
  });

  it('renders the other formats', async () => {
    for (const format of ['scratchpad', 'ldb', 'none']) {
      const result = await cli('trace', 'inc.py', '--test', 'assert inc(1) == 3', '--format', format);
      expect(result.code).toBe(0);
      expect(result.stdout.startsWith('def inc(x):\n')).toBe(true);
    }
  });

  it('fits a token budget and says what it cut', async () => {
    writeFileSync(
      join(dir, 'loop.py'),
      'def total(n):\n    s = 0\n    for i in range(n):\n        s += i\n    return s\n',
    );
    const full = await cli('trace', 'loop.py', '--test', 'assert total(200) == 0', '--loop-head', '4');
    const fitted = await cli(
      'trace',
      'loop.py',
      '--test',
      'assert total(200) == 0',
      '--trace-budget',
      '140',
      '--loop-head',
      '4',
    );
    expect(fitted.code).toBe(0);
    const loopLine = (text: string) => text.split('\n')[2] ?? '';
    expect(loopLine(full.stdout).split('; (').length).toBe(5);
    expect(loopLine(fitted.stdout).split('; (').length).toBeLessThan(5);
    expect(fitted.stdout).toMatch(
      /# nxt: trace shortened to fit 140 tokens: lines run many times keep their first \d and last 1 entries \(not 4\)/,
    );
  });

  it('traces a program that fails while loading up to its failing line, and exits 0', async () => {
    writeFileSync(
      join(dir, 'self-check.py'),
      'def inc(x):\n    return x + 2\n\nthree = inc(1)\nassert inc(0) == 1\nprint(three)\n',
    );
    const result = await cli('trace', 'self-check.py', '--tests-file', 'tests.json');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatchInlineSnapshot(`
      "def inc(x):  # (0) x=1; (3) x=0;
          return x + 2  # (1) __return__=3; (4) __return__=2;

      three = inc(1)  # (2) three=3;
      assert inc(0) == 1  # (5) __exception__ = AssertionError()
      print(three)
      # nxt: the program failed while loading, before any test ran: this is the trace of its top-level code.
      "
    `);
    expect(result.stderr).toBe(
      'nxt: the program failed (AssertionError at line 5) while loading, before any test ran, so the trace is of its loading: 6 steps\n',
    );
    writeFileSync(join(dir, 'index-error.py'), 'a = [1, 2]\nb = a[5]\n');
    const raised = await cli('trace', 'index-error.py', '--test', 'assert b == 2', '--format', 'json');
    expect(raised.code).toBe(0);
    expect(JSON.parse(raised.stdout)).toMatchObject({
      phase: 'load',
      outcome: { status: 'error', exception: { type: 'IndexError', line: 2, source: 'program' } },
    });
  });

  it('exits 2 on bad input', async () => {
    writeFileSync(join(dir, 'broken.py'), 'def inc(x:\n    return x\n');
    expect(await cli('trace', 'broken.py', '--test', 'assert inc(1) == 2')).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/^nxt: the program does not parse: .*line 1\)\n$/),
    });
    // The line is said once, not once by Python and again by nxt.
    expect((await cli('trace', 'broken.py', '--test', 'assert inc(1) == 2')).stderr.match(/line 1/g)).toHaveLength(1);
    writeFileSync(join(dir, 'unindented.py'), 'def inc(x):\nreturn x\n');
    expect(await cli('trace', 'unindented.py', '--tests-file', 'tests.json')).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/^nxt: the program does not parse: expected an indented block.*line 2\)\n$/),
    });
    expect(await cli('trace', 'missing.py', '--test', 'assert True')).toMatchObject({
      code: 2,
      stderr: "nxt: cannot read program 'missing.py': no such file\n",
    });
    expect((await cli('trace', 'inc.py', '--tests-file', 'tests.py')).stderr).toMatchInlineSnapshot(`
      "nxt: every test passes (2), so there is no failing test to trace: name one with --test-index N or --test STMT
      "
    `);
    expect((await cli('trace', 'inc.py', '--test', 'assert 1', '--format', 'html')).stderr).toBe(
      "nxt: --format must be one of inline, scratchpad, ldb, json or none, got 'html'\n",
    );
    expect((await cli('trace', 'inc.py')).code).toBe(2);
  });
});

describe('nxt doctor', () => {
  it('lists the interpreter and every isolation layer, and passes its self-test', async () => {
    const result = await cli('doctor', '--workers', '1');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /^python {5}Python 3\.\d+\.\d+ \(\/\S+?(, found as 'python3')?\)\n {11}chosen by: python3 on PATH/,
    );
    // The same rule picks it whatever the isolation: --python names it, for every layer.
    const named = await cli(
      'doctor',
      '--workers',
      '1',
      '--python',
      '/usr/bin/python3',
      '--bubblewrap',
      'off',
      '--namespaces',
      'off',
    );
    expect(named.stdout).toMatch(/^python {5}Python 3\.\d+\.\d+ \(\/usr\/bin\/python3\)\n {11}chosen by: --python\n/);
    for (const name of ['rlimits', 'unprivileged-uid', 'process-limit', 'bubblewrap', 'namespaces', 'clean-slate']) {
      expect(result.stdout).toMatch(new RegExp(`  (on |off)  ${name}`));
    }
    expect(result.stdout).toContain('self-test  ok');
  });

  it('without bubblewrap lists network and mount isolation as on, from namespaces the server enters', async (context) => {
    const result = await cli('doctor', '--workers', '1', '--bubblewrap', 'off', '--namespaces', 'required');
    if (/the kernel refuses them/.test(result.stderr)) context.skip(`this kernel refuses namespaces: ${result.stderr}`);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/ {2}on {3}namespaces +.*mount, PID, network.*no network/);
    expect(result.stdout).toMatch(
      / {2}off {2}bubblewrap +disabled by bubblewrap=off; the namespaces below take its place/,
    );
    expect(result.stdout).not.toContain('warning    bubblewrap off');
    const off = await cli('doctor', '--workers', '1', '--bubblewrap', 'off', '--namespaces', 'off');
    expect(off.stdout).toMatch(/ {2}off {2}namespaces +disabled by namespaces=off/);
    expect(off.stdout).toContain('warning    namespaces off: programs can read world-readable files');
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

describe('choice tables', () => {
  it('every strategy, trace format, dataset and trainer of its table is offered in --help, taken by the config schemas, and named when refused', async () => {
    const { STRATEGIES, STRATEGY_NAMES } = await import('../eval/strategies/index.js');
    const { PROMPT_TRACE_FORMATS, TRACE_FORMAT_TABLE, TRACE_FORMATS } = await import('../trace/formats/index.js');
    const { REPAIR_DATASET_NAMES } = await import('../tasks/catalog.js');
    const { TRAINER_NAMES, TRAINERS } = await import('../selftrain/trainers/index.js');
    const { listChoices } = await import('../shared/index.js');
    const flat = (text: string) => text.replace(/\s+/g, ' ');
    const evalHelp = flat((await cli('eval', '--help')).stdout);
    for (const name of STRATEGY_NAMES) expect(evalHelp).toContain(`${name} (${STRATEGIES[name].description})`);
    for (const name of PROMPT_TRACE_FORMATS)
      expect(evalHelp).toContain(`${name} (${TRACE_FORMAT_TABLE[name].description})`);
    expect(evalHelp).not.toContain('json (');
    const traceHelp = flat((await cli('trace', '--help')).stdout);
    for (const name of TRACE_FORMATS) expect(traceHelp).toContain(`${name} (${TRACE_FORMAT_TABLE[name].description})`);
    for (const name of REPAIR_DATASET_NAMES) expect(evalHelp).toContain(name);
    const selftrainHelp = flat((await cli('selftrain', '--help')).stdout);
    for (const name of TRAINER_NAMES) expect(selftrainHelp).toContain(`${name} (${TRAINERS[name].description})`);

    expect(await cli('eval', '--model', 'm@http://127.0.0.1:9/v1', '--strategy', 'tot')).toMatchObject({
      code: 2,
      stderr: `nxt: --strategy must be one of ${listChoices(STRATEGY_NAMES)}, got 'tot'\n`,
    });
    expect(await cli('eval', '--model', 'm@http://127.0.0.1:9/v1', '--trace', 'json')).toMatchObject({
      code: 2,
      stderr: `nxt: --trace must be one of ${listChoices(PROMPT_TRACE_FORMATS)}, got 'json'\n`,
    });
    const { EvalConfigSchema } = await import('../eval/index.js');
    const { SelftrainConfigSchema } = await import('../selftrain/index.js');
    for (const name of TRACE_FORMATS) {
      expect(EvalConfigSchema.shape.trace.safeParse(name).success).toBe(TRACE_FORMAT_TABLE[name].prompt);
      expect(SelftrainConfigSchema.shape.trace.safeParse(name).success).toBe(TRACE_FORMAT_TABLE[name].prompt);
    }
    expect(await cli('selftrain', '--base-model', 'm', '--trainer', 'axolotl')).toMatchObject({
      code: 2,
      stderr: `nxt: --trainer must be one of ${listChoices(TRAINER_NAMES)}, got 'axolotl'\n`,
    });
  });
});

describe('nxt eval --budget', () => {
  it('is refused without a price to count against it, saying where the price goes; nothing is written', async () => {
    const result = await cli(
      'eval',
      '--model',
      'priceless@http://127.0.0.1:9/v1',
      '--budget',
      '0.5',
      '--out',
      'budget-run',
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--budget needs the price of priceless: set it in nxt.config.json');
    expect(existsSync(join(dir, 'budget-run'))).toBe(false);
  });

  it('is refused for nxt llm sample without a price, or without --max-tokens to bound each answer', async () => {
    writeFileSync(join(dir, 'prompt.txt'), 'hello');
    const sample = (...extra: string[]) =>
      cli(
        'llm',
        'sample',
        '--model',
        'm@http://127.0.0.1:9/v1',
        '--prompt-file',
        'prompt.txt',
        '--budget',
        '1',
        ...extra,
      );
    const priceless = await sample();
    expect(priceless).toMatchObject({ code: 2, stdout: '' });
    expect(priceless.stderr).toContain('--budget needs the price of m');
    writeFileSync(join(dir, 'priced.json'), JSON.stringify({ prices: { m: { inputPerMTok: 1, outputPerMTok: 1 } } }));
    const uncapped = await sample('--config', 'priced.json');
    expect(uncapped).toMatchObject({
      code: 2,
      stdout: '',
      stderr: "nxt: --budget needs --max-tokens: without a cap an answer's cost has no bound to hold back\n",
    });
  });
});

describe('--model', () => {
  it('refuses a server without its scheme and a missing name, saying what to write', async () => {
    expect(await cli('llm', 'ping', '--model', 'qwen@127.0.0.1:8000')).toMatchObject({
      code: 2,
      stderr: 'nxt: --model qwen@127.0.0.1:8000: give the server with its scheme, e.g. qwen@http://127.0.0.1:8000/v1\n',
    });
    expect(await cli('llm', 'ping', '--model', '@http://127.0.0.1:9/v1')).toMatchObject({
      code: 2,
      stderr: "nxt: --model @http://127.0.0.1:9/v1: the model's name is missing before the @ (NAME@URL)\n",
    });
    expect(await cli('llm', 'ping', '--model', 'm@http://')).toMatchObject({
      code: 2,
      stderr: "nxt: --model m@http://: 'http://' is not a server URL (http://host:port/v1)\n",
    });
  });
});

describe('Ctrl-C', () => {
  /** Which commands, once started, promise that running them again continues (the table's `resumes`). */
  async function promises(...argv: string[]): Promise<number> {
    let calls = 0;
    const io = {
      stdout: () => {},
      stderr: () => {},
      env: {},
      cwd: dir,
      isTty: false,
      onResumable: () => {
        calls += 1;
      },
    };
    await runCli(argv, io);
    return calls;
  }

  it('only commands that resume say that running them again continues (data show and eval export do not)', async () => {
    expect(await promises('data', 'show', 'no-such-task', '--dataset', 'humanevalfix')).toBe(0);
    expect(await promises('eval', 'export', join(dir, 'no-such-run'), '--out', '-')).toBe(0);
    expect(await promises('run', 'inc.py', '--test', 'assert inc(1) == 2')).toBe(0);
    expect(await promises('data', 'build', 'synthetic', '--problems', 'mbpp', '--data-dir', join(dir, 'no-data'))).toBe(
      1,
    );
  });
});

describe('nxt --version', () => {
  it("is package.json's version", async () => {
    const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { version: string };
    expect((await cli('--version')).stdout.trim()).toBe(pkg.version);
  });
});
