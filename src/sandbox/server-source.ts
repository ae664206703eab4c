import { readFileSync } from 'node:fs';

const PARTS = ['tracer.py', 'mutate.py', 'server.py'] as const;

let cached: string | null = null;

/** The fork-server's Python source (tracer, mutations, then the server), as passed to `python3 -c`. */
export function serverSource(): string {
  cached ??= PARTS.map((part) => readFileSync(new URL(`./python/${part}`, import.meta.url), 'utf8')).join('\n\n');
  return cached;
}
