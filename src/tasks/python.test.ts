import { describe, expect, it } from 'vitest';
import { splitCheckTests, splitTopLevel } from './check-split.js';
import { countListItems, toPlusTest } from './plus.js';
import { logicalLines, renameIdentifier } from './python-lines.js';

describe('logicalLines', () => {
  it('joins bracketed, continued and triple-quoted lines, and skips comments', () => {
    const source = 'x = [1,\n  2]  # two\ny = """a\nb"""\n# alone\nz = 1 + \\\n  2\ns = "#not a comment"\n';
    expect(logicalLines(source).map((line) => [line.line, line.text])).toEqual([
      [1, 'x = [1,\n  2]  # two'],
      [3, 'y = """a\nb"""'],
      [6, 'z = 1 + \\\n  2'],
      [8, 's = "#not a comment"'],
    ]);
  });
});

describe('renameIdentifier', () => {
  it('renames whole identifiers only, never inside strings, comments or attributes', () => {
    expect(
      renameIdentifier('assert candidate(x) == candidates("candidate") # candidate\nobj.candidate', 'candidate', 'f'),
    ).toBe('assert f(x) == candidates("candidate") # candidate\nobj.candidate');
  });
});

describe('splitCheckTests', () => {
  it('gives one test per assert, with the setup before it and the helpers, candidate renamed', () => {
    const test = [
      'METADATA = {}',
      'import math',
      '',
      'def check(candidate):',
      '    assert candidate(1) == 2',
      '    data = [1,',
      '            2]',
      '    assert candidate(data[0]) == 2, "message"',
      '    assert True, "placeholder"',
      '    for x in range(3):',
      '        assert candidate(x) == x + 1',
      '',
      'check(inc)',
    ].join('\n');
    expect(splitCheckTests(test, 'inc')).toEqual([
      'import math\nassert inc(1) == 2',
      'import math\ndata = [1,\n        2]\nassert inc(data[0]) == 2, "message"',
      'import math\ndata = [1,\n        2]\nfor x in range(3):\n    assert inc(x) == x + 1',
    ]);
  });

  it('splits top-level asserts', () => {
    expect(splitTopLevel('assert f(1) == 1\nassert f(\n  2) == 2\n')).toEqual([
      'assert f(1) == 1',
      'assert f(\n  2) == 2',
    ]);
  });
});

describe('toPlusTest', () => {
  const origin = [
    'import numpy as np',
    '',
    'def is_floats(x) -> bool:',
    '    return isinstance(x, float)',
    '',
    'def assertion(out, exp, atol):',
    '    assert np.allclose(out, exp)',
    '',
    'def check(candidate):',
    '    inputs = [[1, "a,b"], [2, [3, 4]], [(5,), {6: 7}]]',
    '    results = [1, 2, 3]',
    '    for i, (inp, exp) in enumerate(zip(inputs, results)):',
    '        assertion(candidate(*inp), exp, 1e-06)',
  ].join('\n');

  it('replaces the numpy helpers, counts inputs, reads atol and calls check', () => {
    const plus = toPlusTest(origin, 'solve', 'HumanEval/0');
    expect(plus.inputs).toBe(3);
    expect(plus.atol).toBe(1e-6);
    expect(plus.test).not.toContain('numpy');
    expect(plus.test).not.toContain('np.allclose');
    expect(plus.test.trimEnd().endsWith('check(solve)')).toBe(true);
    expect(plus.test).toContain('def assertion(out, exp, atol):\n    exact_match = out == exp');
  });

  it("fixes HumanEval/32's upstream test the way EvalPlus checks it", () => {
    const find =
      'def check(candidate):\n    inputs = [[[1, 2]]]\n    results = [0]\n    for i, (inp, exp) in enumerate(zip(inputs, results)):\n        assert _poly(*candidate(*inp), inp) <= 0.0001\n';
    expect(toPlusTest(find, 'find_zero', 'HumanEval/32').test).toContain(
      'assert abs(_poly(*inp, candidate(*inp))) <= 0.0001',
    );
    expect(toPlusTest(find, 'find_zero', 'HumanEval/31').test).toContain(
      'assert _poly(*candidate(*inp), inp) <= 0.0001',
    );
  });

  it('counts items of nested literals with strings holding brackets and commas', () => {
    expect(countListItems('inputs = [["]", ","], (1, [2]), "x"]', 'inputs')).toBe(3);
    expect(countListItems('inputs = []', 'inputs')).toBe(0);
  });
});
