export { type ChoiceTable, choiceNames, describeChoices, isChoice, listChoices, nonEmpty } from './choices.js';
export { describeError, isNxtError, NxtError, UsageError } from './errors.js';
export { formatBytes, formatDuration, lineNotInMessage, terminalSafe } from './format.js';
export {
  appendJsonLines,
  checkJsonLine,
  formatJsonLines,
  type JsonLine,
  type JsonLinesOptions,
  jsonLineBytes,
  type LineCheck,
  type LineSchema,
  parseJsonLines,
  readJsonLines,
} from './jsonl.js';
export { hashString, seededRandom, shuffled } from './random.js';
