// Input declarations (types, defaults, enum, shorthand), implicit inputs, and resolveRunInputs at run start.
import { coerceInputString, compilePipeline, resolveRunInputs } from '../../src/compiler';
import { compileOk, yaml } from './helpers';

describe('declared inputs', () => {
  const pipeline = compileOk(yaml`
    name: p
    inputs:
      topic: { type: string, required: true, description: What to research }
      depth: { type: string, enum: [shallow, deep], default: shallow }
      max_results: integer
      ratio: number
      verbose: boolean
      tags: array
      options: object
    steps:
      - id: a
        action: Research {{ topic }} at {{ depth }} depth, up to {{ max_results }} results
  `);

  it('keeps type, required and description of a full spec', () => {
    expect(pipeline.inputs.topic).toMatchObject({ type: 'string', required: true, description: 'What to research' });
  });

  it('keeps enum and default', () => {
    expect(pipeline.inputs.depth).toMatchObject({ type: 'string', required: false, enum: ['shallow', 'deep'], default: 'shallow' });
  });

  it('reads the shorthand `name: integer` as an optional input without a default', () => {
    expect(pipeline.inputs.max_results).toMatchObject({ type: 'integer', required: false });
    expect(pipeline.inputs.max_results).not.toHaveProperty('default');
  });

  it('accepts every input type in shorthand', () => {
    const types = Object.fromEntries(Object.entries(pipeline.inputs).map(([name, spec]) => [name, spec.type]));
    expect(types).toEqual({
      topic: 'string',
      depth: 'string',
      max_results: 'integer',
      ratio: 'number',
      verbose: 'boolean',
      tags: 'array',
      options: 'object',
    });
  });

  it("records where each input is declared (the key's line:column)", () => {
    expect(pipeline.inputs.topic!.declaredAt).toMatchObject({ line: 3, column: 3 });
    expect(pipeline.inputs.max_results!.declaredAt).toMatchObject({ line: 5, column: 3 });
    expect(pipeline.inputs.options!.declaredAt).toMatchObject({ line: 9, column: 3 });
  });

  const badType = yaml`
    name: p
    inputs:
      count: int
    steps:
      - id: a
        action: Count {{ count }}
  `;

  it('reports an unknown input type once, at the value, listing the types', () => {
    const result = compilePipeline(badType);
    expect(result.ok).toBe(false);
    const atCount = result.diagnostics.filter((diagnostic) => diagnostic.path === 'inputs.count');
    expect(atCount).toHaveLength(1);
    expect(atCount[0]).toMatchObject({ code: 'INVALID_VALUE', line: 3, column: 10 });
    expect(atCount[0]!.message).toContain('integer');
  });

  it('does not also call an input with a bad type an unknown reference', () => {
    const result = compilePipeline(badType);
    expect(result.diagnostics.map((diagnostic) => diagnostic.code)).not.toContain('UNKNOWN_REFERENCE');
  });
});

describe('implicit inputs (no `inputs` block)', () => {
  const pipeline = compileOk(yaml`
    name: p
    steps:
      - id: search
        action: Search for {{ topic }} in {{ inputs.language }}
      - id: summarise
        action: Summarise {{ search.result }} for {{ audience }}
  `);

  it('takes every plain name a template uses as a required string input', () => {
    expect(Object.keys(pipeline.inputs).sort()).toEqual(['audience', 'language', 'topic']);
    for (const spec of Object.values(pipeline.inputs)) expect(spec).toMatchObject({ type: 'string', required: true });
  });

  it('does not take step ids for inputs', () => {
    expect(pipeline.inputs).not.toHaveProperty('search');
  });

  it('records the first use of an implicit input as where it is declared', () => {
    // "    action: Search for {{ " is 26 characters.
    expect(pipeline.inputs.topic!.declaredAt).toMatchObject({ line: 4, column: 27 });
  });

  it('takes no implicit inputs when an empty `inputs` block is declared (an unknown name is an error)', () => {
    const result = compilePipeline(yaml`
      name: p
      inputs: {}
      steps:
        - id: search
          action: Search for {{ topic }}
    `);
    expect(result.ok).toBe(false);
    // "    action: Search for {{ " is 26 characters.
    expect(result.diagnostics[0]).toMatchObject({ code: 'UNKNOWN_REFERENCE', line: 5, column: 27 });
  });
});

describe('resolveRunInputs', () => {
  const pipeline = compileOk(yaml`
    name: p
    inputs:
      topic: { type: string, required: true }
      count: { type: integer, default: 5 }
      depth: { type: string, enum: [shallow, deep] }
      verbose: boolean
      tags: array
      options: object
      ratio: number
    steps:
      - id: a
        action: Research {{ topic }}
  `);

  it('accepts valid values and applies defaults', () => {
    const resolution = resolveRunInputs(pipeline, { topic: 'tides', depth: 'deep' });
    expect(resolution).toEqual({ ok: true, values: { topic: 'tides', count: 5, depth: 'deep' } });
  });

  it('leaves an optional input without a default out of the values', () => {
    const resolution = resolveRunInputs(pipeline, { topic: 'tides' });
    expect(resolution.ok && resolution.values).not.toHaveProperty('verbose');
  });

  it('reports a missing required input at its declaration', () => {
    const resolution = resolveRunInputs(pipeline, {});
    expect(resolution.ok).toBe(false);
    if (resolution.ok) return;
    expect(resolution.diagnostics).toHaveLength(1);
    expect(resolution.diagnostics[0]).toMatchObject({ code: 'INPUT_MISSING', line: 3, column: 3, path: 'inputs.topic' });
    expect(resolution.diagnostics[0]!.message).toContain("'topic'");
  });

  it('reports a value of the wrong type at the declaration', () => {
    const resolution = resolveRunInputs(pipeline, { topic: 'tides', count: 'many' });
    expect(resolution.ok).toBe(false);
    if (resolution.ok) return;
    expect(resolution.diagnostics[0]).toMatchObject({ code: 'INPUT_TYPE', line: 4, column: 3, path: 'inputs.count' });
    expect(resolution.diagnostics[0]!.message).toMatch(/'count'.*integer/);
  });

  it('reports a fractional number for an integer input', () => {
    const resolution = resolveRunInputs(pipeline, { topic: 'tides', count: 2.5 });
    expect(resolution.ok).toBe(false);
    if (resolution.ok) return;
    expect(resolution.diagnostics[0]).toMatchObject({ code: 'INPUT_TYPE', line: 4, column: 3 });
  });

  it('reports a value outside enum at the declaration, listing the allowed values', () => {
    const resolution = resolveRunInputs(pipeline, { topic: 'tides', depth: 'medium' });
    expect(resolution.ok).toBe(false);
    if (resolution.ok) return;
    expect(resolution.diagnostics[0]).toMatchObject({ code: 'INPUT_TYPE', line: 5, column: 3, path: 'inputs.depth' });
    expect(resolution.diagnostics[0]!.message).toContain('shallow');
    expect(resolution.diagnostics[0]!.message).toContain('deep');
  });

  it('reports an unknown input with a did-you-mean', () => {
    const resolution = resolveRunInputs(pipeline, { topic: 'tides', cuont: 3 });
    expect(resolution.ok).toBe(false);
    if (resolution.ok) return;
    expect(resolution.diagnostics).toHaveLength(1);
    expect(resolution.diagnostics[0]!.message).toContain("'cuont'");
    expect(resolution.diagnostics[0]!.message).toContain("did you mean 'count'");
  });

  it('reports every problem at once', () => {
    const resolution = resolveRunInputs(pipeline, { count: 'x', depth: 'medium' });
    expect(resolution.ok).toBe(false);
    if (resolution.ok) return;
    expect(resolution.diagnostics.map((diagnostic) => diagnostic.path).sort()).toEqual(['inputs.count', 'inputs.depth', 'inputs.topic']);
  });

  it('coerces CLI strings to the declared types', () => {
    const resolution = resolveRunInputs(
      pipeline,
      { topic: 'tides', count: '3', verbose: 'true', tags: '["a","b"]', options: '{"k":1}', ratio: '0.5', depth: 'deep' },
      { coerceStrings: true },
    );
    expect(resolution).toEqual({
      ok: true,
      values: { topic: 'tides', count: 3, verbose: true, tags: ['a', 'b'], options: { k: 1 }, ratio: 0.5, depth: 'deep' },
    });
  });

  it('does not coerce strings unless asked (a JSON "3" is not an integer)', () => {
    const resolution = resolveRunInputs(pipeline, { topic: 'tides', count: '3' });
    expect(resolution.ok).toBe(false);
  });

  it('reports a CLI string that is not a number for an integer input', () => {
    const resolution = resolveRunInputs(pipeline, { topic: 'tides', count: 'three' }, { coerceStrings: true });
    expect(resolution.ok).toBe(false);
    if (resolution.ok) return;
    expect(resolution.diagnostics[0]).toMatchObject({ code: 'INPUT_TYPE', line: 4, column: 3 });
  });

  it('reports a missing implicit input at its first use', () => {
    const implicit = compileOk(yaml`
      name: p
      steps:
        - id: a
          action: Research {{ topic }}
    `);
    const resolution = resolveRunInputs(implicit, {});
    expect(resolution.ok).toBe(false);
    if (resolution.ok) return;
    // "    action: Research {{ " is 24 characters.
    expect(resolution.diagnostics[0]).toMatchObject({ code: 'INPUT_MISSING', line: 4, column: 25 });
  });

  it('gives a missing implicit input the same YAML path notation as other diagnostics', () => {
    const implicit = compileOk(yaml`
      name: p
      steps:
        - id: a
          action: Research {{ topic }}
    `);
    const resolution = resolveRunInputs(implicit, {});
    expect(resolution.ok).toBe(false);
    if (resolution.ok) return;
    expect(resolution.diagnostics[0]!.path).toBe('steps[0].action');
  });
});

describe('coerceInputString', () => {
  it.each([
    ['integer', '3', 3],
    ['number', '2.5', 2.5],
    ['boolean', 'true', true],
    ['boolean', 'false', false],
    ['array', '[1, 2]', [1, 2]],
    ['object', '{"a": "b"}', { a: 'b' }],
    ['string', '3', '3'],
  ] as const)('turns a %s string %j into %j', (type, text, expected) => {
    expect(coerceInputString(type, text)).toEqual(expected);
  });
});
