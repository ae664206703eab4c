export { lineDiff } from './diff.js';
export { escapeHtml } from './html.js';
export { type Agreement, agreement, ratingsCsv } from './ratings.js';
export { buildReport } from './report.js';
export { startViewer, type Viewer, type ViewerOptions } from './server.js';
export { firstDivergence } from './trace-diff.js';
