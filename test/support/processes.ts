import { accessSync, constants, readdirSync, readFileSync, statSync } from 'node:fs';

interface ProcessEntry {
  pid: number;
  ppid: number;
  uid: number;
}

function readProcesses(): ProcessEntry[] {
  const entries: ProcessEntry[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const status = readFileSync(`/proc/${name}/status`, 'utf8');
      const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1] ?? -1);
      entries.push({ pid: Number(name), ppid: Number(fields[1]), uid });
    } catch {
      // the process ended while we looked
    }
  }
  return entries;
}

/** Every process below `roots` (not the roots themselves). */
export function descendantsOf(roots: readonly number[]): number[] {
  const processes = readProcesses();
  const found: number[] = [];
  const frontier = [...roots];
  while (frontier.length > 0) {
    const parent = frontier.pop() as number;
    for (const entry of processes) {
      if (entry.ppid === parent) {
        found.push(entry.pid);
        frontier.push(entry.pid);
      }
    }
  }
  return found;
}

/** Processes running under any of `uids`. */
export function processesOfUids(uids: readonly number[]): number[] {
  return readProcesses()
    .filter((entry) => uids.includes(entry.uid))
    .map((entry) => entry.pid);
}

/**
 * Debian's Chromium, which the browser tests drive with playwright-core; null when it is not installed
 * (those tests then skip, saying so: `apt-get install chromium`; CI installs it).
 */
export const chromiumPath: string | null =
  ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((path) => isExecutableFile(path)) ?? null;
export const NO_CHROMIUM = ': skipped, chromium is not installed (apt-get install chromium)';

/** Test-name suffix of tests that need bubblewrap where it is absent (CI installs it). */
export const NO_BUBBLEWRAP = ': skipped, bubblewrap is not installed (apt-get install bubblewrap)';

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
