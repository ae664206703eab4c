export { type ChoiceTable, choiceNames, describeChoices, isChoice, listChoices, nonEmpty } from './choices.js';
export { describeError, isNxtError, NxtError, UsageError } from './errors.js';
export { formatBytes, formatDuration, lineNotInMessage, terminalSafe } from './format.js';
export { hashString, seededRandom, shuffled } from './random.js';
