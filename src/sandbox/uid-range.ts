import { closeSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NxtError } from '../shared/index.js';

/** Uids per nxt process: one per pool slot. */
export const UID_RANGE_SIZE = 256;
/** Ranges tried before giving up (256 × 4000 uids above the base). */
const RANGES = 4000;
/** A takeover left behind by a process that died in the middle of one is ignored after this long. */
const STALE_TAKEOVER_MS = 10_000;

/** A range of uids this process holds until `release()` (or its exit). */
export interface UidRange {
  base: number;
  index: number;
  lockFile: string;
  release(): void;
}

/** Where the lock files live: shared by every nxt process of this machine (root only). */
export function defaultUidLockDir(): string {
  try {
    if (statSync('/run').isDirectory()) return '/run/nxt-uids';
  } catch {}
  return join(tmpdir(), 'nxt-uids');
}

/** The start time of a process (clock ticks since boot), or null when it does not exist. */
function startTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22; the command name (field 2) may hold spaces and parentheses, so count after the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

function owner(): string {
  return `${process.pid} ${startTime(process.pid) ?? '?'}\n`;
}

function isLive(content: string): boolean {
  const [pid, start] = content.trim().split(' ');
  const number = Number(pid);
  if (!Number.isInteger(number) || number <= 0) return false;
  return startTime(number) === start;
}

function createExclusive(path: string, content: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    writeSync(fd, content);
  } finally {
    closeSync(fd);
  }
  return true;
}

function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** Takes over range file `path` whose owner is dead; false if another process got there first. */
function takeOver(path: string, stale: string, mine: string): boolean {
  const takeover = `${path}.takeover`;
  if (!createExclusive(takeover, mine)) {
    try {
      if (Date.now() - statSync(takeover).mtimeMs > STALE_TAKEOVER_MS) unlinkSync(takeover);
    } catch {}
    return false;
  }
  try {
    if (readOrNull(path) !== stale) return false; // someone else took it over meanwhile
    try {
      unlinkSync(path);
    } catch {}
    return createExclusive(path, mine);
  } finally {
    try {
      unlinkSync(takeover);
    } catch {}
  }
}

/**
 * Claims a range of `UID_RANGE_SIZE` uids above `uidBase` that no other live nxt process of this
 * machine holds: range k is held by the process whose pid and start time are in `dir/range-k`.
 * A file whose process is gone is taken over. The range is released on `release()` or at exit.
 */
export function claimUidRange(uidBase: number, dir = defaultUidLockDir()): UidRange {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const mine = owner();
  for (let index = 0; index < RANGES; index++) {
    const base = uidBase + index * UID_RANGE_SIZE;
    if (base + UID_RANGE_SIZE > 4_294_967_294) break;
    const lockFile = join(dir, `range-${index}`);
    let claimed = createExclusive(lockFile, mine);
    if (!claimed) {
      const content = readOrNull(lockFile);
      if (content === null || isLive(content)) continue;
      claimed = takeOver(lockFile, content, mine);
    }
    if (!claimed) continue;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      process.removeListener('exit', release);
      if (readOrNull(lockFile) === mine) {
        try {
          unlinkSync(lockFile);
        } catch {}
      }
    };
    process.on('exit', release);
    return { base, index, lockFile, release };
  }
  throw new NxtError(
    'sandbox',
    `no free range of ${UID_RANGE_SIZE} uids above ${uidBase}: ${RANGES} nxt processes hold one (lock files in ${dir})`,
  );
}
