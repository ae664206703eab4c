import { type Command, Option } from 'commander';
import { UsageError } from '../shared/index.js';
import type { ValueKind } from './option-kinds.js';

/**
 * How a flag takes its value: `value` (`--samples 5`), `repeatable` (`--test A --test B`), `switch`
 * (`--json`), or `negation` (`--no-exec-cache`, true when given).
 */
export type FlagShape = 'value' | 'repeatable' | 'switch' | 'negation';

export interface FlagSpec<Value> {
  readonly long: `--${string}`;
  readonly short?: `-${string}`;
  readonly shape: FlagShape;
  /** How the text is read (value and repeatable flags). */
  readonly kind?: ValueKind<Value>;
  readonly help: string;
  readonly defaultValue?: Value;
  readonly required?: boolean;
}

/**
 * One option as the table declares it. `Out` is what the command receives for it: the parsed value,
 * `undefined` when not given (unless it has a default or is required), a list for repeatable flags and
 * a boolean for switches and negations. Commands adjust an entry with `describe`, `default` and
 * `require`; its spelling and kind stay the table's.
 */
export class Flag<Value, Out> {
  declare readonly out: Out;

  constructor(readonly spec: FlagSpec<Value>) {}

  /** A more specific sentence for one command (where the meaning really differs). */
  describe(help: string): Flag<Value, Out> {
    return new Flag({ ...this.spec, help });
  }

  default(value: Value): Flag<Value, Value> {
    return new Flag({ ...this.spec, defaultValue: value });
  }

  require(): Flag<Value, Value> {
    return new Flag({ ...this.spec, required: true });
  }

  /** The flag as an argv word (negations are spelled `--no-x`). */
  get name(): string {
    return this.spec.long;
  }
}

export function value<Value>(
  long: `--${string}`,
  kind: ValueKind<Value>,
  help: string,
  short?: `-${string}`,
): Flag<Value, Value | undefined> {
  return new Flag({ long, kind, help, shape: 'value', ...(short ? { short } : {}) });
}

export function repeatable<Value>(long: `--${string}`, kind: ValueKind<Value>, help: string): Flag<Value, Value[]> {
  return new Flag({ long, kind, help, shape: 'repeatable' });
}

export function toggle(long: `--${string}`, help: string): Flag<boolean, boolean> {
  return new Flag({ long, help, shape: 'switch' });
}

export function negation(long: `--no-${string}`, help: string): Flag<boolean, boolean> {
  return new Flag({ long, help, shape: 'negation' });
}

/** The options a command takes, by the name its code reads them by. */
export type FlagSet = Readonly<Record<string, Flag<unknown, unknown>>>;

type OptionalKeys<Set extends FlagSet> = {
  [Key in keyof Set]: undefined extends Set[Key]['out'] ? Key : never;
}[keyof Set];

/** What a command receives: each flag of its set, typed as the table declares it. */
export type FlagsOf<Set extends FlagSet> = {
  readonly [Key in Exclude<keyof Set, OptionalKeys<Set>>]: Set[Key]['out'];
} & {
  readonly [Key in OptionalKeys<Set>]?: Exclude<Set[Key]['out'], undefined>;
};

/** `nxt: --samples must be a positive integer, got 'abc'`, for every kind. */
function refusal(flag: string, expected: string, text: string): UsageError {
  return new UsageError(`${flag} must be ${expected}, got '${text}'`);
}

/** The commander option of one flag: spelling, placeholder, help, default, and parsing by its kind. */
function commanderOption(flag: Flag<unknown, unknown>): Option {
  const { long, short, shape, kind, help, defaultValue, required } = flag.spec;
  const placeholder = kind ? ` ${kind.placeholder}` : '';
  const option = new Option(`${short ? `${short}, ` : ''}${long}${placeholder}`, help);
  if (kind) {
    const parse = (text: string): unknown => {
      const parsed = kind.parse(text);
      if (parsed === undefined) throw refusal(long, kind.expected, text);
      return parsed;
    };
    option.argParser<unknown>(
      shape === 'repeatable'
        ? (text, previous) => [...((previous as unknown[] | undefined) ?? []), parse(text)]
        : parse,
    );
  }
  if (defaultValue !== undefined) option.default(defaultValue, kind ? kind.format(defaultValue) : String(defaultValue));
  if (required) option.makeOptionMandatory();
  return option;
}

/** Adds the set's options to `command`, in the set's order. */
export function addFlags(command: Command, set: FlagSet): Command {
  for (const flag of Object.values(set)) command.addOption(commanderOption(flag));
  return command;
}

/** The attribute commander stores a flag under (`--no-cache` shares `cache` with `--cache <file>`). */
function attribute(flag: Flag<unknown, unknown>): string {
  return new Option(flag.spec.long).attributeName();
}

/** What a command receives for one flag, from what commander stored under its attribute. */
function readValue(shape: FlagShape, stored: unknown): unknown {
  switch (shape) {
    case 'negation':
      return stored === false;
    case 'switch':
      return stored === true;
    case 'repeatable':
      return stored ?? [];
    case 'value':
      // false: its --no-x was given (--cache FILE and --no-cache share `cache`).
      return typeof stored === 'boolean' ? undefined : stored;
  }
}

/** The typed values of the set's flags, read from a parsed command. */
export function readFlags<Set extends FlagSet>(command: Command, set: Set): FlagsOf<Set> {
  const flags: Record<string, unknown> = {};
  for (const [key, flag] of Object.entries(set)) {
    const read = readValue(flag.spec.shape, command.getOptionValue(attribute(flag)));
    if (read !== undefined) flags[key] = read;
  }
  return flags as FlagsOf<Set>;
}

/**
 * The flags that give these values again, in the set's order (selftrain prints the command that
 * continues a run). `omit` leaves some out.
 */
export function formatFlags<Set extends FlagSet>(
  set: Set,
  flags: FlagsOf<Set>,
  omit: readonly (keyof Set)[],
): string[] {
  const values = flags as Record<string, unknown>;
  return Object.entries(set).flatMap(([key, flag]) => {
    const given = values[key];
    const { long, shape, kind, defaultValue } = flag.spec;
    if (omit.includes(key) || given === undefined || given === false || given === defaultValue) return [];
    if (shape === 'switch' || shape === 'negation') return [long];
    const items = shape === 'repeatable' ? (given as unknown[]) : [given];
    return items.flatMap((item) => [long, kind ? kind.format(item) : String(item)]);
  });
}
