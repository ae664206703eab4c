import { createHash } from 'node:crypto';
import type { ChatMessage } from '../llm/index.js';
import { type TraceFormat, traceFormatSpec } from '../trace/index.js';

/** Bumped whenever the wording below changes; the run manifest records it with the hash. */
export const PROMPT_VERSION = 'nxt-repair-1';

/** What the model is shown about one task. */
export interface PromptInput {
  description: string;
  buggyProgram: string;
  tests: readonly string[];
  /** The program as the trace renderer shows it (inline: annotated; others: followed by the trace), or null. */
  trace: string | null;
  traceFormat: TraceFormat;
}

/** A worked example: the input, then the answer we want the model to imitate. */
export interface Shot {
  input: PromptInput;
  rationale: string;
  fixedProgram: string;
}

const SYSTEM =
  'You are an expert Python programmer. You find bugs by reasoning about how a program executes, and you fix them with the smallest change that makes every test pass.';

function instruction(traced: boolean): string {
  const what = traced
    ? 'Reason step by step about the execution shown'
    : 'Reason step by step about what the program does on the failing test';
  return `${what}: compare the actual values with the expected ones, find the bug and explain the fix. Then give the complete fixed program in one \`\`\`python block.`;
}

function body(input: PromptInput): string {
  const traced = input.trace !== null && input.traceFormat !== 'none';
  const shown = traced ? (input.trace as string) : input.buggyProgram;
  return [
    `Task: ${input.description.trim()}`,
    '',
    `This program fails at least one of the tests below.${traced ? traceFormatSpec(input.traceFormat).promptIntro : ''}`,
    '',
    '```python',
    shown.trimEnd(),
    '```',
    '',
    'Tests:',
    '```python',
    input.tests.join('\n'),
    '```',
    '',
    instruction(traced),
  ].join('\n');
}

/** An answer in the form the prompts ask for and parseAnswer reads: the rationale, then the program. */
export function formatAnswer(rationale: string, program: string): string {
  return `${rationale.trim()}\n\n\`\`\`python\n${program.trimEnd()}\n\`\`\``.trim();
}

const answer = (shot: Shot) => formatAnswer(shot.rationale, shot.fixedProgram);

/** The chat form: a system message, the worked examples as turns, then the task. */
export function chatPrompt(input: PromptInput, shots: readonly Shot[]): ChatMessage[] {
  const messages: ChatMessage[] = [{ role: 'system', content: SYSTEM }];
  for (const shot of shots) {
    messages.push({ role: 'user', content: body(shot.input) }, { role: 'assistant', content: answer(shot) });
  }
  messages.push({ role: 'user', content: body(input) });
  return messages;
}

/** Stop sequences for the completion form, so a base model stops before inventing the next task. */
export const COMPLETION_STOP = ['\n### Task'] as const;

/** The plain-completion form for base models: worked examples and the task as one document. */
export function completionPrompt(input: PromptInput, shots: readonly Shot[]): string {
  const parts = [`${SYSTEM}\n`];
  for (const shot of shots) parts.push(`### Task\n${body(shot.input)}\n\n### Answer\n${answer(shot)}\n`);
  parts.push(`### Task\n${body(input)}\n\n### Answer\n`);
  return parts.join('\n');
}

/**
 * The completion form one feedback turn later: the document so far, the model's answer to it, the
 * feedback on that answer, and the heading the next answer follows (multi-turn strategies).
 */
export function continueCompletion(prompt: string, answer: string, feedback: string): string {
  return `${prompt}${answer}\n\n### Feedback\n${feedback}\n\n### Answer\n`;
}

/** A short hash of everything fixed about the prompt (version, wording, exemplars, form, renderer). */
export function promptHash(shots: readonly Shot[], traceFormat: TraceFormat, form: 'chat' | 'completion'): string {
  const placeholder: PromptInput = {
    description: '{description}',
    buggyProgram: '{program}',
    tests: ['{tests}'],
    trace: '{trace}',
    traceFormat,
  };
  const text = JSON.stringify([
    PROMPT_VERSION,
    form,
    form === 'chat' ? chatPrompt(placeholder, shots) : completionPrompt(placeholder, shots),
  ]);
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}
