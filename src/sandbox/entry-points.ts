import { z } from 'zod';

/** What `inferEntryPoints` found (python/nxt/server/entry_points.py has the rule). */
export const EntryPointInferenceSchema = z.object({
  /** The functions of the program the tests call, in order of first call. */
  entryPoints: z.array(z.string()),
  /** Every name the program binds at module level; null when it does not parse. */
  defined: z.array(z.string()).nullable(),
  /** Why the program does not parse, e.g. `SyntaxError: invalid syntax at line 1`; null when it does. */
  programError: z.string().nullable(),
  /** Every name the tests call without binding it themselves, in order of first call. */
  called: z.array(z.string()),
});
export type EntryPointInference = z.infer<typeof EntryPointInferenceSchema>;

/**
 * The request fields for an `entryPoint` option: `entryPoint` is the task's function (the first named);
 * `entryPoints`, sent only when there are several, are all the functions whose calls are sealed, in a
 * test of one call or forwarded from the test process.
 */
export function entryPointFields(entryPoint: string | readonly string[] | undefined): {
  entryPoint?: string;
  entryPoints?: string[];
} {
  const names = entryPoint === undefined ? [] : typeof entryPoint === 'string' ? [entryPoint] : [...entryPoint];
  const [first] = names;
  if (first === undefined) return {};
  return names.length > 1 ? { entryPoint: first, entryPoints: names } : { entryPoint: first };
}
