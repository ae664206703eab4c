import { createHash } from 'node:crypto';
import type { ChatMessage, LlmClient } from '../llm/index.js';
import type { Sandbox } from '../sandbox/index.js';
import { type Problem, type RepairTask, TASK_SCHEMA_VERSION } from '../tasks/index.js';

/** Our few-shot prompt for solving MBPP problems (the shots are MBPP prompt-split problems). */
const SYSTEM =
  'You are a careful Python programmer. Solve the problem with one self-contained Python function. Reply with the code only, in a ```python block.';

function userTurn(problem: Problem): string {
  return `Problem: ${problem.description}\nThe function must make these checks pass:\n${problem.promptTests.join('\n')}`;
}

/** The chat messages that ask for a solution to `problem`, after three worked examples. */
export function solvePrompt(problem: Problem, shots: readonly Problem[]): ChatMessage[] {
  const messages: ChatMessage[] = [{ role: 'system', content: SYSTEM }];
  for (const shot of shots) {
    messages.push({ role: 'user', content: userTurn(shot) });
    messages.push({ role: 'assistant', content: `\`\`\`python\n${(shot.reference ?? '').trim()}\n\`\`\`` });
  }
  messages.push({ role: 'user', content: userTurn(problem) });
  return messages;
}

/** The code of a completion: the last fenced block, else the text up to a [DONE] marker, else all of it. */
export function extractCode(text: string): string {
  const blocks = [...text.matchAll(/```(?:python|py)?[^\n]*\n([\s\S]*?)```/g)].map((match) => match[1] ?? '');
  const code = blocks.length > 0 ? (blocks[blocks.length - 1] as string) : (text.split('[DONE]')[0] ?? '');
  return code.trim() === '' ? '' : `${code.trim()}\n`;
}

export interface MbppROptions {
  samples: number;
  temperature: number;
  seed?: number;
  /** Most tasks kept per problem. */
  perProblem?: number;
  testTimeoutMs?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface MbppRManifest {
  kind: 'mbpp-r';
  model: string;
  promptHash: string;
  seed: number | null;
  temperature: number;
  samplesPerProblem: number;
  perProblem: number;
  splits: { train: string; dev: string };
  counts: {
    problems: number;
    sampled: number;
    failedRequests: number;
    noCode: number;
    passed: number;
    notLoading: number;
    timedOut: number;
    failing: number;
    duplicates: number;
    overCap: number;
    kept: { train: number; dev: number };
  };
  paper: { train: number; dev: number };
}

/**
 * Rebuilds MBPP-R: samples solutions to MBPP train and validation problems, keeps the ones that load
 * and run but fail at least one test (timeouts excluded), removes duplicates by normalized syntax tree
 * (and the reference itself), caps per problem, and records each task's first failing test. Train
 * tasks come from MBPP's train split (601–974), dev tasks from its validation split (511–600).
 */
export async function buildMbppR(
  problems: readonly Problem[],
  shots: readonly Problem[],
  client: LlmClient,
  sandbox: Sandbox,
  options: MbppROptions,
): Promise<{ train: RepairTask[]; dev: RepairTask[]; manifest: MbppRManifest }> {
  const perProblem = options.perProblem ?? options.samples;
  const counts: MbppRManifest['counts'] = {
    problems: 0,
    sampled: 0,
    failedRequests: 0,
    noCode: 0,
    passed: 0,
    notLoading: 0,
    timedOut: 0,
    failing: 0,
    duplicates: 0,
    overCap: 0,
    kept: { train: 0, dev: 0 },
  };
  const chosen = problems.filter((problem) => problem.split === 'train' || problem.split === 'validation');
  counts.problems = chosen.length;
  let done = 0;
  const perTask = await Promise.all(
    chosen.map(async (problem) => {
      const kept = await buildOne(problem, shots, client, sandbox, options, perProblem, counts);
      done += 1;
      options.onProgress?.(done, chosen.length);
      return kept;
    }),
  );
  const all = perTask.flat();
  const train = all.filter((task) => task.split === 'train');
  const dev = all.filter((task) => task.split === 'validation');
  counts.kept = { train: train.length, dev: dev.length };
  const promptHash = createHash('sha256')
    .update(
      JSON.stringify(
        solvePrompt({ ...(shots[0] as Problem), description: '{problem}', promptTests: ['{tests}'] }, shots),
      ),
    )
    .digest('hex')
    .slice(0, 16);
  return {
    train,
    dev,
    manifest: {
      kind: 'mbpp-r',
      model: client.spec.model,
      promptHash,
      seed: options.seed ?? null,
      temperature: options.temperature,
      samplesPerProblem: options.samples,
      perProblem,
      splits: { train: 'MBPP train (601-974)', dev: 'MBPP validation (511-600)' },
      counts,
      paper: { train: 10_047, dev: 1_468 },
    },
  };
}

async function buildOne(
  problem: Problem,
  shots: readonly Problem[],
  client: LlmClient,
  sandbox: Sandbox,
  options: MbppROptions,
  perProblem: number,
  counts: MbppRManifest['counts'],
): Promise<RepairTask[]> {
  const outcomes = await client.sample({
    messages: solvePrompt(problem, shots),
    n: options.samples,
    temperature: options.temperature,
    ...(options.seed === undefined ? {} : { seed: options.seed }),
  });
  counts.sampled += outcomes.length;
  const programs: string[] = [];
  for (const outcome of outcomes) {
    if (outcome.status !== 'ok') {
      counts.failedRequests += 1;
      continue;
    }
    const code = extractCode(outcome.sample.text);
    if (code === '') counts.noCode += 1;
    else programs.push(code);
  }
  const [trees, verdicts] = await Promise.all([
    sandbox.normalize([problem.reference ?? '', ...programs]),
    Promise.all(
      programs.map((code) =>
        sandbox.judgeProgram(code, problem.tests, {
          testTimeoutMs: options.testTimeoutMs ?? 5000,
          captureOutput: false,
        }),
      ),
    ),
  ]);
  const seen = new Set<string | null>([trees[0] ?? null]);
  const kept: RepairTask[] = [];
  for (const [index, code] of programs.entries()) {
    const verdict = verdicts[index];
    if (!verdict) continue;
    if (verdict.status === 'pass') counts.passed += 1;
    else if (verdict.status === 'timeout') counts.timedOut += 1;
    else if (verdict.status === 'error') counts.notLoading += 1;
    if (verdict.status !== 'fail') continue;
    counts.failing += 1;
    const tree = trees[index + 1] ?? null;
    if (tree === null || seen.has(tree)) {
      counts.duplicates += 1;
      continue;
    }
    seen.add(tree);
    if (kept.length >= perProblem) {
      counts.overCap += 1;
      continue;
    }
    kept.push({
      schemaVersion: TASK_SCHEMA_VERSION,
      id: `${problem.id}/s${index}`,
      dataset: 'mbpp-r',
      description: problem.description,
      entryPoint: problem.entryPoint,
      promptTests: problem.promptTests,
      tests: problem.tests,
      plusTests: null,
      reference: problem.reference,
      split: problem.split,
      provenance: problem.provenance,
      prompt: problem.prompt,
      buggyProgram: code,
      bugLabel: { kind: 'model', value: client.spec.model },
      failingTest: verdict.tests.find((test) => test.status !== 'pass')?.index ?? null,
    });
  }
  return kept;
}
