import { defineHostileSuite } from './hostile-suite.js';

// The same programs without bubblewrap: rlimits and (as root) the unprivileged uid still hold; the
// cases that need filesystem or network isolation report themselves as skipped.
defineHostileSuite('bubblewrap off', { bubblewrap: 'off' });
