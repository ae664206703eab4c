import { closeSync, lstatSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
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
  /** The first uid: a multiple of `UID_RANGE_SIZE`, so ranges of any two bases never overlap. */
  base: number;
  /** Ranges skipped above the first one at or above the requested base (0: the first was free). */
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

/** Takes lock file `path` if it is free or its holder is gone. */
function claimFile(path: string, mine: string): boolean {
  if (createExclusive(path, mine)) return true;
  const content = readOrNull(path);
  if (content === null || isLive(content)) return false;
  return takeOver(path, content, mine);
}

function unlinkMine(files: readonly string[], mine: string): void {
  for (const file of files) {
    if (readOrNull(file) === mine) {
      try {
        unlinkSync(file);
      } catch {}
    }
  }
}

/** The base uid of nxt versions that named ranges by their offset from it (`range-K`). */
const LEGACY_BASE = 2_000_000_000;

/**
 * Earlier nxt versions hold range k above the default base as `range-k`: the same uids as the aligned
 * block at 2,000,000,000 + 256k. Holding that file too keeps an older nxt beside this one off our uids.
 */
function legacyLockFiles(dir: string, base: number): string[] {
  const offset = base - LEGACY_BASE;
  return offset >= 0 && offset % UID_RANGE_SIZE === 0 ? [join(dir, `range-${offset / UID_RANGE_SIZE}`)] : [];
}

/**
 * The lock folder must be nxt's own: a folder another user made (or a symbolic link they planted)
 * would let them hold, or free, every range. Created 0700 when missing; refused when it is not a
 * directory owned by this user that only this user can write.
 */
function checkLockDir(dir: string): void {
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') mkdirSync(dir, { recursive: true, mode: 0o700 });
    else if (code !== 'EEXIST') throw error;
  }
  const info = lstatSync(dir);
  const uid = process.getuid?.() ?? 0;
  const why = info.isSymbolicLink()
    ? 'is a symbolic link'
    : !info.isDirectory()
      ? 'is not a directory'
      : info.uid !== uid
        ? `belongs to uid ${info.uid}`
        : (info.mode & 0o022) !== 0
          ? `can be written by others (mode ${(info.mode & 0o777).toString(8)})`
          : null;
  if (why !== null) {
    throw new NxtError(
      'sandbox',
      `the uid lock folder ${dir} ${why}: another user could hold or free nxt's uid ranges. Remove it (nxt makes its own) or choose another with uidLockDir.`,
    );
  }
}

/**
 * Claims a range of `UID_RANGE_SIZE` uids at or above `uidBase` that no other live nxt process of
 * this machine holds. Ranges are aligned to absolute multiples of `UID_RANGE_SIZE` and each is held
 * through the lock file `dir/uids-<first uid>` (pid and start time), so two nxt processes never share a
 * uid whatever bases they were given. A file whose process is gone is taken over. The range is
 * released on `release()` or at exit.
 */
export function claimUidRange(uidBase: number, dir = defaultUidLockDir()): UidRange {
  checkLockDir(dir);
  const mine = owner();
  const first = Math.ceil(uidBase / UID_RANGE_SIZE);
  for (let index = 0; index < RANGES; index++) {
    const base = (first + index) * UID_RANGE_SIZE;
    if (base + UID_RANGE_SIZE > 4_294_967_294) break;
    const lockFile = join(dir, `uids-${base}`);
    const files = [lockFile, ...legacyLockFiles(dir, base)];
    const held: string[] = [];
    for (const file of files) {
      if (!claimFile(file, mine)) break;
      held.push(file);
    }
    if (held.length < files.length) {
      unlinkMine(held, mine);
      continue;
    }
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      process.removeListener('exit', release);
      unlinkMine(held, mine);
    };
    process.on('exit', release);
    return { base, index, lockFile, release };
  }
  throw new NxtError(
    'sandbox',
    `no free range of ${UID_RANGE_SIZE} uids above ${uidBase}: ${RANGES} nxt processes hold one (lock files in ${dir})`,
  );
}
