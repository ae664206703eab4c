import { defineHostileSuite } from './hostile-suite.js';

defineHostileSuite('default layers', {});
