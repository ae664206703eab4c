import { dedent, type LogicalLine, logicalLines, renameIdentifier, statements } from './python-lines.js';

const text = (group: readonly LogicalLine[]) => group.map((line) => line.text).join('\n');
const isAssertion = (group: readonly LogicalLine[]) => group.some((line) => /^assert\b/.test(line.text.trimStart()));
const isTrivial = (group: readonly LogicalLine[]) =>
  group.length === 1 && /^assert\s+True\b/.test(group[0]?.text.trimStart() ?? '');

/**
 * Splits a HumanEval-style test (`def check(candidate): ...` plus helpers) into independent test
 * statements: one per assert (or per compound statement that asserts, e.g. a loop), each preceded by
 * the setup statements before it in `check` and by the test's own top-level helpers, with `candidate`
 * renamed to the entry point. `assert True` placeholders are dropped.
 */
export function splitCheckTests(test: string, entryPoint: string): string[] {
  const top = statements(logicalLines(test));
  const helpers: string[] = [];
  let body: LogicalLine[] = [];
  for (const group of top) {
    const head = group[0]?.text ?? '';
    if (/^def\s+check\s*\(/.test(head)) body = group.slice(1);
    else if (/^METADATA\s*=/.test(head) || /^check\s*\(/.test(head)) continue;
    else helpers.push(text(group));
  }
  const tests: string[] = [];
  const setup: string[] = [];
  const indent = body[0]?.indent ?? 0;
  for (const group of statements(body)) {
    const statement = dedent(text(group), indent);
    if (!isAssertion(group)) {
      setup.push(statement);
      continue;
    }
    if (isTrivial(group)) continue;
    tests.push(renameIdentifier([...helpers, ...setup, statement].join('\n'), 'candidate', entryPoint));
  }
  return tests;
}

/** Splits a block of top-level statements (MBPP-style asserts) into one test per statement. */
export function splitTopLevel(source: string): string[] {
  return statements(logicalLines(source)).map(text);
}
