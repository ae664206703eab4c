import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * A fixture as one JavaScript file another user can run: the checkout (and its node_modules) may live
 * where that user cannot read (a 0700 temporary folder, /root). nxt's Python sources go beside it,
 * where the sandbox looks for them.
 */
export async function bundleForAnotherUser(fixture: string): Promise<string> {
  const { buildSync } = await import('esbuild');
  const dir = mkdtempSync(join(tmpdir(), 'nxt-bundle-'));
  const outfile = join(dir, 'fixture.mjs');
  buildSync({
    entryPoints: [fixture],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    logLevel: 'silent',
    banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
  });
  cpSync(join(import.meta.dirname, '..', '..', 'src', 'sandbox', 'python'), join(dir, 'python'), { recursive: true });
  execFileSync('chmod', ['-R', 'a+rX', dir]);
  return outfile;
}

/** Whether setpriv (util-linux) is here to run a command as another user. */
export function hasSetpriv(): boolean {
  try {
    execFileSync('setpriv', ['--version']);
    return true;
  } catch {
    return false;
  }
}

/** The command prefix that runs what follows as `uid` with no supplementary groups. */
export function asUser(uid: number): string[] {
  return ['setpriv', `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups'];
}

/** Removes a bundle made by `bundleForAnotherUser`. */
export function removeBundle(outfile: string): void {
  rmSync(dirname(outfile), { recursive: true, force: true });
}
