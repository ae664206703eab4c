// Copies the non-TypeScript files the compiled code loads at run time (the Python sandbox server).
import { cpSync } from 'node:fs';

cpSync('src/sandbox/python', 'dist/sandbox/python', {
  recursive: true,
  filter: (source) => !source.endsWith('__pycache__'),
});
