// Step dependencies (depends_on, the `dependencies` alias, every template form) and execution levels.
import { compilePipeline } from '../../src/compiler';
import { compileOk, dependencyMap, stepOf, yaml } from './helpers';

describe('declared dependencies', () => {
  it('takes dependencies from depends_on', () => {
    const pipeline = compileOk(yaml`
      name: p
      steps:
        - id: fetch
          action: fetch it
        - id: report
          action: write it
          depends_on: [fetch]
    `);
    expect(stepOf(pipeline, 'report').dependsOn).toEqual(['fetch']);
  });

  it('takes dependencies from the `dependencies` alias', () => {
    const pipeline = compileOk(yaml`
      name: p
      steps:
        - id: fetch
          action: fetch it
        - id: report
          action: write it
          dependencies:
            - fetch
    `);
    expect(stepOf(pipeline, 'report').dependsOn).toEqual(['fetch']);
  });

  it('does not silently drop the `dependencies` list when depends_on is also given', () => {
    const result = compilePipeline(yaml`
      name: p
      steps:
        - id: fetch
          action: fetch it
        - id: rank
          action: rank it
        - id: report
          action: write it
          depends_on: [fetch]
          dependencies: [rank]
    `);
    // Either both lists count, or the author is told the two keys clash; never a lost dependency.
    if (result.ok) expect([...stepOf(result.pipeline, 'report').dependsOn].sort()).toEqual(['fetch', 'rank']);
    else expect(result.diagnostics.map((diagnostic) => diagnostic.path)).toContain('steps[2].dependencies');
  });

  it('lists a dependency named both in depends_on and in a template once', () => {
    const pipeline = compileOk(yaml`
      name: p
      steps:
        - id: fetch
          action: fetch it
        - id: report
          action: Write about {{ fetch.result }}
          depends_on: [fetch]
    `);
    expect(stepOf(pipeline, 'report').dependsOn).toEqual(['fetch']);
  });
});

describe('dependencies from template references', () => {
  const withReader = (readerLines: string): ReturnType<typeof compileOk> =>
    compileOk(
      yaml`
        name: p
        inputs:
          topic: string
        steps:
          - id: source
            action: Find sources about {{ topic }}
          - id: reader
      ` + readerLines,
    );

  it('reads {{ inputs.x }} as an input, not a step', () => {
    const pipeline = withReader('    action: Write about {{ inputs.topic }}\n');
    expect(stepOf(pipeline, 'reader').dependsOn).toEqual([]);
    expect(stepOf(pipeline, 'reader').references).toEqual([{ kind: 'input', name: 'topic' }]);
  });

  it('reads a plain {{ x }} as an input when x is a declared input', () => {
    const pipeline = withReader('    action: Write about {{ topic }}\n');
    expect(stepOf(pipeline, 'reader').dependsOn).toEqual([]);
    expect(stepOf(pipeline, 'reader').references).toEqual([{ kind: 'input', name: 'topic' }]);
  });

  it.each([
    ['{{ source.result }}'],
    ['{{ source.output }}'],
    ['{{ source.result.field }}'],
    ['{{ steps.source.result }}'],
    ['{{ steps.source.output }}'],
    ['{{ steps.source.field }}'],
    ['{{ source.error }}'],
    ['{{ source.status }}'],
    ['{{ source.result | upper }}'],
    ["{{ source.result.split(',') | length }}"],
  ])('makes %s in the action a dependency', (template) => {
    const pipeline = withReader(`    action: Summarise ${template}\n`);
    expect(stepOf(pipeline, 'reader').dependsOn).toEqual(['source']);
    expect(stepOf(pipeline, 'reader').references).toContainEqual({ kind: 'step', step: 'source' });
  });

  it('makes a reference nested deep in parameters a dependency', () => {
    const pipeline = withReader(
      [
        '    action: write_report',
        '    parameters:',
        '      context:',
        '        documents:',
        '          - title: first',
        '            body: "{{ source.result }}"',
        '',
      ].join('\n'),
    );
    expect(stepOf(pipeline, 'reader').dependsOn).toEqual(['source']);
  });

  it('makes a reference in `when` a dependency', () => {
    const pipeline = withReader(`    action: write it\n    when: "{{ source.result.priority == 'high' }}"\n`);
    expect(stepOf(pipeline, 'reader').dependsOn).toEqual(['source']);
    expect(stepOf(pipeline, 'reader').when).toBe("{{ source.result.priority == 'high' }}");
  });

  it('makes a reference in `for_each` a dependency', () => {
    const pipeline = withReader('    action: Search for {{ item }}\n    for_each: "{{ source.result.queries }}"\n');
    expect(stepOf(pipeline, 'reader').dependsOn).toEqual(['source']);
  });

  it('makes templates inside a for_each list dependencies', () => {
    const pipeline = withReader('    action: Search for {{ item }}\n    for_each: ["{{ source.result }}", "{{ topic }}"]\n');
    expect(stepOf(pipeline, 'reader').dependsOn).toEqual(['source']);
  });

  it('reads steps[\'my-step\'].result for an id with a dash', () => {
    const pipeline = compileOk(yaml`
      name: p
      steps:
        - id: my-step
          action: do it
        - id: reader
          action: "Use {{ steps['my-step'].result }}"
    `);
    expect(stepOf(pipeline, 'reader').dependsOn).toEqual(['my-step']);
  });

  it('reads a {% for %} loop over a step result, and does not take the loop variable for a reference', () => {
    const pipeline = compileOk(yaml`
      name: p
      steps:
        - id: plan
          action: Plan the research
        - id: search
          action: |
            Search for:
            {% for q in plan.result.queries %}- {{ q }}
            {% endfor %}
    `);
    expect(stepOf(pipeline, 'search').dependsOn).toEqual(['plan']);
    expect(stepOf(pipeline, 'search').references).toEqual([{ kind: 'step', step: 'plan' }]);
    // No `inputs:` block, so an unknown plain name would become an implicit input; `q` must not.
    expect(pipeline.inputs).toEqual({});
  });

  it('does not take a {% set %} variable for a reference', () => {
    const pipeline = compileOk(yaml`
      name: p
      steps:
        - id: plan
          action: Plan the research
        - id: search
          action: "{% set first = plan.result %}Search for {{ first }}"
    `);
    expect(stepOf(pipeline, 'search').dependsOn).toEqual(['plan']);
    expect(pipeline.inputs).toEqual({});
  });

  it('collects dependencies from every template of a step together', () => {
    const pipeline = compileOk(yaml`
      name: p
      steps:
        - id: a
          action: do a
        - id: b
          action: do b
        - id: c
          action: do c
        - id: d
          action: do d
        - id: all
          action: Combine {{ a.result }}
          parameters:
            extra: "{{ steps.b.output }}"
          when: "{{ c.status == 'completed' }}"
          depends_on: [d]
    `);
    expect([...stepOf(pipeline, 'all').dependsOn].sort()).toEqual(['a', 'b', 'c', 'd']);
  });

  it('records a step named like a template global (loop) as a dependency when read', () => {
    const result = compilePipeline(yaml`
      name: p
      steps:
        - id: loop
          action: do it
        - id: reader
          action: Summarise {{ loop.result }}
    `);
    // Either the id is refused, or reading it is a dependency; never a silently missing edge.
    if (result.ok) expect(stepOf(result.pipeline, 'reader').dependsOn).toEqual(['loop']);
    else expect(result.diagnostics[0]).toMatchObject({ line: 3, column: 9 });
  });
});

describe('execution levels', () => {
  it('puts a diamond in three levels: [[a], [b, c], [d]]', () => {
    const pipeline = compileOk(yaml`
      name: p
      steps:
        - id: a
          action: do a
        - id: b
          action: Do b with {{ a.result }}
        - id: c
          action: do c
          depends_on: [a]
        - id: d
          action: do d
          depends_on: [b, c]
    `);
    expect(pipeline.levels).toEqual([['a'], ['b', 'c'], ['d']]);
    expect(dependencyMap(pipeline)).toEqual({ a: [], b: ['a'], c: ['a'], d: ['b', 'c'] });
  });

  it('puts a chain one step per level', () => {
    const pipeline = compileOk(yaml`
      name: p
      steps:
        - id: first
          action: do it
        - id: second
          action: do it
          depends_on: [first]
        - id: third
          action: do it
          depends_on: [second]
    `);
    expect(pipeline.levels).toEqual([['first'], ['second'], ['third']]);
  });

  it('puts independent steps together at level 0', () => {
    const pipeline = compileOk(yaml`
      name: p
      steps:
        - id: x
          action: do it
        - id: y
          action: do it
        - id: z
          action: do it
    `);
    expect(pipeline.levels).toEqual([['x', 'y', 'z']]);
  });

  it('levels by the longest chain: a->b->c plus a->c puts c at level 2', () => {
    const pipeline = compileOk(yaml`
      name: p
      steps:
        - id: c
          action: do it
          depends_on: [a, b]
        - id: b
          action: do it
          depends_on: [a]
        - id: a
          action: do it
    `);
    expect(pipeline.levels).toEqual([['a'], ['b'], ['c']]);
  });
});
