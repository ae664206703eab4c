import { defineHostileSuite } from './hostile-suite.js';

// The same programs without bubblewrap: the server enters its namespaces itself where the kernel
// allows it, so the filesystem and network cases run here too (skipped, saying so, where it does not).
defineHostileSuite('bubblewrap off', { bubblewrap: 'off' });
