import { defaultMethod, judgedAgreement, majority, medoid, normalizedVote, similarity } from '../../src/workflows/evidence';

describe('majority', () => {
  it('takes the most frequent answer, its share as agreement, and counts the others', () => {
    const outcome = majority(['A', 'A', 'B', 'A', 'C']);
    expect(outcome.consensus).toBe('A');
    expect(outcome.agreement).toBeCloseTo(0.6);
    expect(outcome.disagreements).toEqual([{ path: '', counts: { a: 3, b: 1, c: 1 } }]);
  });

  it('counts answers the same after trimming and case-folding, numbers by value', () => {
    expect(majority([' Bug ', 'bug', 'BUG.', 'feature']).consensus).toBe(' Bug ');
    expect(majority(['3', 3, '3.0', 4]).agreement).toBeCloseTo(0.75);
    expect(normalizedVote('  Hello   World! ')).toBe('hello world');
  });

  it('votes an object field by field; agreement is the lowest field share', () => {
    const outcome = majority([
      { label: 'bug', urgent: true },
      { label: 'bug', urgent: false },
      { label: 'feature', urgent: true },
      { label: 'bug', urgent: true },
    ]);
    expect(outcome.consensus).toEqual({ label: 'bug', urgent: true });
    expect(outcome.agreement).toBeCloseTo(0.75);
    expect(outcome.disagreements).toEqual([
      { path: 'label', counts: { bug: 3, feature: 1 } },
      { path: 'urgent', counts: { true: 3, false: 1 } },
    ]);
  });

  it('has nothing to report when every replicate agrees', () => {
    expect(majority(['yes', 'Yes', 'YES'])).toEqual({ consensus: 'yes', agreement: 1, method: 'majority', disagreements: [] });
  });

  it('breaks a tie by the earliest answer', () => {
    expect(majority(['x', 'y', 'y', 'x']).consensus).toBe('x');
  });
});

describe('medoid', () => {
  const answers = [
    'The cat sat on the mat and looked at the door.',
    'A cat sat on the mat, looking at the door.',
    'Stock prices rose sharply on Tuesday.',
    'The cat was sitting on the mat near the door.',
  ];

  it('returns the replicate most like the others, with agreement in [0, 1]', () => {
    const outcome = medoid(answers);
    expect(answers).toContain(outcome.consensus);
    expect(outcome.consensus).not.toBe(answers[2]);
    expect(outcome.agreement).toBeGreaterThan(0);
    expect(outcome.agreement).toBeLessThanOrEqual(1);
  });

  it('scores identical texts 1 and unrelated ones near 0', () => {
    expect(similarity('same words here', 'same words here')).toBeCloseTo(1);
    expect(similarity('alpha beta', 'gamma delta')).toBe(0);
  });
});

describe('defaults and the judge', () => {
  it('votes on structured or short answers and takes the medoid of free text', () => {
    expect(defaultMethod(['positive', 'negative'], false)).toBe('majority');
    expect(defaultMethod(['a long answer that goes on well past forty characters in all'], false)).toBe('medoid');
    expect(defaultMethod(['a long answer that goes on well past forty characters in all'], true)).toBe('majority');
  });

  it('measures a judge answer against the replicates', () => {
    expect(judgedAgreement('bug', ['bug', 'Bug', 'feature', 'bug'], false)).toBeCloseTo(0.75);
  });
});
