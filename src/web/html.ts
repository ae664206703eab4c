import { createHash } from 'node:crypto';

/** Escapes text for HTML element content and attribute values. Everything from a run passes here. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const STYLE = `
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1d2330;background:#fafbfc}
header{background:#1d2330;color:#fff;padding:10px 20px}header a{color:#fff;text-decoration:none;font-weight:600}
main{padding:16px 20px;max-width:1400px}
table{border-collapse:collapse;background:#fff;margin:8px 0}th,td{border:1px solid #dde1e8;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f0f2f5}td.num{text-align:right;font-variant-numeric:tabular-nums}
pre{background:#fff;border:1px solid #dde1e8;padding:8px;overflow:auto;font:12.5px/1.4 ui-monospace,monospace;margin:6px 0}
.trace-comment{color:#7a4d00}.pass{color:#137333;font-weight:600}.fail,.error,.timeout{color:#b3261e;font-weight:600}.not_run{color:#667}
.add{background:#e6f4ea;display:block}.del{background:#fce8e6;display:block}
mark{background:#ffe28a;outline:1px solid #c99a00}
.columns{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:16px}.muted{color:#667}
form.filters{display:flex;gap:8px;align-items:center;flex-wrap:wrap;margin:8px 0}
fieldset{border:1px solid #dde1e8;background:#fff}label{margin-right:12px}
.pager a{margin-right:8px}
pre.wrap{white-space:pre-wrap}.problems{color:#b3261e}
`;

/** The CSP source that allows the page's one style element and nothing else (no style from a run can apply). */
export const STYLE_SOURCE = `'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`;

/** A full page with strict headers in mind: no inline script, and no style but the page's own (STYLE_SOURCE). */
export function page(title: string, body: string, options: { token?: string } = {}): string {
  const meta = options.token ? `<meta name="nxt-token" content="${escapeHtml(options.token)}">` : '';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)} · nxt</title>${meta}<style>${STYLE}</style></head><body><header><a href="/">nxt viewer</a> <span class="muted">· ${escapeHtml(title)}</span></header><main>${body}</main></body></html>`;
}

/** Formats a fraction as a percentage. */
export function percent(value: number | null | undefined): string {
  return value === null || value === undefined ? '-' : `${(100 * value).toFixed(1)}%`;
}

/**
 * What a page could not show because the run folder holds something nxt did not write (a record of
 * the wrong shape, a torn line, a link): each message names the file (and line), escaped.
 */
export function problemsHtml(problems: readonly string[]): string {
  if (problems.length === 0) return '';
  const items = problems.map((problem) => `<li><pre class="wrap">${escapeHtml(problem)}</pre></li>`).join('');
  return `<h3>Not shown</h3><p>This run folder holds what nxt did not write; it is left as it is.</p><ul id="problems" class="problems">${items}</ul>`;
}
