// Regenerates the README's screenshots: the viewer's sample page and a report, from small real runs
// (two strategies on the same tasks, and a self-training run), so the report shows legends, interval
// bars and the self-training chart.
//   npx tsx scripts/screenshots.ts
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { createSandbox } from '../src/sandbox/index.js';
import { buildReport, startViewer } from '../src/web/index.js';
import { makeDemoRun } from '../test/support/demo-run.js';
import { makeDemoSelftrain } from '../test/support/demo-selftrain.js';

const runsDir = mkdtempSync(join(tmpdir(), 'nxt-shots-'));
const sandbox = await createSandbox();
const { tasks, dir } = await makeDemoRun(sandbox, runsDir, 'humanevalfix-scripted-nxt');
const { dir: multiTurn } = await makeDemoRun(sandbox, runsDir, 'humanevalfix-scripted-self-debug', true);
const selftrain = await makeDemoSelftrain(sandbox, runsDir, 'humanevalfix-scripted-selftrain');
const viewer = await startViewer({ runsDir, sandbox, loadTasks: async () => tasks });
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
await page.goto(`${viewer.url}/run/humanevalfix-scripted-nxt/sample/Python%2F3/sample/0`);
await page.screenshot({ path: 'docs/screenshots/sample.png', fullPage: true });
const report = await buildReport([dir, multiTurn, selftrain]);
const file = join(runsDir, 'report.html');
writeFileSync(file, report.html);
await page.goto(`file://${file}`);
await page.screenshot({ path: 'docs/screenshots/report.png', fullPage: true });
await browser.close();
await viewer.close();
await sandbox.close();
console.log(`wrote docs/screenshots/sample.png and docs/screenshots/report.png (runs in ${runsDir})`);
