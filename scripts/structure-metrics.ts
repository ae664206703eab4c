/**
 * Measures of the codebase's structure, for closing notes: how many source files spell a run folder's
 * file names, how many places read JSONL, functions over 80 lines, files over 400 lines. (Import
 * back-edges and cycles are Biome's to refuse: `npm run lint` fails on any.)
 *
 *   npx tsx scripts/structure-metrics.ts [--list]
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

const root = join(import.meta.dirname, '..');
const list = process.argv.includes('--list');

function sources(dir: string): string[] {
  return readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts') && !file.includes('testing/'))
    .map((file) => join(root, dir, file));
}

/** The file names of a run folder (and of a self-training folder). */
const RUN_FILES =
  /['"`/](manifest\.json|samples\.jsonl|results\.jsonl|prompts\.jsonl|turns\.jsonl|ratings\.jsonl|summary\.json|state\.json|summary\.md|report\.html)['"`]/;

/** A place that reads JSONL: splits text into lines and parses each as JSON. */
function readsJsonl(text: string): number {
  let count = 0;
  const lines = text.split('\n');
  for (let at = 0; at < lines.length; at++) {
    if (!/split\((['"`])\\n\1\)|split\(\/\\r\?\\n\/\)|createInterface\(/.test(lines[at] as string)) continue;
    const window = lines.slice(at, at + 12).join('\n');
    if (/JSON\.parse/.test(window)) count++;
  }
  return count;
}

function longFunctions(file: string, text: string): { name: string; lines: number }[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: { name: string; lines: number }[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const start = source.getLineAndCharacterOfPosition(node.getStart()).line;
      const end = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      const lines = end - start + 1;
      if (lines > 80) {
        const name = node.name?.getText(source) ?? `(anonymous at line ${start + 1})`;
        found.push({ name, lines });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

const files = sources('src');
const naming: string[] = [];
const readers: string[] = [];
const long: string[] = [];
const big: string[] = [];
for (const file of files) {
  const text = readFileSync(file, 'utf8');
  const name = relative(root, file);
  if (RUN_FILES.test(text)) naming.push(name);
  const reads = readsJsonl(text);
  if (reads > 0) readers.push(`${name} (${reads})`);
  for (const fn of longFunctions(file, text)) long.push(`${name}: ${fn.name} ${fn.lines} lines`);
  const lineCount = text.split('\n').length;
  if (lineCount > 400) big.push(`${name} ${lineCount} lines`);
}
const show = (title: string, items: string[]) => {
  console.log(`${title}: ${items.length}`);
  if (list) for (const item of items) console.log(`  ${item}`);
};
show('source files that spell a run folder file name', naming);
show('source files that read JSONL themselves', readers);
show('functions over 80 lines', long);
show('source files over 400 lines', big);
