import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { renderTrace } from '../../src/trace/index.js';

// The NExT paper's Figures 1 and 2, traced for real and rendered with the default options (3 + 1
// loop entries): byte for byte the text of DESIGN.md §1.
const fixture = (name: string) => readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8');
let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await createSandbox({ workers: 1 });
});

afterAll(async () => {
  await sandbox.close();
});

describe("the paper's figures", () => {
  it('Figure 1: separate_odd_and_even', async () => {
    const result = await sandbox.traceProgram(
      fixture('figure1.py'),
      ['separate_odd_and_even([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])'],
      {
        testIndex: 0,
      },
    );
    expect(result.status).toBe('traced');
    if (result.status !== 'traced') return;
    expect(renderTrace(result.trace, 'inline')).toBe(fixture('figure1.trace.txt'));
    expect(result.trace.python).toBe(sandbox.pythonVersion);
  });

  it('Figure 2: extract_values with its failing assert', async () => {
    const test = `assert extract_values('"Python", "PHP", "Java"')==['Python', 'PHP', 'Java']`;
    const result = await sandbox.traceProgram(fixture('figure2.py'), [test]);
    expect(result.status).toBe('traced');
    if (result.status !== 'traced') return;
    expect(renderTrace(result.trace, 'inline')).toBe(fixture('figure2.trace.txt'));
    expect(result.trace.outcome).toMatchObject({ status: 'fail', exception: { type: 'AssertionError' } });
  });

  it('Figure 1 with a different elision keeps every other byte', async () => {
    const result = await sandbox.traceProgram(
      fixture('figure1.py'),
      ['separate_odd_and_even([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])'],
      {
        testIndex: 0,
      },
    );
    if (result.status !== 'traced') throw new Error(result.status);
    const text = renderTrace(result.trace, 'inline', { loopHead: 1, loopTail: 2 });
    expect(text.split('\n')[3]).toBe('    for n in lst:  # (3) n=1; ...; (19) n=9; (21) n=10;');
    expect(text.split('\n')[0]).toBe(fixture('figure1.trace.txt').split('\n')[0]);
  });
});
