import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { z } from 'zod';
import { isNxtError, NxtError } from '../shared/index.js';
import { RUN_FILES, runFile } from './files.js';
import { readRecords, readRunFile, readRunJson, writeJsonAtomic } from './io.js';
import { checkSamePython, type RunManifest, RunManifestSchema } from './manifest.js';
import {
  type PromptRecord,
  PromptRecordSchema,
  type ResultRecord,
  ResultRecordSchema,
  type SampleRecord,
  SampleRecordSchema,
} from './records.js';
import { type Summary, SummarySchema } from './summary-schema.js';

/** Whether `dir` is a run folder of any kind (the one answer view, report and compare use). */
export function isRunFolder(dir: string): boolean {
  return existsSync(runFile(dir, 'manifest')) || existsSync(runFile(dir, 'state'));
}

/** The manifest of run folder `dir`; a `run` error saying what is wrong otherwise (a missing one too). */
export async function readManifest(dir: string): Promise<RunManifest> {
  // A link is refused (readRunFile says so), never followed out of the folder.
  const text = await readRunFile(runFile(dir, 'manifest')).catch((error: unknown) => {
    if (isNxtError(error)) throw error;
    return null;
  });
  let raw: unknown;
  try {
    raw = JSON.parse(text ?? '');
  } catch {
    throw new NxtError('run', `${dir} is not an nxt run folder (no readable ${RUN_FILES.manifest})`);
  }
  const parsed = RunManifestSchema.safeParse(raw);
  if (!parsed.success) {
    throw new NxtError(
      'run',
      `${runFile(dir, 'manifest')} is not an nxt run manifest:\n${z.prettifyError(parsed.error)}`,
    );
  }
  return parsed.data;
}

/** The manifest of run folder `dir`, or null when it has none (a self-training folder, a folder being made). */
export function readRunManifest(dir: string): Promise<RunManifest | null> {
  return readRunJson(runFile(dir, 'manifest'), RunManifestSchema);
}

/**
 * Creates run folder `dir` with `manifest`, or resumes the run there: it must be of the same kind, with
 * no setting in which `differences` finds it differs, judged by the same Python. Anything else there
 * is a `run` error naming the folder (and the settings that differ). Returns the manifest already
 * there (the run resumed), or null (a new run).
 */
export async function openRunFolder<T extends RunManifest>(
  dir: string,
  manifest: T,
  differences: (existing: T) => readonly string[],
): Promise<T | null> {
  await mkdir(dir, { recursive: true });
  if (!existsSync(runFile(dir, 'manifest'))) {
    await writeJsonAtomic(runFile(dir, 'manifest'), manifest);
    return null;
  }
  const existing = await readManifest(dir);
  if (existing.kind !== manifest.kind) {
    throw new NxtError('run', `${dir} holds another run (${existing.kind}); choose another --out`);
  }
  const differ = differences(existing as T);
  if (differ.length > 0) {
    throw new NxtError(
      'run',
      `${dir} holds a run with different settings (${differ.join(', ')}); resume it with the same flags or choose another --out`,
    );
  }
  checkSamePython(dir, existing, manifest);
  return existing as T;
}

/**
 * The names of the fields whose values differ between two settings objects (compared as JSON): of
 * `fields`, or of every field either has.
 */
export function differingFields(existing: object, current: object, fields?: readonly string[]): string[] {
  const [a, b] = [existing as Record<string, unknown>, current as Record<string, unknown>];
  const names = fields ?? [...new Set([...Object.keys(a), ...Object.keys(b)])];
  return names.filter((name) => JSON.stringify(a[name]) !== JSON.stringify(b[name]));
}

/** A run's results, checked (a bad line or a torn last one is a `run` error naming it); none before the first. */
export function readResults(dir: string): Promise<ResultRecord[]> {
  return readRecords(runFile(dir, 'results'), ResultRecordSchema);
}

/** A run's model answers, checked as results are. */
export function readSamples(dir: string): Promise<SampleRecord[]> {
  return readRecords(runFile(dir, 'samples'), SampleRecordSchema);
}

/** A run's first prompts (one per task and mode), checked as results are. */
export function readPrompts(dir: string): Promise<PromptRecord[]> {
  return readRecords(runFile(dir, 'prompts'), PromptRecordSchema);
}

/** A run's summary, or null before it has one; a link or a summary of the wrong shape is a `run` error. */
export function readRunSummary(dir: string): Promise<Summary | null> {
  return readRunJson(runFile(dir, 'summary'), SummarySchema);
}

/** Writes a run's summary atomically. */
export function writeRunSummary(dir: string, summary: Summary): Promise<void> {
  return writeJsonAtomic(runFile(dir, 'summary'), summary);
}
