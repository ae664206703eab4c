/**
 * A table of named choices (trace formats, strategies, datasets, trainers): the one place a set of
 * names is written. CLI choices, help text, validation messages and schemas are derived from it.
 */
export type ChoiceTable = Readonly<Record<string, { readonly description: string }>>;

/** `items` as a non-empty tuple (what `z.enum` takes); an empty list is a programming error. */
export function nonEmpty<Item>(items: readonly Item[]): [Item, ...Item[]] {
  const [first, ...rest] = items;
  if (first === undefined) throw new Error('a choice table needs at least one entry');
  return [first, ...rest];
}

/** The table's names, in table order. */
export function choiceNames<Table extends ChoiceTable>(
  table: Table,
): [keyof Table & string, ...(keyof Table & string)[]] {
  return nonEmpty(Object.keys(table).filter((name): name is keyof Table & string => Object.hasOwn(table, name)));
}

export function isChoice<Table extends ChoiceTable>(table: Table, value: string): value is keyof Table & string {
  return Object.hasOwn(table, value);
}

/** `a, b or c` */
export function listChoices(names: readonly string[]): string {
  return names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} or ${names.at(-1)}`;
}

/** Help text for a flag whose value is one of `names`: `a (what a is), b (what b is)`. */
export function describeChoices(table: ChoiceTable, names: readonly string[] = Object.keys(table)): string {
  return names.map((name) => `${name} (${table[name]?.description ?? ''})`).join(', ');
}
