const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'] as const;

/** Formats a byte count with binary units: `1 GiB`, `16 MiB`, `512 B`. */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1 && value % 1024 === 0) {
    value /= 1024;
    unit += 1;
  }
  if (value >= 1024 && unit < UNITS.length - 1) {
    return `${(value / 1024).toFixed(1)} ${UNITS[unit + 1]}`;
  }
  return `${value} ${UNITS[unit]}`;
}

/** Formats a duration in milliseconds: `850 ms`, `2.4 s`, `3 min 5 s`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  return `${minutes} min ${seconds} s`;
}
