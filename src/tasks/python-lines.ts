/**
 * Just enough of Python's tokenizer to cut source into logical lines and statements: it follows
 * strings (all quote kinds, prefixes, triple quotes), comments, brackets and backslash continuations.
 * Used on dataset test code, which is trusted text: nothing here runs Python.
 */

/** A logical line: its text (possibly several physical lines), indentation and first line number. */
export interface LogicalLine {
  text: string;
  indent: number;
  line: number;
}

/** Splits source into logical lines, skipping blank and comment-only lines. */
export function logicalLines(source: string): LogicalLine[] {
  const lines: LogicalLine[] = [];
  let depth = 0;
  let quote: string | null = null;
  let start = 0;
  let startLine = 1;
  let line = 1;
  let index = 0;
  const flush = (end: number) => {
    const text = source.slice(start, end).replace(/\s+$/, '');
    const body = text.trimStart();
    if (body !== '' && !body.startsWith('#')) {
      lines.push({ text, indent: text.length - body.length, line: startLine });
    }
  };
  while (index < source.length) {
    const char = source[index] as string;
    if (quote) {
      if (char === '\\') {
        if (source[index + 1] === '\n') line += 1;
        index += 2;
        continue;
      }
      if (char === '\n') line += 1;
      if (source.startsWith(quote, index)) {
        index += quote.length;
        quote = null;
        continue;
      }
      index += 1;
      continue;
    }
    if (char === '#') {
      while (index < source.length && source[index] !== '\n') index += 1;
      continue;
    }
    if (char === '"' || char === "'") {
      quote = source.startsWith(char.repeat(3), index) ? char.repeat(3) : char;
      index += quote.length;
      continue;
    }
    if (char === '(' || char === '[' || char === '{') depth += 1;
    else if (char === ')' || char === ']' || char === '}') depth = Math.max(0, depth - 1);
    else if (char === '\\' && source[index + 1] === '\n') {
      index += 2;
      line += 1;
      continue;
    } else if (char === '\n') {
      line += 1;
      if (depth === 0) {
        flush(index);
        start = index + 1;
        startLine = line;
      }
    }
    index += 1;
  }
  flush(source.length);
  return lines;
}

const CONTINUATIONS = /^(else|elif|except|finally)\b/;

/** Groups logical lines at `indent` into statements: a compound statement keeps its indented body. */
export function statements(lines: readonly LogicalLine[]): LogicalLine[][] {
  const groups: LogicalLine[][] = [];
  const base = lines[0]?.indent ?? 0;
  for (const line of lines) {
    const last = groups[groups.length - 1];
    const body = line.text.trimStart();
    if (last && (line.indent > base || (line.indent === base && CONTINUATIONS.test(body)))) last.push(line);
    else groups.push([line]);
  }
  return groups;
}

/** Removes `amount` leading columns from every physical line of a statement. */
export function dedent(text: string, amount: number): string {
  return text
    .split('\n')
    .map((line) => (line.slice(0, amount).trim() === '' ? line.slice(amount) : line.trimStart()))
    .join('\n');
}

/** Replaces the name `from` with `to` where it is a whole identifier outside strings and comments. */
export function renameIdentifier(source: string, from: string, to: string): string {
  let out = '';
  let quote: string | null = null;
  let index = 0;
  while (index < source.length) {
    const char = source[index] as string;
    if (quote) {
      if (char === '\\') {
        out += source.slice(index, index + 2);
        index += 2;
        continue;
      }
      if (source.startsWith(quote, index)) {
        out += quote;
        index += quote.length;
        quote = null;
        continue;
      }
      out += char;
      index += 1;
      continue;
    }
    if (char === '#') {
      const end = source.indexOf('\n', index);
      const stop = end < 0 ? source.length : end;
      out += source.slice(index, stop);
      index = stop;
      continue;
    }
    if (char === '"' || char === "'") {
      quote = source.startsWith(char.repeat(3), index) ? char.repeat(3) : char;
      out += quote;
      index += quote.length;
      continue;
    }
    if (/[A-Za-z_]/.test(char)) {
      let end = index;
      while (end < source.length && /[A-Za-z0-9_]/.test(source[end] as string)) end += 1;
      const word = source.slice(index, end);
      const previous = out.trimEnd().at(-1);
      out += word === from && previous !== '.' ? to : word;
      index = end;
      continue;
    }
    out += char;
    index += 1;
  }
  return out;
}
