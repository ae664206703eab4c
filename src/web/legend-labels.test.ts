import { describe, expect, it } from 'vitest';
import { legendLabels } from './legend-labels.js';

describe('legendLabels', () => {
  it('leaves out the prefix every run shares, up to a separator, so the differing end shows', () => {
    const names = ['humanevalfix-fake-scripted-seed-1', 'humanevalfix-fake-scripted-seed-2', 'humanevalfix-fake-other'];
    const labels = legendLabels(names);
    expect(labels.prefix).toBe('humanevalfix-fake-');
    expect(names.map(labels.labelOf)).toEqual(['scripted-seed-1', 'scripted-seed-2', 'other']);
  });

  it('keeps whole names when there is one run, nothing shared, or a name would be left empty', () => {
    expect(legendLabels(['humanevalfix-fake-a']).prefix).toBe('');
    expect(legendLabels(['demo', 'theirs']).prefix).toBe('');
    expect(legendLabels(['demo', 'demo-multi']).prefix).toBe('');
    expect(legendLabels(['run1', 'run2']).labelOf('run1')).toBe('run1');
    expect(legendLabels(['run-', 'run-b']).prefix).toBe('');
  });
});
