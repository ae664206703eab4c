import { choiceNames, isChoice } from '../../shared/index.js';
import type { RepairStrategy } from './feedback.js';
import { ldb } from './ldb.js';
import { nxt } from './nxt.js';
import { selfDebug } from './self-debug.js';

export type { FeedbackContext, RepairStrategy } from './feedback.js';

/**
 * Every strategy, by the name `--strategy` takes: the one table of them. Adding a strategy is a file
 * in this folder and an entry here; the CLI's choices, help and the run config's schema follow.
 */
export const STRATEGIES = { nxt, 'self-debug': selfDebug, ldb } as const satisfies Record<string, RepairStrategy>;
export type StrategyName = keyof typeof STRATEGIES;
export const STRATEGY_NAMES = choiceNames(STRATEGIES);

export function isStrategyName(value: string): value is StrategyName {
  return isChoice(STRATEGIES, value);
}
