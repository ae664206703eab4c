import type { CliIo } from './io.js';

/** Progress on stderr: a redrawn line on a terminal, otherwise a line at every tenth. */
export function progress(io: CliIo, label: string): { update(done: number, total: number | null): void; end(): void } {
  let lastTenth = -1;
  let drawn = false;
  const started = Date.now();
  return {
    update(done, total) {
      const fraction = total ? done / total : 0;
      const eta = total && done > 0 ? ((Date.now() - started) / done) * (total - done) : null;
      const text = `${label}: ${done}${total ? `/${total} (${Math.floor(fraction * 100)}%)` : ''}${eta !== null && done < (total ?? 0) ? `, ${Math.ceil(eta / 1000)} s left` : ''}`;
      if (io.isTty) {
        io.stderr(`\r${text}\u001b[K`);
        drawn = true;
        return;
      }
      const tenth = Math.floor(fraction * 10);
      if (tenth > lastTenth) {
        lastTenth = tenth;
        io.stderr(`${text}\n`);
      }
    },
    end() {
      if (drawn) io.stderr('\n');
    },
  };
}
