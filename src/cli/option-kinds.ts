import type { Shard } from '../runs/index.js';
import { listChoices } from '../shared/index.js';

/**
 * What an option's value is: how --help shows it, how its text is read, what the refusal says it must
 * be (`--samples must be a positive integer, got 'abc'`), and how a value is written back as text.
 */
export interface ValueKind<Value> {
  /** Two flags of the same spelling have the same kind name on every command (program.test.ts checks). */
  readonly name: string;
  /** Stands for the value in --help: `--samples <n>`. */
  readonly placeholder: string;
  /** Finishes `--flag must be ...`. */
  readonly expected: string;
  /** The value, or undefined when the text is not one. */
  parse(text: string): Value | undefined;
  /** The text that gives `value` back (the command selftrain prints to continue a run). */
  format(value: Value): string;
}

/** Where a command writes one file: a path, or standard output (`-`). */
export type OutputFile = { readonly stdout: true } | { readonly stdout: false; readonly path: string };

function kind<Value>(
  name: string,
  placeholder: string,
  expected: string,
  parse: (text: string) => Value | undefined,
  format: (value: Value) => string = String,
): ValueKind<Value> {
  return { name, placeholder, expected, parse, format };
}

/** A number written as one (not '', not ' ', not 0x10): Number() alone takes all of those. */
function decimal(text: string): number | undefined {
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text.trim())) return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}

function integerFrom(text: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const value = decimal(text);
  return value !== undefined && Number.isInteger(value) && value >= min && value <= max ? value : undefined;
}

function numberFrom(text: string, min: number, max: number): number | undefined {
  const value = decimal(text);
  return value !== undefined && value >= min && value <= max ? value : undefined;
}

export const positiveInt = (placeholder = '<n>') =>
  kind('positive integer', placeholder, 'a positive integer', (text) => integerFrom(text, 1));

export const nonNegativeInt = (placeholder = '<n>') =>
  kind('non-negative integer', placeholder, 'a non-negative integer', (text) => integerFrom(text, 0));

export const integerRange = (min: number, max: number, placeholder = '<n>') =>
  kind('integer in a range', placeholder, `an integer from ${min} to ${max}`, (text) => integerFrom(text, min, max));

export const numberRange = (min: number, max: number, placeholder = '<x>') =>
  kind('number in a range', placeholder, `a number from ${min} to ${max}`, (text) => numberFrom(text, min, max));

export const seconds = (min: number, max: number) =>
  kind('seconds', '<s>', `a number of seconds from ${min} to ${max}`, (text) => numberFrom(text, min, max));

export const probability = () =>
  kind('probability', '<p>', 'a probability from 0 to 1', (text) => numberFrom(text, 0, 1));

export const dollars = () =>
  kind('dollars', '<usd>', 'an amount in dollars (e.g. 2.50)', (text) =>
    numberFrom(text.replace(/^\$/, ''), 0, Number.MAX_SAFE_INTEGER),
  );

export const positiveIntList = () =>
  kind<number[]>(
    'comma list of positive integers',
    '<list>',
    'a comma-separated list of positive integers (e.g. 1,5,10)',
    (text) => {
      const items = text.split(',').map((item) => integerFrom(item, 1));
      return items.every((item) => item !== undefined) ? (items as number[]) : undefined;
    },
    (value) => value.join(','),
  );

/** One of `names` (a choice table's names, so help, refusal and schema share one list). */
export const choice = <const Name extends string>(names: readonly Name[], placeholder = '<name>') =>
  kind<Name>('choice', placeholder, `one of ${listChoices(names)}`, (text) => names.find((name) => name === text));

/** One of a few numbers, written as they are (`--shots 3|0`). */
export const numberChoice = <const Value extends number>(values: readonly Value[]) =>
  kind<Value>('choice', '<n>', `one of ${listChoices(values.map(String))}`, (text) =>
    values.find((value) => String(value) === text),
  );

export const shard = () =>
  kind<Shard>(
    'shard',
    '<i/n>',
    'I/N with 0 <= I < N and N >= 2 (e.g. 0/4 for the first of four)',
    (text) => {
      const match = /^(\d+)\/(\d+)$/.exec(text.trim());
      const index = Number(match?.[1]);
      const count = Number(match?.[2]);
      return match && count >= 2 && index < count ? { index, count } : undefined;
    },
    (value) => `${value.index}/${value.count}`,
  );

const nonEmpty = (text: string) => (text === '' ? undefined : text);

/** Free text: a test statement, a host, a command template. */
export const text = (placeholder: string) => kind('text', placeholder, 'non-empty', nonEmpty);

/** A model: NAME, NAME@URL[,URL...] or a name from the config file (resolved by the command). */
export const modelSpec = () => kind('model spec', '<spec>', 'a model (NAME or NAME@URL)', nonEmpty);

/** A dataset's name or a .jsonl task file (loaded by the command, which names the choices). */
export const dataset = () => kind('dataset', '<dataset>', 'a dataset name or a .jsonl task file', nonEmpty);

export const fileToRead = (placeholder = '<file>') => kind('file to read', placeholder, 'a file', nonEmpty);

/** A SQLite cache file (read and written in place). */
export const cacheFile = () => kind('cache file', '<file>', 'a file', nonEmpty);

export const folderToRead = () => kind('folder to read', '<dir>', 'a folder', nonEmpty);

/** A file the command writes, or `-` for standard output. */
export const fileToWrite = (placeholder = '<file>') =>
  kind<OutputFile>(
    'file to write',
    placeholder,
    'a file to write, or - for standard output',
    (text) => (text === '' ? undefined : text === '-' ? { stdout: true } : { stdout: false, path: text }),
    (value) => (value.stdout ? '-' : value.path),
  );

/** A folder the command writes (a run folder): it cannot go to standard output. */
export const folderToWrite = () =>
  kind('folder to write', '<dir>', 'a folder: it holds many files, so it cannot be - (standard output)', (text) =>
    text === '' || text === '-' ? undefined : text,
  );
