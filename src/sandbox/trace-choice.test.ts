import { describe, expect, it } from 'vitest';
import { chooseTestToTrace } from './trace-choice.js';
import type { TestStatus, TestVerdict } from './verdict.js';

function verdict(...statuses: TestStatus[]): { tests: TestVerdict[] } {
  return {
    tests: statuses.map((status, index) => ({
      index,
      status,
      exception: null,
      durationMs: status === 'timeout' ? 3000 : 1,
      sealed: false,
      cases: null,
    })),
  };
}

describe('chooseTestToTrace', () => {
  it('prefers a definite failure to a timeout that comes before it', () => {
    expect(chooseTestToTrace(verdict('pass', 'timeout', 'fail'))).toBe(2);
    expect(chooseTestToTrace(verdict('timeout', 'timeout', 'error', 'fail'))).toBe(2);
  });

  it('takes the first test that fails or raises', () => {
    expect(chooseTestToTrace(verdict('pass', 'fail', 'error'))).toBe(1);
    expect(chooseTestToTrace(verdict('error', 'fail'))).toBe(0);
  });

  it('takes the first timeout only when no test fails or raises', () => {
    expect(chooseTestToTrace(verdict('pass', 'timeout', 'timeout', 'pass'))).toBe(1);
    expect(chooseTestToTrace(verdict('timeout', 'not_run'))).toBe(0);
  });

  it('chooses nothing when every test passes or did not run', () => {
    expect(chooseTestToTrace(verdict('pass', 'pass'))).toBeNull();
    expect(chooseTestToTrace(verdict('not_run', 'not_run'))).toBeNull();
    expect(chooseTestToTrace(verdict())).toBeNull();
  });

  it('is a function of the verdict alone: a timeout that turns into a pass leaves the choice as it was', () => {
    expect(chooseTestToTrace(verdict('timeout', 'pass', 'fail'))).toBe(
      chooseTestToTrace(verdict('pass', 'pass', 'fail')),
    );
  });
});
