export { type CheckedProgram, type CheckGroup, type CheckOptions, type CheckReport, checkDataset } from './check.js';
export { buildMbppR, extractCode, type MbppRManifest, type MbppROptions, solvePrompt } from './mbpp-r.js';
export { buildSynthetic, MUTATION_KINDS, type SyntheticManifest, type SyntheticOptions } from './synthetic.js';
