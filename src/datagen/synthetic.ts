import type { Sandbox } from '../sandbox/index.js';
import { hashString, seededRandom, shuffled } from '../shared/index.js';
import { type Problem, type RepairTask, TASK_SCHEMA_VERSION } from '../tasks/index.js';

export const MUTATION_KINDS = [
  'comparison-flip',
  'off-by-one',
  'arithmetic-operator',
  'boolean-operator',
  'negated-condition',
  'swapped-arguments',
  'wrong-variable',
  'dropped-statement',
  'wrong-constant',
  'wrong-return',
] as const;

export interface SyntheticOptions {
  seed: number;
  /** Most mutants kept per problem. */
  perProblem?: number;
  testTimeoutMs?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface SyntheticManifest {
  kind: 'synthetic';
  source: string;
  seed: number;
  perProblem: number;
  problems: number;
  counts: { candidates: number; judged: number; failing: number; duplicates: number; kept: number };
  byKind: Record<string, number>;
}

const BATCH = 8;

/**
 * A seeded order that takes one candidate of each kind in turn, so a problem's few kept mutants spread
 * over kinds instead of following whichever kind has the most sites (usually wrong-variable).
 */
function interleaveKinds<T extends { kind: string }>(candidates: readonly T[], random: () => number): T[] {
  const groups = new Map<string, T[]>();
  for (const candidate of candidates) groups.set(candidate.kind, [...(groups.get(candidate.kind) ?? []), candidate]);
  const queues = shuffled([...groups.keys()].sort(), random).map((kind) => shuffled(groups.get(kind) ?? [], random));
  const out: T[] = [];
  while (queues.some((queue) => queue.length > 0)) {
    for (const queue of queues) {
      const next = queue.shift();
      if (next) out.push(next);
    }
  }
  return out;
}

/**
 * Deterministic AST mutants of reference solutions that parse, run, fail at least one test (by a failed
 * assert or an exception, not a timeout) and differ from the reference and from every kept mutant of
 * the same problem. Candidates are tried in a seeded order, judged in fixed batches and decided in
 * order, so the same seed yields the same set.
 */
export async function buildSynthetic(
  problems: readonly Problem[],
  sandbox: Sandbox,
  options: SyntheticOptions,
): Promise<{ tasks: RepairTask[]; manifest: SyntheticManifest }> {
  const perProblem = options.perProblem ?? 3;
  const counts = { candidates: 0, judged: 0, failing: 0, duplicates: 0, kept: 0 };
  const byKind: Record<string, number> = {};
  const source = problems[0]?.dataset ?? 'unknown';
  const results = await Promise.all(
    problems.map(async (problem, position) => {
      const tasks = await mutateProblem(problem, sandbox, options, perProblem, counts);
      options.onProgress?.(position + 1, problems.length);
      return tasks;
    }),
  );
  const tasks = results.flat();
  for (const task of tasks) byKind[task.bugLabel?.value ?? '?'] = (byKind[task.bugLabel?.value ?? '?'] ?? 0) + 1;
  counts.kept = tasks.length;
  const manifest: SyntheticManifest = {
    kind: 'synthetic',
    source,
    seed: options.seed,
    perProblem,
    problems: problems.length,
    counts,
    byKind: Object.fromEntries(Object.entries(byKind).sort(([a], [b]) => a.localeCompare(b))),
  };
  return { tasks, manifest };
}

async function mutateProblem(
  problem: Problem,
  sandbox: Sandbox,
  options: SyntheticOptions,
  perProblem: number,
  counts: SyntheticManifest['counts'],
): Promise<RepairTask[]> {
  if (!problem.reference) return [];
  const candidates = interleaveKinds(
    await sandbox.mutants(problem.reference),
    seededRandom(options.seed ^ hashString(problem.id)),
  );
  counts.candidates += candidates.length;
  const [referenceTree] = await sandbox.normalize([problem.reference]);
  const seen = new Set<string | null>([referenceTree ?? null]);
  const kept: RepairTask[] = [];
  for (let start = 0; start < candidates.length && kept.length < perProblem; start += BATCH) {
    const batch = candidates.slice(start, start + BATCH);
    const [trees, verdicts] = await Promise.all([
      sandbox.normalize(batch.map((candidate) => candidate.program)),
      Promise.all(
        batch.map((candidate) =>
          sandbox.judgeProgram(candidate.program, problem.tests, {
            testTimeoutMs: options.testTimeoutMs ?? 5000,
            captureOutput: false,
          }),
        ),
      ),
    ]);
    counts.judged += batch.length;
    for (const [offset, candidate] of batch.entries()) {
      const verdict = verdicts[offset];
      const tree = trees[offset] ?? null;
      if (verdict?.status !== 'fail') continue;
      counts.failing += 1;
      if (seen.has(tree)) {
        counts.duplicates += 1;
        continue;
      }
      seen.add(tree);
      kept.push({
        schemaVersion: TASK_SCHEMA_VERSION,
        id: `${problem.id}/m${kept.length}`,
        dataset: `synthetic-${problem.dataset}`,
        description: problem.description,
        entryPoint: problem.entryPoint,
        promptTests: problem.promptTests,
        tests: problem.tests,
        plusTests: problem.plusTests,
        reference: problem.reference,
        split: problem.split,
        provenance: problem.provenance,
        prompt: problem.prompt,
        buggyProgram: candidate.program,
        bugLabel: { kind: 'mutation', value: candidate.kind },
        failingTest: verdict.tests.find((test) => test.status !== 'pass')?.index ?? null,
      });
      if (kept.length >= perProblem) break;
    }
  }
  return kept;
}
