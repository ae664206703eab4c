/**
 * The option table keeps its promises on every command, derived from the table itself so that a new
 * option or command is covered without a new test: a bad value is refused in one style before anything
 * runs, every --help lists the exit codes, and a flag has one kind wherever it appears.
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCapture } from '../../test/support/cli.js';
import { type AnyCommand, COMMANDS } from './commands.js';
import type { Flag } from './flags.js';
import { OPTIONS } from './options.js';

const commands = COMMANDS as readonly AnyCommand[];
const entries = (command: AnyCommand) => Object.entries(command.flags) as [string, Flag<unknown, unknown>][];

/** Kinds whose text is checked when it is read (free text, files and models are checked by the command). */
const CHECKED_KINDS = new Set([
  'positive integer',
  'non-negative integer',
  'integer in a range',
  'number in a range',
  'seconds',
  'probability',
  'dollars',
  'comma list of positive integers',
  'choice',
  'shard',
]);
const BAD_VALUES: Record<string, readonly string[]> = { 'folder to write': ['-'] };
const badValues = (kindName: string) => BAD_VALUES[kindName] ?? (CHECKED_KINDS.has(kindName) ? ['abc', '-1'] : []);

/** The words that reach a command: its path and a stand-in for each argument. */
const commandLine = (command: AnyCommand) => [...command.path, ...command.args.map(() => 'x')];

describe('every option of the table', () => {
  const cases = commands.flatMap((command) =>
    entries(command).flatMap(([, flag]) =>
      badValues(flag.spec.kind?.name ?? '').map((bad) => ({ command, flag, bad })),
    ),
  );

  it('covers every checked kind on some command', () => {
    const covered = new Set(cases.map(({ flag }) => flag.spec.kind?.name));
    expect([...CHECKED_KINDS, 'folder to write'].filter((kind) => !covered.has(kind))).toEqual([]);
    expect(cases.length).toBeGreaterThan(100);
  });

  it('refuses a bad value with exit 2 and one message naming the flag, before writing anything', async () => {
    const problems: string[] = [];
    for (const { command, flag, bad } of cases) {
      const cwd = mkdtempSync(join(tmpdir(), 'nxt-bad-value-'));
      const argv = [...commandLine(command), flag.name, bad];
      const result = await runCapture(argv, { cwd });
      const expected = `nxt: ${flag.name} must be ${flag.spec.kind?.expected}, got '${bad}'\n`;
      if (result.code !== 2 || result.stdout !== '' || result.stderr !== expected)
        problems.push(`nxt ${argv.join(' ')}: exit ${result.code}, ${JSON.stringify(result.stderr)}`);
      if (readdirSync(cwd).length > 0) problems.push(`nxt ${argv.join(' ')} wrote ${readdirSync(cwd).join(', ')}`);
    }
    expect(problems).toEqual([]);
  });

  it("refuses a retired spelling, naming the new one; commander's own refusals read nxt: too", async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'nxt-retired-'));
    for (const command of commands) {
      for (const retired of command.retired ?? []) {
        const flag = retired.flags.split(' ')[0] as string;
        expect(await runCapture([...commandLine(command), flag, 'x'], { cwd })).toEqual({
          code: 2,
          stdout: '',
          stderr: `nxt: ${retired.message}\n`,
        });
        expect(retired.message).toMatch(new RegExp(`^${flag} is now --[a-z-]+`));
      }
    }
    expect(await runCapture(['llm', 'ping'], { cwd })).toEqual({
      code: 2,
      stdout: '',
      stderr: "nxt: required option '--model <spec>' not specified\n(run with --help for usage)\n",
    });
    expect((await runCapture(['compare', 'a'], { cwd })).stderr).toBe(
      "nxt: missing required argument 'b'\n(run with --help for usage)\n",
    );
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('has one kind per spelling on every command, and every command takes its options from the table', () => {
    const table = Object.entries(OPTIONS) as [string, Flag<unknown, unknown>][];
    const kinds = new Map<string, Set<string>>();
    const strays: string[] = [];
    for (const command of commands) {
      for (const [key, flag] of entries(command)) {
        const kind = `${flag.spec.shape} ${flag.spec.kind?.name ?? ''}`.trim();
        kinds.set(flag.name, new Set([...(kinds.get(flag.name) ?? []), kind]));
        // The same spelling and kind object as a table entry: picked from the table, not declared again;
        // and read under the name the user types (--no-exec-cache is noExecCache).
        const picked = table.some(([, entry]) => entry.name === flag.name && entry.spec.kind === flag.spec.kind);
        const spelled = flag.name.slice(2).replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());
        if (!picked || key !== spelled) strays.push(`nxt ${command.path.join(' ')} ${flag.name} (as ${key})`);
      }
    }
    expect(strays).toEqual([]);
    const mixed = [...kinds].filter(([, found]) => found.size > 1).map(([name, found]) => [name, [...found].sort()]);
    // --out is the one spelling with two kinds: a file where a command writes one (- is standard
    // output), a folder where it writes a run folder (- is refused).
    expect(mixed).toEqual([['--out', ['value file to write', 'value folder to write']]]);
  });
});

describe('--help', () => {
  it('lists the exit codes at the top and, on every command, those that apply to it', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'nxt-help-'));
    const top = await runCapture(['--help'], { cwd });
    expect(top.stdout).toMatch(
      /Exit codes.*\n {2}0 {4}success\n {2}1 {4}.*\n {2}2 {4}bad usage.*\n {2}70 {3}internal.*\n {2}130 {2}interrupted/,
    );
    for (const command of commands) {
      const { code, stdout } = await runCapture([...command.path, '--help'], { cwd });
      expect(code).toBe(0);
      const codes = [...(stdout.split('\nExit codes:\n')[1] ?? '').matchAll(/^ {2}(\d+) /gm)].map((match) => match[1]);
      const expected = ['0', ...(command.exits.failed ? ['1'] : []), '2', '70'];
      if (command.exits.interrupt !== 'stops') expected.push('130');
      expect(codes, `nxt ${command.path.join(' ')} --help`).toEqual(expected);
    }
  });
});
