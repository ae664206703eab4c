import { defineRewardHackSuite } from './reward-hacks.js';

// The same hacks without bubblewrap: sealing does not depend on it.
defineRewardHackSuite('bubblewrap off', { bubblewrap: 'off' });
