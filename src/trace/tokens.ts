/** The tokenizers a trace's size is counted in (`--tokenizer`): a choice table's list, read by --help. */
export const TOKEN_ENCODINGS = ['cl100k_base', 'o200k_base'] as const;
export type TokenEncoding = (typeof TOKEN_ENCODINGS)[number];

/**
 * A token counter backed by js-tiktoken (a port of OpenAI's tiktoken). The rank tables are large, so
 * they load only when a counter is first asked for.
 */
export async function createTokenCounter(encoding: TokenEncoding = 'cl100k_base'): Promise<(text: string) => number> {
  const { Tiktoken } = await import('js-tiktoken/lite');
  const ranks =
    encoding === 'o200k_base'
      ? (await import('js-tiktoken/ranks/o200k_base')).default
      : (await import('js-tiktoken/ranks/cl100k_base')).default;
  const tokenizer = new Tiktoken(ranks);
  return (text) => tokenizer.encode(text).length;
}
