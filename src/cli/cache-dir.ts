import { homedir } from 'node:os';
import { join } from 'node:path';

/** Where nxt keeps its caches unless told otherwise: $NXT_CACHE_DIR, else $XDG_CACHE_HOME/nxt or ~/.cache/nxt. */
export function nxtCacheDir(env: Readonly<Record<string, string | undefined>>): string {
  return env['NXT_CACHE_DIR'] ?? join(env['XDG_CACHE_HOME'] ?? join(env['HOME'] ?? homedir(), '.cache'), 'nxt');
}
