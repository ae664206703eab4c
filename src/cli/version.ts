import { readFileSync } from 'node:fs';

/** nxt's version, read once from its package.json (two folders up from src/cli and from dist/cli alike). */
export const NXT_VERSION: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
