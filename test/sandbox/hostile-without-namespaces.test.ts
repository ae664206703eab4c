import { defineHostileSuite } from './hostile-suite.js';

// The same programs with neither bubblewrap nor namespaces (a kernel that refuses user namespaces):
// rlimits and (as root) the uid range still hold. The cases that need filesystem or network
// isolation are left out, and the suite checks that the layer reports itself off, with its risk.
defineHostileSuite('bubblewrap and namespaces off', { bubblewrap: 'off', namespaces: 'off' }, ['namespaces']);
