import { existsSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { UsageError } from '../shared/index.js';
import { isRepairTask } from '../tasks/index.js';
import { type DataFlags, loadTasks } from './data-command.js';
import type { CliIo } from './io.js';
import { positiveInt, type SandboxFlagValues, sandboxOptions } from './sandbox-flags.js';

export interface ViewFlags extends DataFlags, SandboxFlagValues {
  host?: string;
  port?: string;
  exposeOnNetwork?: boolean;
}

/** `nxt view`: the local viewer; runs until interrupted. */
export async function viewCommand(
  runsDir: string | undefined,
  flags: ViewFlags,
  io: CliIo,
  until: Promise<void>,
): Promise<number> {
  const host = flags.host ?? '127.0.0.1';
  const local = host === '127.0.0.1' || host === 'localhost' || host === '::1';
  if (!local && !flags.exposeOnNetwork) {
    throw new UsageError(
      `--host ${host} would let other machines read your runs: add --expose-on-network if you mean it`,
    );
  }
  if (!local)
    io.stderr(`nxt: WARNING: the viewer listens on ${host}: anyone who can reach this machine can read these runs\n`);
  const folder = resolve(io.cwd, runsDir ?? 'runs');
  if (!existsSync(folder) || !statSync(folder).isDirectory()) {
    throw new UsageError(
      `${runsDir ?? 'runs'} is not a folder: give the folder that holds your run folders (default runs/)`,
    );
  }
  const port = flags.port === undefined ? undefined : positiveInt(flags.port, '--port');
  if (port !== undefined && port > 65_535) throw new UsageError(`--port must be at most 65535, got ${port}`);
  const { startViewer } = await import('../web/index.js');
  const { createSandbox } = await import('../sandbox/index.js');
  const sandbox = await createSandbox(sandboxOptions({ ...flags, workers: flags.workers ?? '1' }, io.env));
  let viewer: Awaited<ReturnType<typeof startViewer>>;
  try {
    viewer = await startViewer({
      runsDir: folder,
      host,
      ...(port === undefined ? {} : { port }),
      sandbox,
      loadTasks: async (dataset) => (await loadTasks(dataset, flags, io)).filter(isRepairTask),
    });
  } catch (error) {
    await sandbox.close();
    const code = (error as { code?: string }).code;
    if (code === 'EADDRINUSE') {
      throw new UsageError(
        `port ${port} on ${host} is in use (another nxt view?): choose another --port, or leave it out for a free one`,
      );
    }
    if (code === 'EADDRNOTAVAIL') throw new UsageError(`${host} is not an address of this machine: check --host`);
    throw error;
  }
  io.stdout(`nxt viewer on ${viewer.url} (Ctrl-C to stop)\n`);
  await until;
  await viewer.close();
  await sandbox.close();
  return 0;
}

/** `nxt report DIR... --out report.html`: a self-contained HTML report and a Markdown summary. */
export async function reportCommand(
  dirs: string[],
  flags: { out?: string; markdown?: string },
  io: CliIo,
): Promise<number> {
  if (dirs.length === 0) throw new UsageError('give at least one run folder');
  const { buildReport } = await import('../web/index.js');
  const report = await buildReport(dirs.map((dir) => resolve(io.cwd, dir)));
  const out = resolve(io.cwd, flags.out ?? 'report.html');
  await writeFile(out, report.html);
  const markdown = resolve(io.cwd, flags.markdown ?? `${out.replace(/\.html?$/, '')}.md`);
  await writeFile(markdown, report.markdown);
  io.stderr(`nxt: wrote ${out} and ${markdown}\n`);
  return 0;
}
