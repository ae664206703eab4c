import { execFile } from 'node:child_process';
import { NxtError } from '../shared/index.js';

/** What nxt needs to know about a Python interpreter before sandboxing it. */
export interface PythonInfo {
  /** What the user asked for (`python3`, a path). */
  requested: string;
  /** Absolute path of the real interpreter binary (`sys.executable`, shims resolved). */
  executable: string;
  version: string;
  versionInfo: readonly [number, number, number];
  /** `sys.prefix` and `sys.base_prefix`: where the standard library lives. */
  prefixes: readonly string[];
}

const PROBE = `import json, sys
print(json.dumps({"executable": sys.executable, "version": sys.version,
  "versionInfo": list(sys.version_info[:3]), "prefixes": sorted({sys.prefix, sys.base_prefix})}))`;

/** Runs `python -I -S` once to learn its real path, version and prefixes. Throws `NxtError('python')`. */
export async function probePython(requested: string): Promise<PythonInfo> {
  const output = await new Promise<string>((resolve, reject) => {
    execFile(requested, ['-I', '-S', '-c', PROBE], { timeout: 15_000 }, (error, stdout, stderr) => {
      if (error) reject(Object.assign(error, { stderr }));
      else resolve(stdout);
    });
  }).catch((error: unknown) => {
    throw new NxtError(
      'python',
      `cannot run the Python interpreter '${requested}': ${(error as Error).message.split('\n')[0]}. ` +
        'Install python3 (3.8 or newer) or point nxt at one with --python PATH.',
      { cause: error },
    );
  });
  const info = JSON.parse(output) as Omit<PythonInfo, 'requested'>;
  const [major = 0, minor = 0] = info.versionInfo;
  if (major !== 3 || minor < 8) {
    throw new NxtError(
      'python',
      `'${requested}' is Python ${info.versionInfo.join('.')}; nxt needs Python 3.8 or newer.`,
    );
  }
  if (!info.executable) {
    throw new NxtError('python', `'${requested}' does not report its own path (sys.executable is empty).`);
  }
  return { requested, ...info };
}
