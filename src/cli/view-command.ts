import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { UsageError } from '../shared/index.js';
import { isRepairTask } from '../tasks/index.js';
import type { ReportFlags, ViewFlags } from './command-flags.js';
import { loadTasks } from './data-command.js';
import type { CliIo } from './io.js';
import { writeOutput } from './output.js';
import { sandboxOptions } from './sandbox-flags.js';

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
  const { port } = flags;
  const { startViewer } = await import('../web/index.js');
  const { createSandbox } = await import('../sandbox/index.js');
  const sandbox = await createSandbox(sandboxOptions(flags, io.env));
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

/**
 * `nxt report DIR... --out report.html`: a self-contained HTML report and a Markdown summary (next to
 * the HTML unless --markdown says where). Either can go to standard output (`-`), not both; with the
 * HTML on standard output the summary is written only where --markdown says.
 */
export async function reportCommand(dirs: string[], flags: ReportFlags, io: CliIo): Promise<number> {
  if (dirs.length === 0) throw new UsageError('give at least one run folder');
  if (flags.out.stdout && flags.markdown?.stdout)
    throw new UsageError(
      '--out - and --markdown - would mix HTML and Markdown on standard output: write one to a file',
    );
  const { buildReport } = await import('../web/index.js');
  const report = await buildReport(dirs.map((dir) => resolve(io.cwd, dir)));
  const nextToHtml = flags.out.stdout
    ? undefined
    : { stdout: false as const, path: `${flags.out.path.replace(/\.html?$/, '')}.md` };
  const markdown = flags.markdown ?? nextToHtml;
  const wrote = [await writeOutput(flags.out, report.html, io)];
  if (markdown) wrote.push(await writeOutput(markdown, report.markdown, io));
  const files = wrote.filter((file) => file !== null).map((file) => resolve(io.cwd, file));
  if (files.length > 0) io.stderr(`nxt: wrote ${files.join(' and ')}\n`);
  return 0;
}
