/**
 * The README renders as written (every code fence closed, headings outside code) and every `nxt`
 * command it shows exists, with every flag it shows.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCapture } from '../support/cli.js';

const README = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
const cwd = mkdtempSync(join(tmpdir(), 'nxt-readme-check-'));

/** The README's lines, each marked with whether it is inside a fenced code block (fences are code). */
function blocks(text: string): { line: string; code: boolean; number: number }[] {
  const out: { line: string; code: boolean; number: number }[] = [];
  let open: string | null = null;
  for (const [index, line] of text.split('\n').entries()) {
    const fence = /^(`{3,}|~{3,})(.*)$/.exec(line);
    if (open === null && fence) {
      open = fence[1] as string;
      out.push({ line, code: true, number: index + 1 });
      continue;
    }
    if (open !== null && fence && (fence[1] as string).startsWith(open) && (fence[2] as string).trim() === '') {
      open = null;
      out.push({ line, code: true, number: index + 1 });
      continue;
    }
    out.push({ line, code: open !== null, number: index + 1 });
  }
  if (open !== null) out.push({ line: '<end of file inside a code block>', code: true, number: -1 });
  return out;
}

async function help(command: readonly string[]): Promise<string> {
  const result = await runCapture([...command, '--help'], { cwd });
  return result.stdout;
}

describe('the README', () => {
  it('closes every code fence, and its headings are outside code', () => {
    const lines = blocks(README);
    expect(lines.filter((item) => item.number === -1)).toEqual([]);
    // A line that would be a heading (## and deeper) must never be swallowed by an unclosed fence.
    const headingsInCode = lines.filter((item) => item.code && /^#{2,6} /.test(item.line));
    expect(headingsInCode.map((item) => `${item.number}: ${item.line}`)).toEqual([]);
    const headings = lines.filter((item) => !item.code && /^#{1,6} /.test(item.line)).map((item) => item.line);
    for (const expected of [
      '## What works today',
      '## Usage',
      '### `nxt eval`: fix rates a paper could print',
      '## Development',
    ])
      expect(headings).toContain(expected);
  });

  it('shows only nxt commands and flags that exist', async () => {
    const commands = blocks(README)
      .filter((item) => item.code)
      .map((item) => item.line.trim().replace(/^npx /, ''))
      .filter((line) => /^nxt( |$)/.test(line))
      .map((line) => line.replace(/\s+#.*$/, ''));
    expect(commands.length).toBeGreaterThan(20);
    const top = await help([]);
    const problems: string[] = [];
    for (const line of commands) {
      const words = line.split(/\s+/).slice(1);
      const path: string[] = [];
      // The command path: leading words that are commands of the one before (nxt eval import, nxt data show).
      let listing = top;
      for (const word of words) {
        if (word.startsWith('-') || !new RegExp(`^  ${word.replace(/[|]/g, '\\|')}[ |]`, 'm').test(listing)) break;
        path.push(word);
        listing = await help(path);
      }
      if (path.length === 0) {
        problems.push(`${line}: no such command`);
        continue;
      }
      const flags = words.filter((word) => word.startsWith('--')).map((word) => word.split('=')[0] as string);
      for (const flag of flags)
        if (!listing.includes(flag)) problems.push(`${line}: nxt ${path.join(' ')} has no ${flag}`);
    }
    expect(problems).toEqual([]);
  }, 120_000);
});
