import { defineRewardHackSuite } from './reward-hacks.js';

defineRewardHackSuite('default layers', {});
