import type { Verdict } from './verdict.js';

/**
 * The test `traceProgram` traces when none is named: a pure function of the verdict of one run of
 * every test. The first test that failed or raised, a definite failure; only when there is none, the
 * first test that timed out (a timeout can be load on the machine: the same test may pass in the next
 * run, and a choice that followed it would change from run to run); null when no test did either
 * (passed and not-run tests are never chosen).
 */
export function chooseTestToTrace(verdict: Pick<Verdict, 'tests'>): number | null {
  const definite = verdict.tests.find((test) => test.status === 'fail' || test.status === 'error');
  if (definite) return definite.index;
  return verdict.tests.find((test) => test.status === 'timeout')?.index ?? null;
}
