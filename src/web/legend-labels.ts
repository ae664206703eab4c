const SEPARATORS = ['-', '_', '/', '.', ' '];

export interface LegendLabels {
  /** What every run name starts with and the labels leave out ('' when nothing is left out). */
  prefix: string;
  labelOf(name: string): string;
}

/**
 * Labels for runs in chart legends and axes: the prefix all names share, up to a separator, is left out
 * (`humanevalfix-fake-seed-1`, `humanevalfix-fake-seed-2` -> `seed-1`, `seed-2`), so the part that tells
 * runs apart is what the legend shows. One name, or names sharing nothing, keep their full names.
 */
export function legendLabels(names: readonly string[]): LegendLabels {
  const distinct = [...new Set(names)];
  let prefix = distinct.length > 1 ? (distinct[0] ?? '') : '';
  for (const name of distinct) while (!name.startsWith(prefix)) prefix = prefix.slice(0, -1);
  prefix = prefix.slice(0, Math.max(...SEPARATORS.map((separator) => prefix.lastIndexOf(separator))) + 1);
  if (distinct.includes(prefix)) prefix = '';
  return { prefix, labelOf: (name) => (name.startsWith(prefix) ? name.slice(prefix.length) : name) };
}
