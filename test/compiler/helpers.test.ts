// The yaml`` dedent helper itself, so every line:column expectation in the other files rests on it.
import { yaml } from './helpers';

describe('yaml helper', () => {
  it('starts at line 1 column 1 and keeps relative indentation', () => {
    const text = yaml`
      name: p
      steps:
        - id: a
    `;
    expect(text).toBe('name: p\nsteps:\n  - id: a\n');
  });
});
