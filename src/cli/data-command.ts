import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { RUN_FILES } from '../runs/files.js';
import type { Sandbox } from '../sandbox/index.js';
import { UsageError } from '../shared/index.js';
import {
  type DATA_FILES,
  DATASETS,
  DataStore,
  isRepairTask,
  loadDataset,
  type Problem,
  type RepairTask,
  readTaskFile,
  writeTaskFile,
} from '../tasks/index.js';
import { renderTrace, tracePhase } from '../trace/index.js';
import { nxtCacheDir } from './cache-dir.js';
import type { BuildFlags, CheckFlags, DataFlags, ExportFlags, SandboxFlags, ShowFlags } from './command-flags.js';
import type { CliIo } from './io.js';
import { jsonLines, writeOutput } from './output.js';
import { progress } from './progress.js';
import { sandboxOptions } from './sandbox-flags.js';
import { startSandbox } from './sandbox-start.js';

type Env = Readonly<Record<string, string | undefined>>;

/** Where dataset files are read from (see dataStore), and which setting said so. */
function dataFolders(flags: DataFlags, io: CliIo): { dataDir: string | null; cacheDir: string; from: string } {
  const env: Env = io.env;
  const named = flags.dataDir ?? env['NXT_DATA_DIR'];
  const cacheDir = resolve(io.cwd, flags.dataCache ?? join(nxtCacheDir(env), 'data'));
  if (named) {
    const dataDir = resolve(io.cwd, named);
    return {
      dataDir,
      cacheDir,
      from: `the data folder ${dataDir} (${flags.dataDir ? '--data-dir' : '$NXT_DATA_DIR'}; nothing is downloaded)`,
    };
  }
  const which = flags.dataCache ? '--data-cache' : env['NXT_CACHE_DIR'] ? '$NXT_CACHE_DIR' : 'the default';
  return { dataDir: null, cacheDir, from: `downloads kept in ${cacheDir} (${which})` };
}

/**
 * The data store for this invocation: --data-dir, else $NXT_DATA_DIR; else downloads kept in --data-cache,
 * else $NXT_CACHE_DIR/data (where the sample cache lives), else $XDG_CACHE_HOME/nxt/data or ~/.cache/nxt/data.
 */
export function dataStore(flags: DataFlags, io: CliIo): DataStore {
  const { dataDir, cacheDir } = dataFolders(flags, io);
  const bars = new Map<string, ReturnType<typeof progress>>();
  return new DataStore({
    dataDir,
    cacheDir,
    onProgress: (file, received, total) => {
      let bar = bars.get(file);
      if (!bar) {
        bar = progress(io, `downloading ${file}`);
        bars.set(file, bar);
      }
      bar.update(received, total);
      if (total !== null && received >= total) bar.end();
    },
  });
}

/** A dataset by name, or a .jsonl task file (an export, or a built MBPP-R or synthetic set). */
export async function loadTasks(name: string, flags: DataFlags, io: CliIo): Promise<(Problem | RepairTask)[]> {
  if (name.endsWith('.jsonl') || existsSync(resolve(io.cwd, name))) return readTaskFile(resolve(io.cwd, name));
  return loadDataset(name, dataStore(flags, io));
}

export async function listCommand(flags: DataFlags, io: CliIo): Promise<number> {
  const store = dataStore(flags, io);
  const lines = [`files from ${dataFolders(flags, io).from}`, '', 'dataset            kind      files'];
  for (const dataset of DATASETS) {
    const where = dataset.files.map((name) => {
      const { dataDir, cache } = store.locations(name as keyof typeof DATA_FILES);
      if (dataDir) return existsSync(dataDir) ? 'in data folder' : 'MISSING from data folder';
      return existsSync(cache) ? 'cached' : 'downloads on first use';
    });
    lines.push(`${dataset.name.padEnd(18)} ${dataset.kind.padEnd(9)} ${[...new Set(where)].join(', ')}`);
    lines.push(`  ${dataset.description}`);
  }
  lines.push('', 'Built sets (nxt data build) are .jsonl task files: pass their path where a dataset name goes.');
  io.stdout(`${lines.join('\n')}\n`);
  return 0;
}

async function withSandbox<T>(flags: SandboxFlags, io: CliIo, fn: (sandbox: Sandbox) => Promise<T>): Promise<T> {
  const sandbox = await startSandbox(sandboxOptions(flags, io.env), io, false);
  try {
    return await fn(sandbox);
  } finally {
    await sandbox.close();
  }
}

export async function showCommand(dataset: string, id: string, flags: ShowFlags, io: CliIo): Promise<number> {
  const tasks = await loadTasks(dataset, flags, io);
  const task = tasks.find((item) => item.id === id);
  if (!task) {
    const examples = tasks
      .slice(0, 3)
      .map((item) => item.id)
      .join(', ');
    throw new UsageError(`no task '${id}' in ${dataset} (ids look like ${examples})`);
  }
  const out = [`${task.dataset} ${task.id}${task.split ? ` (split: ${task.split})` : ''}`, '', task.description, ''];
  if (isRepairTask(task)) {
    if (task.bugLabel) out.push(`bug: ${task.bugLabel.kind} = ${task.bugLabel.value}`, '');
    if (flags.noTrace) out.push(task.buggyProgram.trimEnd());
    else {
      const result = await withSandbox(flags, io, (sandbox) =>
        sandbox.traceProgram(
          task.buggyProgram,
          task.tests,
          task.failingTest === null ? {} : { testIndex: task.failingTest },
        ),
      );
      if (result.status === 'traced') {
        const traced =
          tracePhase(result.trace) === 'load'
            ? 'while it loads (it fails before any test runs)'
            : `on test ${result.testIndex}`;
        out.push(
          `buggy program, traced ${traced} (${result.trace.outcome.status}):`,
          renderTrace(result.trace, 'inline').trimEnd(),
        );
      } else
        out.push(
          `buggy program (${result.status === 'nothing-failed' ? 'every test passes!' : 'it does not load'}):`,
          task.buggyProgram.trimEnd(),
        );
    }
  } else if (task.reference) out.push('reference:', task.reference.trimEnd());
  out.push(
    '',
    `tests (${task.tests.length}):`,
    ...task.tests.map((test) =>
      test
        .split('\n')
        .map((line) => `  ${line}`)
        .join('\n'),
    ),
  );
  if (task.plusTests)
    out.push(
      '',
      `EvalPlus tests: ${task.plusTests.inputs} inputs (${task.plusTests.source}, atol ${task.plusTests.atol})`,
    );
  io.stdout(`${out.join('\n')}\n`);
  return 0;
}

export async function exportCommand(dataset: string, flags: ExportFlags, io: CliIo): Promise<number> {
  if (!flags.out) throw new UsageError('give the output file with --out FILE (or --out - for standard output)');
  const tasks = await loadTasks(dataset, flags, io);
  const wrote = await writeOutput(flags.out, jsonLines(tasks), io);
  if (wrote) io.stderr(`nxt: wrote ${tasks.length} tasks to ${wrote}\n`);
  return 0;
}

export async function checkCommand(dataset: string, flags: CheckFlags, io: CliIo): Promise<number> {
  const { checkDataset } = await import('../datagen/index.js');
  let tasks = await loadTasks(dataset, flags, io);
  if (flags.noPlus) tasks = tasks.map((task) => ({ ...task, plusTests: null }));
  const bar = progress(io, `checking ${dataset}`);
  const report = await withSandbox(flags, io, (sandbox) =>
    checkDataset(tasks, sandbox, { onProgress: (done, total) => bar.update(done, total) }),
  );
  bar.end();
  if (flags.json) {
    io.stdout(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    const lines = [`${dataset}: ${report.tasks} tasks`];
    const groups = [
      ['references', report.reference],
      ['buggy programs', report.buggy],
      ['references on EvalPlus tests', report.referencePlus],
      ['buggy programs on EvalPlus tests', report.buggyPlus],
    ] as const;
    for (const [name, group] of groups) {
      if (!group) continue;
      const { pass, fail, error, timeout } = group.counts;
      lines.push(`${name} (must ${group.expected}): pass ${pass}, fail ${fail}, error ${error}, timeout ${timeout}`);
      for (const item of group.unexpected) lines.push(`  UNEXPECTED ${item.id}: ${item.status} ${item.reason}`);
      for (const item of group.notable) lines.push(`  ${item.status.padEnd(7)} ${item.id}: ${item.reason}`);
    }
    const { tests, sealed, unsealed } = report.sealing;
    const share = tests > 0 ? ` (${((100 * sealed) / tests).toFixed(1)}%)` : '';
    lines.push(`tests sealed (references, base and EvalPlus): ${sealed} of ${tests}${share}`);
    for (const item of unsealed) {
      const which = item.test === 'plus' ? 'EvalPlus tests' : `test ${item.test}`;
      lines.push(`  unsealed ${item.id} ${which}: ${item.reason}`);
    }
    io.stdout(`${lines.join('\n')}\n`);
  }
  const bad = [report.reference, report.buggy, report.referencePlus, report.buggyPlus].some(
    (group) => (group?.unexpected.length ?? 0) > 0,
  );
  return bad ? 1 : 0;
}

async function writeBuild(
  dir: string,
  files: Record<string, (Problem | RepairTask)[]>,
  manifest: object,
): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const [name, tasks] of Object.entries(files)) await writeTaskFile(join(dir, name), tasks);
  // How the set was built, in a manifest named as a run folder's.
  await writeFile(join(dir, RUN_FILES.manifest), `${JSON.stringify(manifest, null, 2)}\n`);
}

export async function buildCommand(kind: string, flags: BuildFlags, io: CliIo): Promise<number> {
  const seed = flags.seed ?? 0;
  const out = resolve(io.cwd, flags.out ?? `${kind}${kind === 'synthetic' ? `-${flags.problems}` : ''}`);
  const { limit } = flags;
  if (kind === 'synthetic') {
    const source = flags.problems;
    const problems = ((await loadTasks(source, flags, io)) as Problem[]).slice(0, limit);
    const { buildSynthetic } = await import('../datagen/index.js');
    const bar = progress(io, `mutating ${source}`);
    const perProblem = flags.perProblem ?? 3;
    const { tasks, manifest } = await withSandbox(flags, io, (sandbox) =>
      buildSynthetic(problems, sandbox, { seed, perProblem, onProgress: (done, total) => bar.update(done, total) }),
    );
    bar.end();
    await writeBuild(out, { 'tasks.jsonl': tasks }, manifest);
    io.stdout(
      `${tasks.length} synthetic repair tasks from ${problems.length} ${source} problems in ${out}/tasks.jsonl\n${JSON.stringify(manifest.byKind)}\n`,
    );
    return 0;
  }
  if (kind === 'mbpp-r') {
    if (!flags.model) throw new UsageError('building MBPP-R samples from a model: give --model SPEC');
    const { cachePath, loadConfig, resolveModel } = await import('./config.js');
    const { createLlmClient, SampleCache } = await import('../llm/index.js');
    const { buildMbppR } = await import('../datagen/index.js');
    const config = loadConfig(flags.config, io.cwd, io.env);
    const spec = resolveModel(flags.model, config, io.env);
    const problems = (await loadTasks('mbpp', flags, io)) as Problem[];
    const shots = problems.filter((problem) => ['MBPP/2', 'MBPP/3', 'MBPP/4'].includes(problem.id));
    const chosen = problems
      .filter((problem) => problem.split === 'train' || problem.split === 'validation')
      .slice(0, limit);
    const cache = SampleCache.open(cachePath(flags.cache, config, io.env, io.cwd));
    const bar = progress(io, 'sampling MBPP solutions');
    try {
      const client = createLlmClient(spec, { cache });
      const result = await withSandbox(flags, io, (sandbox) =>
        buildMbppR(chosen, shots, client, sandbox, {
          samples: flags.samples,
          temperature: flags.temperature,
          ...(flags.seed === undefined ? {} : { seed }),
          ...(flags.perProblem ? { perProblem: flags.perProblem } : {}),
          onProgress: (done, total) => bar.update(done, total),
        }),
      );
      bar.end();
      await writeBuild(out, { 'train.jsonl': result.train, 'dev.jsonl': result.dev }, result.manifest);
      const { kept, ...rest } = result.manifest.counts;
      io.stdout(
        `MBPP-R in ${out}: ${kept.train} train and ${kept.dev} dev tasks (the paper: 10,047 and 1,468)\n${JSON.stringify(rest)}\n`,
      );
      return 0;
    } finally {
      cache.close();
    }
  }
  throw new UsageError(`unknown build '${kind}': use mbpp-r or synthetic`);
}
