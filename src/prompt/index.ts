export { EXEMPLARS, type Exemplar } from './exemplars.js';
export { type ParsedAnswer, parseAnswer, stripCode } from './parse.js';
export {
  COMPLETION_STOP,
  chatPrompt,
  completionPrompt,
  continueCompletion,
  formatAnswer,
  PROMPT_VERSION,
  type PromptInput,
  promptHash,
  type Shot,
} from './template.js';
