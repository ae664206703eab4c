/** How many entries of a line run many times are kept: the first `head` and the last `tail`. */
export interface Elision {
  head: number;
  tail: number;
}

/**
 * Keeps the first `head` and last `tail` items with one `null` marking the cut. An ellipsis never
 * stands for a single item: when exactly one would be hidden, one head fewer is kept (as the NExT
 * paper's Figure 1 does: five entries under 3 + 1 render as two, `...`, and the last), or, with a
 * single head to give, nothing is hidden.
 */
export function elide<T>(items: readonly T[], { head, tail }: Elision): (T | null)[] {
  if (items.length <= head + tail) return [...items];
  let heads = head;
  if (items.length - head - tail === 1) {
    if (head <= 1) return [...items];
    heads = head - 1;
  }
  return [...items.slice(0, heads), null, ...items.slice(items.length - tail)];
}
