import type { PromptRecord, ResultRecord } from '../runs/index.js';
import { notRunReasons } from '../sandbox/index.js';
import type { RepairTask } from '../tasks/index.js';
import { renderTrace, type Trace } from '../trace/index.js';
import { lineDiff } from './diff.js';
import { escapeHtml } from './html.js';
import { firstDivergence } from './trace-diff.js';

/** Traces a program on one of the tests (cached by the caller); null when there is no sandbox or no trace. */
export type TraceOf = (
  program: string,
  tests: readonly string[],
  testIndex: number | undefined,
) => Promise<Trace | null>;

export interface SamplePageInput {
  runName: string;
  task: RepairTask | undefined;
  result: ResultRecord;
  prompt: PromptRecord | null;
  traceOf: TraceOf;
}

function renderTraceHtml(trace: Trace, mark: number | null): string {
  // Every entry is shown (no loop elision), so the first diverging step is always visible.
  const text = renderTrace(trace, 'inline', { valueChars: 300, loopHead: 100_000, loopTail: 0 });
  return text
    .split('\n')
    .map((line) => {
      const at = line.indexOf('  # (');
      if (at < 0) return escapeHtml(line);
      let comment = escapeHtml(line.slice(at));
      if (mark !== null) comment = comment.replace(new RegExp(`(\\(${mark}\\) [^;]*;?)`), '<mark>$1</mark>');
      return `${escapeHtml(line.slice(0, at))}<span class="trace-comment">${comment}</span>`;
    })
    .join('\n');
}

function sealedCell(sealed: boolean | undefined): string {
  if (sealed === undefined) return '-';
  return sealed ? 'yes' : '<span title="ran as a statement inside the program\'s process">no</span>';
}

function header(result: ResultRecord, task: RepairTask | undefined): string {
  const verdict = `<span id="verdict" class="${result.pass ? 'pass' : 'fail'}">${result.pass ? 'fixed' : 'not fixed'}</span>`;
  const title = `<h2>${escapeHtml(result.taskId)} · ${escapeHtml(result.mode)} ${escapeHtml(result.index)} · ${verdict}</h2>`;
  if (!task) return title;
  return `${title}\n<p class="muted">${escapeHtml(task.bugLabel?.value ?? '')}</p><pre id="description">${escapeHtml(task.description)}</pre>`;
}

/** The buggy program's trace beside the fix's, on the same test, with the first diverging step marked. */
async function traces(input: SamplePageInput): Promise<string> {
  const { task, result, traceOf } = input;
  let buggyTrace: Trace | null = null;
  let fixedTrace: Trace | null = null;
  if (task) {
    buggyTrace = await traceOf(task.buggyProgram, task.promptTests, task.failingTest ?? undefined);
    if (result.program && buggyTrace)
      fixedTrace = await traceOf(result.program, task.promptTests, buggyTrace.testIndex);
  }
  const divergence = buggyTrace && fixedTrace ? firstDivergence(buggyTrace, fixedTrace) : null;
  const buggy = buggyTrace
    ? renderTraceHtml(buggyTrace, divergence?.a ?? null)
    : escapeHtml(task?.buggyProgram ?? '(task not found)');
  const fixed = fixedTrace
    ? renderTraceHtml(fixedTrace, divergence?.b ?? null)
    : escapeHtml(result.program ?? '(no program)');
  const marks = divergence
    ? `: first diverging step <mark>(${divergence.a ?? '-'})</mark> / <mark>(${divergence.b ?? '-'})</mark>`
    : '';
  return [
    '<div class="columns">',
    `<section><h3>Buggy program, traced on test ${buggyTrace?.testIndex ?? '-'}</h3><pre id="buggy-trace">${buggy}</pre></section>`,
    `<section><h3>Fixed program on the same test${marks}</h3><pre id="fixed-trace">${fixed}</pre></section>`,
    '</div>',
  ].join('\n');
}

/** What the model was asked: every message of the first turn, as sent (shots included). */
function promptSection(prompt: PromptRecord): string {
  const messages = prompt.messages
    ? prompt.messages
        .map(
          (message) =>
            `<div class="message"><p class="muted">${escapeHtml(message.role)}</p><pre class="wrap">${escapeHtml(message.content)}</pre></div>`,
        )
        .join('')
    : `<div class="message"><p class="muted">completion prompt</p><pre class="wrap">${escapeHtml(prompt.prompt ?? '')}</pre></div>`;
  return `<details id="prompt"><summary>The prompt (first turn)</summary>${messages}</details>`;
}

/** A multi-turn repair: what the model was told after each failing fix, and what it answered. */
function conversation(turns: NonNullable<ResultRecord['turns']>): string {
  const sections = turns
    .map(
      (turn) =>
        `<section class="turn" id="turn-${escapeHtml(turn.turn)}"><h4>Turn ${escapeHtml(turn.turn)}: <span class="${turn.pass ? 'pass' : 'fail'}">${escapeHtml(turn.status)}</span></h4>${turn.feedback === null ? '<p class="muted">the run\'s prompt for this task</p>' : `<p class="muted">feedback (user turn)</p><pre class="feedback wrap">${escapeHtml(turn.feedback)}</pre>`}<p class="muted">the model's answer</p><pre class="completion wrap">${escapeHtml(turn.completion ?? '(no answer)')}</pre></section>`,
    )
    .join('');
  return `<h3>Conversation (${turns.length} turns)</h3><div id="conversation">${sections}</div>`;
}

function diffSection(buggyProgram: string, program: string): string {
  const diff = lineDiff(buggyProgram, program)
    .map((line) =>
      line.kind === 'same'
        ? ` ${escapeHtml(line.text)}\n`
        : `<span class="${line.kind}">${line.kind === 'add' ? '+' : '-'}${escapeHtml(line.text)}</span>`,
    )
    .join('');
  return `<h3>Fix, as a diff against the buggy program</h3><pre id="diff">${diff}</pre>`;
}

function testsSection(result: ResultRecord, task: RepairTask): string {
  const base = result.base;
  if (!base) return '';
  const notRun = notRunReasons(base);
  const rows = base.tests
    .map((test, position) => {
      const reason = notRun[position];
      const status = reason ? `not run: ${reason}` : test.status;
      return `<tr><td class="num">${position}</td><td><code>${escapeHtml((task.tests[position] ?? '').slice(0, 200))}</code></td><td class="${escapeHtml(test.status)}">${escapeHtml(status)}</td><td>${sealedCell(test.sealed)}</td><td>${escapeHtml(test.exception ?? '')}</td></tr>`;
    })
    .join('');
  const table = `<h3>Tests</h3><table id="tests"><tr><th>#</th><th>test</th><th>status</th><th>sealed</th><th>exception</th></tr>${rows}</table>`;
  if (!result.plus) return table;
  return `${table}\n<p>EvalPlus tests: <span class="${escapeHtml(result.plus.status)}">${escapeHtml(result.plus.status)}</span> ${escapeHtml(result.plus.reason)}</p>`;
}

function ratingForm(runName: string, result: ResultRecord): string {
  // No score is preselected: a rating records only what the rater chose.
  const scores = `<option value="" selected>choose…</option>${[1, 2, 3, 4, 5].map((n) => `<option>${n}</option>`).join('')}`;
  return `<h3>Rate this rationale</h3><form id="rating" data-run="${escapeHtml(runName)}" data-task="${escapeHtml(result.taskId)}" data-mode="${escapeHtml(result.mode)}" data-index="${escapeHtml(result.index)}" novalidate><fieldset><label>rater <input name="rater" id="rater" required maxlength="80"></label><label>correctness <select name="correctness" id="correctness" required>${scores}</select></label><label>helpfulness <select name="helpfulness" id="helpfulness" required>${scores}</select></label><br><label>comment <textarea name="comment" id="comment" rows="2" cols="60" maxlength="4000"></textarea></label><br><button type="submit" id="submit-rating">save rating</button> <span id="rating-status" class="muted"></span></fieldset></form><script src="/static/rate.js"></script>`;
}

/** The body of a sample's page: verdict, traces, rationale, prompt, turns, diff, tests and the rating form. */
export async function renderSamplePage(input: SamplePageInput): Promise<string> {
  const { runName, task, result, prompt } = input;
  const parts: string[] = [header(result, task), await traces(input)];
  parts.push(
    `<h3>Rationale</h3><pre id="rationale" class="wrap">${escapeHtml(result.rationale ?? `(${result.outcome})`)}</pre>`,
  );
  if (prompt) parts.push(promptSection(prompt));
  if (result.turns && result.turns.length > 0) parts.push(conversation(result.turns));
  if (task && result.program) parts.push(diffSection(task.buggyProgram, result.program));
  if (task) parts.push(testsSection(result, task));
  parts.push(ratingForm(runName, result));
  return parts.filter(Boolean).join('\n');
}
