import { logicalLines, statements } from './python-lines.js';
import type { PlusCases, PlusTests } from './schema.js';

/**
 * EvalPlus's comparison (exact, or numpy.allclose with rtol 1e-7 and `atol` for floats), in plain
 * Python: the sandbox has no numpy. Same names as EvalPlus's helpers, so their loops call these.
 */
const HELPERS = `def is_floats(x) -> bool:
    if isinstance(x, float):
        return True
    if isinstance(x, (list, tuple)):
        return all(isinstance(i, float) for i in x)
    return False


def _nxt_close(out, exp, atol):
    if isinstance(exp, (list, tuple)):
        return isinstance(out, (list, tuple)) and len(out) == len(exp) and all(_nxt_close(o, e, atol) for o, e in zip(out, exp))
    try:
        return abs(out - exp) <= atol + 1e-07 * abs(exp)
    except TypeError:
        return False


def assertion(out, exp, atol):
    exact_match = out == exp
    if atol == 0 and is_floats(exp):
        atol = 1e-6
    if not exact_match and atol != 0:
        assert _nxt_close(out, exp, atol), f"got {out!r}, expected {exp!r} (atol {atol})"
    else:
        assert exact_match, f"got {out!r}, expected {exp!r}"
`;

/** Memory for EvalPlus tests: EvalPlus runs them with 4 GiB, and MBPP+ 255 needs more than 1 GiB. */
export const PLUS_MEMORY_BYTES = 4 * 1024 ** 3;

/** MBPP+ tasks whose outputs EvalPlus compares as sets (their order depends on string hashing). */
const MBPP_SET_EQUAL = new Set([
  'similar_elements',
  'find_char_long',
  'common_in_nested_lists',
  'extract_singly',
  'larg_nnum',
  'intersection_array',
  'find_dissimilar',
  'Diff',
]);
/** MBPP+ tasks whose expected output is whether the result is not None (a regex match or None). */
const MBPP_NOT_NONE = new Set(['check_str', 'text_match_three', 'text_starta_endb']);

/** The list literal assigned to `name` at the start of a line (`inputs = [...]`): its text and item count. */
export function listLiteral(source: string, name: string): { text: string; items: number } | null {
  const match = new RegExp(`(^|\\n)\\s*${name}\\s*=\\s*\\[`).exec(source);
  if (!match) return null;
  const open = match.index + match[0].length - 1;
  let index = open + 1;
  let depth = 1;
  let items = 0;
  let sawValue = false;
  let quote: string | null = null;
  for (; index < source.length && depth > 0; index++) {
    const char = source[index] as string;
    if (quote) {
      if (char === '\\') index += 1;
      else if (source.startsWith(quote, index)) {
        index += quote.length - 1;
        quote = null;
      }
      continue;
    }
    if (char === '"' || char === "'") {
      quote = source.startsWith(char.repeat(3), index) ? char.repeat(3) : char;
      index += quote.length - 1;
      sawValue = true;
    } else if ('([{'.includes(char)) {
      depth += 1;
      sawValue = true;
    } else if (')]}'.includes(char)) depth -= 1;
    else if (char === ',' && depth === 1) {
      items += 1;
      sawValue = false;
    } else if (!/\s/.test(char)) sawValue = true;
  }
  return { text: source.slice(open, index), items: items + (sawValue ? 1 : 0) };
}

/** Items in the top-level list literal assigned to `name` (e.g. how many inputs). */
export function countListItems(source: string, name: string): number {
  return listLiteral(source, name)?.items ?? 0;
}

/** EvalPlus's special oracles for MBPP+, by entry point (its evaluator decides by the same name). */
const MBPP_ORACLES: Record<string, string> = {
  ...Object.fromEntries([...MBPP_SET_EQUAL].map((name) => [name, 'set-equal'])),
  ...Object.fromEntries([...MBPP_NOT_NONE].map((name) => [name, 'not-none'])),
  are_equivalent: 'any',
  sum_div: 'zero-or-expected',
  surface_Area: 'pyramid-surface',
  digit_distance_nums: 'digit-distance',
};

/** How the judge compares outputs for an EvalPlus task (see the sandbox's case oracles). */
export function plusOracle(taskId: string, entryPoint: string): string {
  if (taskId.startsWith('Mbpp/')) return MBPP_ORACLES[entryPoint] ?? 'evalplus';
  if (taskId.startsWith('HumanEval/') && entryPoint === 'find_zero') return 'poly-zero';
  return 'evalplus';
}

/**
 * The case batch of an EvalPlus OriginFmt test: its inputs and expected outputs as Python literal
 * text, judged as data by the sandbox. Tasks whose test computes the expected outputs with a
 * `ref_func` get that function (with `header`, the imports and definitions it needs) as reference.
 */
export function plusCases(origin: string, entryPoint: string, taskId: string, header: string): PlusCases | null {
  const inputs = listLiteral(origin, 'inputs');
  if (!inputs) return null;
  const results = listLiteral(origin, 'results');
  const usesReference = /assertion\([^\n]*ref_func\(\*inp\)/.test(origin);
  if (!results && !usesReference) return null;
  const definitions = statements(logicalLines(origin))
    .map((group) => group.map((line) => line.text).join('\n'))
    .filter((text) => /^(def |class |import |from )/.test(text))
    .filter((text) => !/^import numpy\b/.test(text) && !/^def (is_floats|assertion|check)\s*\(/.test(text));
  return {
    function: entryPoint,
    inputs: inputs.text,
    expected: usesReference ? null : (results?.text ?? null),
    reference: usesReference ? { source: `${header}\n\n${definitions.join('\n\n')}\n`, function: 'ref_func' } : null,
    oracle: plusOracle(taskId, entryPoint),
  };
}

/**
 * Turns an EvalPlus OriginFmt test into one self-contained test statement: the numpy helpers are
 * replaced by ours and a HumanEval-style `check` is called with the entry point. HumanEval/32's test
 * calls `_poly(*candidate(*inp), inp)`, which cannot run (upstream bug); it is rewritten the way
 * EvalPlus's own evaluator checks find_zero, |poly(coefficients, answer)| within the bound the test
 * states. MBPP+ tasks get EvalPlus's special oracles (set equality, or "is not None"). `statedAtol`:
 * the task's `atol` as EvalPlus's own format states it; without it, the one the test passes to
 * `assertion` (the same for every task but HumanEval/32, whose test passes none).
 */
export function toPlusTest(
  origin: string,
  entryPoint: string,
  taskId: string,
  header = '',
  statedAtol?: number,
): { test: string; inputs: number; atol: number; cases: PlusCases | null } {
  const kept = statements(logicalLines(origin))
    .map((group) => group.map((line) => line.text).join('\n'))
    .filter((text) => !/^import numpy\b/.test(text) && !/^def (is_floats|assertion)\s*\(/.test(text));
  let body = kept.join('\n\n');
  if (taskId === 'HumanEval/32') {
    body = body.replace(
      /assert _poly\(\*candidate\(\*inp\), inp\) <= ([0-9.eE+-]+)/,
      'assert abs(_poly(*inp, candidate(*inp))) <= $1',
    );
  }
  // EvalPlus's special oracles for MBPP+ (its evaluator applies them; the OriginFmt tests do not).
  const call = `assertion(${entryPoint}(*inp), exp,`;
  if (taskId.startsWith('Mbpp/') && MBPP_SET_EQUAL.has(entryPoint)) {
    body = body.replace(call, `assertion(set(${entryPoint}(*inp)), set(exp),`);
  } else if (taskId.startsWith('Mbpp/') && MBPP_NOT_NONE.has(entryPoint)) {
    body = body.replace(call, `assertion(${entryPoint}(*inp) is not None, exp,`);
  }
  const atol = statedAtol ?? Number(/assertion\([^\n]*,\s*([0-9.eE+-]+)\)\s*$/m.exec(body)?.[1] ?? 0);
  const checkCall = /(^|\n)def check\(/.test(body) ? `\n\ncheck(${entryPoint})` : '';
  return {
    test: `${HELPERS}\n\n${body}${checkCall}\n`,
    inputs: countListItems(body, 'inputs'),
    atol,
    cases: plusCases(origin, entryPoint, taskId, header),
  };
}

/** A plus test as the sandbox judges it: a case batch (sealed) or, for older task files, the statement. */
export function plusTestOf(plus: PlusTests): string | (PlusCases & { kind: 'cases'; atol: number }) {
  return plus.cases ? { kind: 'cases', ...plus.cases, atol: plus.atol } : plus.test;
}
