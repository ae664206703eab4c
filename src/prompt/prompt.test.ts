import { describe, expect, it } from 'vitest';
import { PROMPT_TRACE_FORMATS, traceFormatSpec } from '../trace/index.js';
import { parseAnswer, stripCode } from './parse.js';
import { chatPrompt, completionPrompt, continueCompletion, type PromptInput, promptHash } from './template.js';

const input: PromptInput = {
  description: 'Return x plus one.',
  buggyProgram: 'def inc(x):\n    return x + 2\n',
  tests: ['assert inc(1) == 2'],
  trace:
    'def inc(x):  # (0) x=1;\n    return x + 2  # (1) __return__=3;\n\nassert inc(1) == 2  # (2) __exception__ = AssertionError()\n',
  traceFormat: 'inline',
};

describe('the repair prompt', () => {
  it('shows the task, the traced program, the tests and the instruction', () => {
    const messages = chatPrompt(input, []);
    expect(messages.map((message) => message.role)).toEqual(['system', 'user']);
    expect(messages[1]?.content).toMatchInlineSnapshot(`
      "Task: Return x plus one.

      This program fails at least one of the tests below. Each line it ran on the failing test carries a comment with what happened: \`(k) name=value\` is the value after step k of the execution, \`__return__\` a returned value and \`__exception__\` a raised exception.

      \`\`\`python
      def inc(x):  # (0) x=1;
          return x + 2  # (1) __return__=3;

      assert inc(1) == 2  # (2) __exception__ = AssertionError()
      \`\`\`

      Tests:
      \`\`\`python
      assert inc(1) == 2
      \`\`\`

      Reason step by step about the execution shown: compare the actual values with the expected ones, find the bug and explain the fix. Then give the complete fixed program in one \`\`\`python block."
    `);
  });

  it('shows the plain program without a trace', () => {
    const text = chatPrompt({ ...input, trace: null, traceFormat: 'none' }, [])[1]?.content ?? '';
    expect(text).toContain('```python\ndef inc(x):\n    return x + 2\n```');
    expect(text).not.toContain('(k)');
    expect(text).toContain('Reason step by step about what the program does on the failing test');
  });

  it("says what each format of the table shows, in the format's own words", () => {
    for (const traceFormat of PROMPT_TRACE_FORMATS) {
      const text = chatPrompt({ ...input, traceFormat }, [])[1]?.content ?? '';
      const intro = traceFormatSpec(traceFormat).promptIntro;
      expect(text).toContain(`This program fails at least one of the tests below.${intro}\n`);
    }
  });

  it('puts worked examples first, as turns or as one document', () => {
    const shot = { input, rationale: 'It adds 2.', fixedProgram: 'def inc(x):\n    return x + 1\n' };
    const messages = chatPrompt(input, [shot, shot]);
    expect(messages.map((message) => message.role)).toEqual([
      'system',
      'user',
      'assistant',
      'user',
      'assistant',
      'user',
    ]);
    expect(messages[2]?.content).toBe('It adds 2.\n\n```python\ndef inc(x):\n    return x + 1\n```');
    const text = completionPrompt(input, [shot]);
    expect(text.match(/### Task/g)).toHaveLength(2);
    expect(text.endsWith('### Answer\n')).toBe(true);
  });

  it('continues the completion form with the answer, the feedback and the next answer heading', () => {
    const first = completionPrompt(input, []);
    const next = continueCompletion(first, 'It adds 2.\n```python\nx\n```', 'Test 1 still fails.');
    expect(next.startsWith(first)).toBe(true);
    expect(next.slice(first.length)).toMatchInlineSnapshot(`
      "It adds 2.
      \`\`\`python
      x
      \`\`\`

      ### Feedback
      Test 1 still fails.

      ### Answer
      "
    `);
  });

  it('has a hash that changes with the exemplars, the renderer and the form', () => {
    const shot = { input, rationale: 'It adds 2.', fixedProgram: 'def inc(x):\n    return x + 1\n' };
    const base = promptHash([shot], 'inline', 'chat');
    expect(base).toMatch(/^[0-9a-f]{16}$/);
    expect(promptHash([shot], 'inline', 'chat')).toBe(base);
    expect(promptHash([], 'inline', 'chat')).not.toBe(base);
    expect(promptHash([shot], 'none', 'chat')).not.toBe(base);
    expect(promptHash([shot], 'inline', 'completion')).not.toBe(base);
  });
});

describe('parseAnswer', () => {
  it('takes the last Python block and the text before it as the rationale', () => {
    const text =
      'First I thought:\n```python\ndef a(): pass\n```\nBut then:\n```python\ndef inc(x):\n    return x + 1\n```\nThat fixes it.';
    expect(parseAnswer(text)).toEqual({
      status: 'ok',
      rationale: 'First I thought:\n```python\ndef a(): pass\n```\nBut then:',
      program: 'def inc(x):\n    return x + 1\n',
    });
  });

  it('ignores output blocks and accepts an unclosed final fence', () => {
    expect(parseAnswer('Run:\n```python\ndef f():\n    return 1\n```\nOutput:\n```text\n1\n```')).toMatchObject({
      program: 'def f():\n    return 1\n',
    });
    expect(parseAnswer('Fix:\n```py\ndef f():\n    return 2')).toMatchObject({ program: 'def f():\n    return 2\n' });
  });

  it('finds unfenced code and drops prose after it', () => {
    expect(
      parseAnswer(
        'The bound is off by one.\nimport math\ndef f(n):\n    return n\n\nThis version returns n as required.',
      ),
    ).toEqual({
      status: 'ok',
      rationale: 'The bound is off by one.',
      program: 'import math\ndef f(n):\n    return n\n',
    });
  });

  it('reports an answer with no code as a parse error', () => {
    expect(parseAnswer('I am not sure what the bug is.')).toEqual({
      status: 'parse_error',
      reason: 'the answer holds no Python code block and no def, class or import line',
    });
  });

  it('strips code from a rationale for the proxy student', () => {
    expect(stripCode('The loop stops early.\n```python\nfor i in range(n + 1):\n```\nSo use n + 1.')).toBe(
      'The loop stops early.\n[code removed]\nSo use n + 1.',
    );
  });
});
