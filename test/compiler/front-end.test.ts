// The first pass: text -> native document + positions, with the dialect detected as spec section 18 says.
import { compilePipeline, formatDiagnostic, mappedSource } from '../../src/compiler';
import { detectDialect, frontEnd } from '../../src/compiler/front-end';
import { yaml } from './helpers';

describe('detectDialect', () => {
  it.each<[string, Record<string, unknown>, 'native' | 'pyorc']>([
    ['a native file', { name: 'p', steps: [{ id: 'a', action: 'x' }] }, 'native'],
    ['a top-level id', { id: 'p', steps: [] }, 'pyorc'],
    ['top-level parameters', { name: 'p', parameters: {}, steps: [] }, 'pyorc'],
    ['a tool step', { name: 'p', steps: [{ id: 'a', tool: 'filesystem', action: 'read' }] }, 'pyorc'],
    ['a loop with nested steps', { name: 'p', steps: [{ id: 'l', while: true, steps: [] }] }, 'pyorc'],
    ['a foreach block', { name: 'p', steps: [{ id: 'l', foreach: [1], steps: [] }] }, 'pyorc'],
    ['a for_each fan-out (native)', { name: 'p', steps: [{ id: 'a', action: 'x', for_each: [1] }] }, 'native'],
  ])('%s', (_what, document, dialect) => {
    expect(detectDialect(document, {})).toBe(dialect);
  });

  it('follows the option over what the file uses', () => {
    expect(detectDialect({ name: 'p', steps: [] }, { dialect: 'pyorc' })).toBe('pyorc');
    expect(detectDialect({ id: 'p', steps: [] }, { dialect: 'native' })).toBe('native');
  });
});

describe('frontEnd', () => {
  it('gives a native file as its own document, with positions into the text', () => {
    const text = yaml`
      name: p
      steps:
        - id: a
          action: do it
    `;
    const front = frontEnd(text, {});
    if (front.document === undefined) throw new Error(JSON.stringify(front.diagnostics));
    expect(front.dialect).toBe('native');
    expect(front.document).toEqual({ name: 'p', steps: [{ id: 'a', action: 'do it' }] });
    expect(front.source.positionOf(['steps', 0, 'action'])).toEqual({ line: 4, column: 13 });
    expect(front.source.positionOfKey(['steps', 0], 'action')).toEqual({ line: 4, column: 5 });
  });

  it('stops at YAML errors and at a document that is not a mapping', () => {
    expect(frontEnd('name: [p\n', {}).diagnostics[0]).toMatchObject({ code: 'YAML_SYNTAX', line: 1 });
    expect(frontEnd('- a\n', {}).diagnostics[0]).toMatchObject({ code: 'INVALID_VALUE', message: expect.stringContaining('YAML mapping') });
  });
});

describe('duplicate keys', () => {
  const twice = (extra: string): string => yaml`
    name: p
    steps:
      - id: a
        ${extra}
        action: first
        action: second
  `;

  it('are an error in a native file', () => {
    const result = compilePipeline(twice('when: true'), { file: 'd.yaml' });
    expect(result.ok).toBe(false);
    expect(result.diagnostics.map((diagnostic) => formatDiagnostic('d.yaml', diagnostic))).toEqual([expect.stringMatching(/^d\.yaml:6:5: YAML_SYNTAX malformed YAML: Map keys must be unique/)]);
  });

  it('in the dialect: the last one wins, with a DUPLICATE_KEY note at the second', () => {
    const result = compilePipeline(twice('tool: filesystem'), { file: 'd.yaml' });
    if (!result.ok) throw new Error(JSON.stringify(result.diagnostics));
    expect(result.pipeline.steps[0]!.action).toBe('second');
    expect(result.pipeline.dialect).toBe('pyorc');
    expect(result.notes.map((note) => formatDiagnostic('d.yaml', note))).toEqual([expect.stringMatching(/^d\.yaml:6:5: DUPLICATE_KEY Map keys must be unique.*: the last one is used/)]);
  });

  it('positions point at the value used (the last)', () => {
    const result = compilePipeline(yaml`
      name: p
      steps:
        - id: a
          tool: filesystem
          action: read
          max_retries: 1
          max_retries: oops
    `, { file: 'd.yaml' });
    expect(result.ok).toBe(false);
    expect(result.diagnostics.map((diagnostic) => formatDiagnostic('d.yaml', diagnostic))).toEqual([
      expect.stringMatching(/^d\.yaml:7:18: INVALID_VALUE 'max_retries' must be a whole number/),
    ]);
  });
});

describe('mappedSource', () => {
  it('finds a native path, and a renamed key, where the user wrote them', () => {
    const text = yaml`
      id: p
      parameters:
        topic: { type: string }
      steps:
        - id: a
          action: "{{ inputs.nope }}"
    `;
    const front = frontEnd(text, { dialect: 'native' });
    if (front.document === undefined) throw new Error('no document');
    const source = mappedSource(front.source, (path) => (path[0] === 'inputs' ? ['parameters', ...path.slice(1)] : undefined));
    expect(source.positionOfKey([], 'inputs')).toEqual({ line: 2, column: 1 });
    expect(source.positionOfKey(['inputs'], 'topic')).toEqual({ line: 3, column: 3 });
    expect(source.positionOf(['steps', 0, 'action'])).toEqual({ line: 6, column: 13 });
    expect(source.positionInString(['steps', 0, 'action'], 3)).toEqual({ line: 6, column: 17 });
  });
});
