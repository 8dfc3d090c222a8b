// Every author error of spec section 7: code, line:column, YAML path and a message that says what to fix.
import { compileErrors, compileOk, onlyDiagnostic, stepOf, yaml } from './helpers';
import { compilePipeline } from '../../src/compiler';

describe('malformed YAML', () => {
  it('reports YAML_SYNTAX at the value that breaks the mapping', () => {
    const diagnostic = onlyDiagnostic(
      yaml`
        name: p
        steps:
          - id: a
            action: Summarise: {{ topic }}
      `,
      'YAML_SYNTAX',
    );
    expect(diagnostic).toMatchObject({ line: 4, column: 13 });
    expect(diagnostic.message).toMatch(/malformed YAML/);
  });

  it('reports a repeated key as YAML_SYNTAX at the second occurrence', () => {
    const diagnostic = onlyDiagnostic(
      yaml`
        name: p
        name: q
        steps:
          - id: a
            action: do it
      `,
      'YAML_SYNTAX',
    );
    expect(diagnostic).toMatchObject({ line: 2, column: 1 });
    expect(diagnostic.message).toMatch(/unique/);
  });
});

describe('unknown keys', () => {
  it('reports an unknown top-level key at the key, with a did-you-mean', () => {
    const diagnostic = onlyDiagnostic(
      yaml`
        name: p
        descripton: a typo
        steps:
          - id: a
            action: do it
      `,
      'UNKNOWN_KEY',
    );
    expect(diagnostic).toMatchObject({ line: 2, column: 1, path: 'descripton' });
    expect(diagnostic.message).toContain("'descripton'");
    expect(diagnostic.message).toContain("did you mean 'description'");
  });

  it("reports an unknown step key at the key: 'dependson' -> did you mean 'depends_on'", () => {
    const diagnostic = onlyDiagnostic(
      yaml`
        name: p
        steps:
          - id: a
            action: do it
          - id: b
            action: do it too
            dependson: [a]
      `,
      'UNKNOWN_KEY',
    );
    expect(diagnostic).toMatchObject({ line: 7, column: 5, path: 'steps[1].dependson' });
    expect(diagnostic.message).toContain("'dependson'");
    expect(diagnostic.message).toContain("step 'b'");
    expect(diagnostic.message).toContain("did you mean 'depends_on'");
  });
});

describe('missing fields', () => {
  it("reports a missing pipeline 'name' at the top of the document", () => {
    const diagnostic = onlyDiagnostic(
      yaml`
        steps:
          - id: a
            action: do it
      `,
      'MISSING_FIELD',
    );
    expect(diagnostic).toMatchObject({ line: 1, column: 1 });
    expect(diagnostic.message).toContain("'name'");
  });

  it("reports missing 'steps' at the top of the document", () => {
    const diagnostic = onlyDiagnostic(
      yaml`
        name: p
        description: nothing to do
      `,
      'MISSING_FIELD',
    );
    expect(diagnostic).toMatchObject({ line: 1, column: 1 });
    expect(diagnostic.message).toContain("'steps'");
  });

  it("reports a step without 'id' at the step, naming it by position", () => {
    const diagnostic = onlyDiagnostic(
      yaml`
        name: p
        steps:
          - id: a
            action: do it
          - name: Second
            action: do it too
      `,
      'MISSING_FIELD',
    );
    expect(diagnostic).toMatchObject({ line: 5, column: 5, path: 'steps[1]' });
    expect(diagnostic.message).toContain("'id'");
    expect(diagnostic.message).toContain('#2');
  });

  it("reports a step without 'action' at the step, naming it by id", () => {
    const diagnostic = onlyDiagnostic(
      yaml`
        name: p
        steps:
          - id: first
            name: First
      `,
      'MISSING_FIELD',
    );
    expect(diagnostic).toMatchObject({ line: 3, column: 5, path: 'steps[0]' });
    expect(diagnostic.message).toContain("'action'");
    expect(diagnostic.message).toContain("'first'");
  });
});

describe('ids', () => {
  it('reports a step id that does not start with a letter as BAD_ID at the value', () => {
    const diagnostic = onlyDiagnostic(
      yaml`
        name: p
        steps:
          - id: 2nd_step
            action: do it
      `,
      'BAD_ID',
    );
    expect(diagnostic).toMatchObject({ line: 3, column: 9, path: 'steps[0].id' });
    expect(diagnostic.message).toContain("'2nd_step'");
    expect(diagnostic.message).toMatch(/letter/);
  });

  it('reports a step id with a space as BAD_ID', () => {
    const diagnostic = onlyDiagnostic(
      yaml`
        name: p
        steps:
          - id: fetch data
            action: do it
      `,
      'BAD_ID',
    );
    expect(diagnostic).toMatchObject({ line: 3, column: 9 });
    expect(diagnostic.message).toContain("'fetch data'");
  });

  it('reports a bad pipeline name as BAD_ID at the value', () => {
    const diagnostic = onlyDiagnostic(
      yaml`
        name: my pipeline
        steps:
          - id: a
            action: do it
      `,
      'BAD_ID',
    );
    expect(diagnostic).toMatchObject({ line: 1, column: 7, path: 'name' });
    expect(diagnostic.message).toContain("'my pipeline'");
  });

  it('reports a duplicate id at the second use, pointing back at the first', () => {
    const diagnostic = onlyDiagnostic(
      yaml`
        name: p
        steps:
          - id: fetch
            action: do it
          - id: fetch
            action: do it again
      `,
      'DUPLICATE_ID',
    );
    expect(diagnostic).toMatchObject({ line: 5, column: 9, path: 'steps[1].id' });
    expect(diagnostic.message).toContain("'fetch'");
    expect(diagnostic.message).toContain('#1');
  });
});

describe('dependencies on unknown steps', () => {
  it('reports UNKNOWN_DEPENDENCY at the entry of a flow list, with a did-you-mean', () => {
    const diagnostic = onlyDiagnostic(
      yaml`
        name: p
        steps:
          - id: fetch_data
            action: do it
          - id: report
            action: write it
            depends_on: [fetch_dta]
      `,
      'UNKNOWN_DEPENDENCY',
    );
    expect(diagnostic).toMatchObject({ line: 7, column: 18, path: 'steps[1].depends_on[0]' });
    expect(diagnostic.message).toContain("'fetch_dta'");
    expect(diagnostic.message).toContain("did you mean 'fetch_data'");
  });

  it('reports UNKNOWN_DEPENDENCY at the entry of a block list under the `dependencies` alias', () => {
    const diagnostic = onlyDiagnostic(
      yaml`
        name: p
        steps:
          - id: fetch_data
            action: do it
          - id: report
            action: write it
            dependencies:
              - fetch_data
              - summary
      `,
      'UNKNOWN_DEPENDENCY',
    );
    expect(diagnostic).toMatchObject({ line: 9, column: 9, path: 'steps[1].dependencies[1]' });
    expect(diagnostic.message).toContain("'summary'");
  });
});

describe('cycles', () => {
  const threeStepCycle = yaml`
    name: p
    steps:
      - id: plan
        action: do it
        depends_on: [review]
      - id: draft
        action: do it
        depends_on: [plan]
      - id: review
        action: do it
        depends_on: [draft]
  `;

  it('reports one CYCLE per member of a 3-step cycle, each at that step id', () => {
    const cycles = compileErrors(threeStepCycle).filter((diagnostic) => diagnostic.code === 'CYCLE');
    expect(cycles.map(({ line, column, path }) => ({ line, column, path }))).toEqual([
      { line: 3, column: 9, path: 'steps[0].id' },
      { line: 6, column: 9, path: 'steps[1].id' },
      { line: 9, column: 9, path: 'steps[2].id' },
    ]);
  });

  it('names every step of the cycle in each CYCLE message', () => {
    const cycles = compileErrors(threeStepCycle).filter((diagnostic) => diagnostic.code === 'CYCLE');
    expect(cycles).toHaveLength(3);
    for (const cycle of cycles) {
      expect(cycle.message).toContain('plan');
      expect(cycle.message).toContain('draft');
      expect(cycle.message).toContain('review');
    }
  });

  it('finds a cycle made by template references as well as depends_on', () => {
    const cycles = compileErrors(yaml`
      name: p
      steps:
        - id: ask
          action: Answer {{ check.result }}
        - id: check
          action: Check {{ ask.result }}
    `).filter((diagnostic) => diagnostic.code === 'CYCLE');
    expect(cycles.map(({ line, column }) => ({ line, column }))).toEqual([
      { line: 3, column: 9 },
      { line: 5, column: 9 },
    ]);
    expect(cycles[0]!.message).toMatch(/ask.*check|check.*ask/);
  });

  it('reports a step that depends on itself', () => {
    const diagnostic = onlyDiagnostic(
      yaml`
        name: p
        steps:
          - id: loop
            action: do it
            depends_on: [loop]
      `,
      'CYCLE',
    );
    expect(diagnostic).toMatchObject({ line: 3, column: 9 });
    expect(diagnostic.message).toContain("'loop'");
  });

  it('reports a step whose template reads its own result, at the reference', () => {
    const diagnostic = onlyDiagnostic(
      yaml`
        name: p
        steps:
          - id: refine
            action: Improve {{ refine.result }}
      `,
      'CYCLE',
    );
    // "    action: Improve {{ " is 23 characters.
    expect(diagnostic).toMatchObject({ line: 4, column: 24, path: 'steps[0].action' });
    expect(diagnostic.message).toContain("'refine'");
  });
});

describe('template references to unknown names', () => {
  it('reports an unknown plain name in a plain scalar at the name, with a did-you-mean', () => {
    const diagnostic = onlyDiagnostic(
      yaml`
        name: p
        inputs:
          topic: string
        steps:
          - id: a
            action: Write about {{ topc }} today
      `,
      'UNKNOWN_REFERENCE',
    );
    // "    action: Write about {{ " is 27 characters.
    expect(diagnostic).toMatchObject({ line: 6, column: 28, path: 'steps[0].action' });
    expect(diagnostic.message).toContain("'topc'");
    expect(diagnostic.message).toContain("did you mean 'topic'");
  });

  it('reports an unknown inputs.NAME in a double-quoted scalar at the reference', () => {
    const diagnostic = onlyDiagnostic(
      yaml`
        name: p
        inputs:
          topic: string
        steps:
          - id: a
            action: "Write about {{ inputs.topc }}"
      `,
      'UNKNOWN_REFERENCE',
    );
    // '    action: "Write about {{ ' is 28 characters.
    expect(diagnostic).toMatchObject({ line: 6, column: 29 });
    expect(diagnostic.message).toMatch(/unknown input 'topc'/);
    expect(diagnostic.message).toContain("did you mean 'topic'");
  });

  it('reports an unknown step in a single-quoted parameter at the reference', () => {
    const diagnostic = onlyDiagnostic(
      yaml`
        name: p
        steps:
          - id: search
            action: search the web
          - id: report
            action: write_report
            parameters:
              sources: '{{ steps.serch.result }}'
      `,
      'UNKNOWN_REFERENCE',
    );
    // "      sources: '{{ " is 19 characters.
    expect(diagnostic).toMatchObject({ line: 8, column: 20, path: 'steps[1].parameters.sources' });
    expect(diagnostic.message).toMatch(/unknown step 'serch'/);
    expect(diagnostic.message).toContain("did you mean 'search'");
  });

  it('reports an unknown step in a | block scalar at its line and column', () => {
    const diagnostic = onlyDiagnostic(
      yaml`
        name: p
        inputs:
          topic: string
        steps:
          - id: a
            action: |
              Write about {{ topic }}.
              Cite {{ steps.serch.result }}.
          - id: search
            action: search the web
      `,
      'UNKNOWN_REFERENCE',
    );
    // "      Cite {{ " is 14 characters.
    expect(diagnostic).toMatchObject({ line: 8, column: 15, path: 'steps[0].action' });
    expect(diagnostic.message).toMatch(/unknown step 'serch'/);
  });

  it('reports a reference on a more-indented line of a | block scalar at its column', () => {
    const diagnostic = onlyDiagnostic(
      yaml`
        name: p
        inputs:
          topic: string
        steps:
          - id: a
            action: |
              Write about {{ topic }}:
                - mention {{ inputs.tpoic }}
      `,
      'UNKNOWN_REFERENCE',
    );
    // "        - mention {{ " is 21 characters: the list item is indented 2 beyond the block.
    expect(diagnostic).toMatchObject({ line: 8, column: 22 });
  });

  it('reports a reference on the second line of a > folded block scalar at its line and column', () => {
    const diagnostic = onlyDiagnostic(
      yaml`
        name: p
        inputs:
          topic: string
        steps:
          - id: a
            action: >
              Write about {{ topic }}
              and {{ inputs.tpoic }}
      `,
      'UNKNOWN_REFERENCE',
    );
    // "      and {{ " is 13 characters.
    expect(diagnostic).toMatchObject({ line: 8, column: 14 });
  });

  it('reports an unknown name in outputs', () => {
    const diagnostic = onlyDiagnostic(
      yaml`
        name: p
        inputs: {}
        steps:
          - id: report
            action: write it
        outputs:
          text: "{{ reprot.result }}"
      `,
      'UNKNOWN_REFERENCE',
    );
    // '  text: "{{ ' is 12 characters.
    expect(diagnostic).toMatchObject({ line: 7, column: 13, path: 'outputs.text' });
    expect(diagnostic.message).toContain("did you mean 'report'");
  });

  it("reports 'failed' outside a failure handler", () => {
    const diagnostic = onlyDiagnostic(
      yaml`
        name: p
        steps:
          - id: a
            action: Explain {{ failed.error }}
      `,
      'UNKNOWN_REFERENCE',
    );
    // "    action: Explain {{ " is 23 characters.
    expect(diagnostic).toMatchObject({ line: 4, column: 24 });
    expect(diagnostic.message).toContain('on_failure');
  });

  it("accepts 'failed' inside a failure handler", () => {
    const pipeline = compileOk(yaml`
      name: p
      steps:
        - id: fetch
          action: fetch it
          on_failure: explain
        - id: explain
          action: Explain {{ failed.error }}
    `);
    expect(stepOf(pipeline, 'explain').isHandler).toBe(true);
    expect(stepOf(pipeline, 'fetch').onFailure).toEqual({ kind: 'handler', step: 'explain' });
  });
});

describe('item and index', () => {
  it('reports {{ item }} in a step without for_each at the reference', () => {
    const diagnostic = onlyDiagnostic(
      yaml`
        name: p
        steps:
          - id: a
            action: Summarise {{ item }}
      `,
      'ITEM_OUTSIDE_FOR_EACH',
    );
    // "    action: Summarise {{ " is 25 characters.
    expect(diagnostic).toMatchObject({ line: 4, column: 26, path: 'steps[0].action' });
    expect(diagnostic.message).toContain('for_each');
  });

  it('reports {{ index }} in a step without for_each', () => {
    const diagnostic = onlyDiagnostic(
      yaml`
        name: p
        inputs: {}
        steps:
          - id: a
            action: do it
            parameters:
              n: "{{ index }}"
      `,
      'ITEM_OUTSIDE_FOR_EACH',
    );
    // '      n: "{{ ' is 13 characters.
    expect(diagnostic).toMatchObject({ line: 7, column: 14, path: 'steps[0].parameters.n' });
  });

  it('allows {{ item }} and {{ index }} in a step with for_each', () => {
    const pipeline = compileOk(yaml`
      name: p
      inputs:
        queries: array
      steps:
        - id: search
          for_each: "{{ inputs.queries }}"
          action: Search the web for {{ item }} (query {{ index }})
    `);
    expect(stepOf(pipeline, 'search').forEach).toBe('{{ inputs.queries }}');
  });
});

describe('AUTO tags where they cannot stand', () => {
  it('reports an AUTO tag as the action', () => {
    const diagnostic = onlyDiagnostic(
      yaml`
        name: p
        steps:
          - id: a
            action: <AUTO>Pick an action</AUTO>
      `,
      'AUTO_TAG',
    );
    expect(diagnostic).toMatchObject({ line: 4, column: 13, path: 'steps[0].action' });
    expect(diagnostic.message).toMatch(/cannot stand/);
  });

  it('reports an AUTO tag in outputs', () => {
    const diagnostic = onlyDiagnostic(
      yaml`
        name: p
        steps:
          - id: a
            action: do it
        outputs:
          summary: "<AUTO>Summarise the run</AUTO>"
      `,
      'AUTO_TAG',
    );
    expect(diagnostic).toMatchObject({ line: 6, column: 12, path: 'outputs.summary' });
    expect(diagnostic.message).toMatch(/cannot stand/);
  });

  it('reports an AUTO tag inside a longer string at the tag', () => {
    const diagnostic = onlyDiagnostic(
      yaml`
        name: p
        steps:
          - id: a
            action: search
            parameters:
              query: find papers about <AUTO>a topic</AUTO> please
      `,
      'AUTO_TAG',
    );
    // "      query: find papers about " is 31 characters.
    expect(diagnostic).toMatchObject({ line: 6, column: 32, path: 'steps[0].parameters.query' });
    expect(diagnostic.message).toMatch(/whole value/);
  });

  it('reports an unclosed AUTO tag at the tag', () => {
    const diagnostic = onlyDiagnostic(
      yaml`
        name: p
        steps:
          - id: a
            action: search
            parameters:
              depth: <AUTO>How deep to go
      `,
      'AUTO_TAG',
    );
    expect(diagnostic).toMatchObject({ line: 6, column: 14, path: 'steps[0].parameters.depth' });
    expect(diagnostic.message).toMatch(/unclosed/);
  });

  it('reports an unknown attribute of a bare (unquoted) AUTO tag at the tag', () => {
    const diagnostic = onlyDiagnostic(
      yaml`
        name: p
        steps:
          - id: a
            action: search
            parameters:
              depth: <AUTO kind="x">How deep to go</AUTO>
      `,
      'AUTO_TAG',
    );
    // "      depth: " is 13 characters; the tag starts at column 14.
    expect(diagnostic).toMatchObject({ line: 6, column: 14 });
    expect(diagnostic.message).toContain("'kind'");
  });
});

describe('on_failure handlers', () => {
  it('reports on_failure naming an unknown step, with a did-you-mean', () => {
    const diagnostic = onlyDiagnostic(
      yaml`
        name: p
        steps:
          - id: fetch
            action: fetch it
            on_failure: notify_admin
          - id: notify_admins
            action: tell the admins
      `,
      'UNKNOWN_HANDLER',
    );
    expect(diagnostic).toMatchObject({ line: 5, column: 17, path: 'steps[0].on_failure' });
    expect(diagnostic.message).toContain("'notify_admin'");
    expect(diagnostic.message).toContain("did you mean 'notify_admins'");
  });

  it('reports a step naming itself as its failure handler', () => {
    const diagnostic = onlyDiagnostic(
      yaml`
        name: p
        steps:
          - id: fetch
            action: fetch it
            on_failure: fetch
      `,
      'UNKNOWN_HANDLER',
    );
    expect(diagnostic).toMatchObject({ line: 5, column: 17 });
  });
});

describe('durations', () => {
  it('reports a bad step timeout at the value', () => {
    const diagnostic = onlyDiagnostic(
      yaml`
        name: p
        steps:
          - id: a
            action: do it
            timeout: 5 minutes
      `,
      'BAD_DURATION',
    );
    expect(diagnostic).toMatchObject({ line: 5, column: 14, path: 'steps[0].timeout' });
    expect(diagnostic.message).toContain("'5 minutes'");
    expect(diagnostic.message).toMatch(/30s/);
  });

  it('reports a bad config.timeout at the value', () => {
    const diagnostic = onlyDiagnostic(
      yaml`
        name: p
        config:
          timeout: soon
        steps:
          - id: a
            action: do it
      `,
      'BAD_DURATION',
    );
    expect(diagnostic).toMatchObject({ line: 3, column: 12, path: 'config.timeout' });
    expect(diagnostic.message).toContain("'soon'");
  });

  it('reports a zero timeout', () => {
    const diagnostic = onlyDiagnostic(
      yaml`
        name: p
        steps:
          - id: a
            action: do it
            timeout: 0
      `,
      'BAD_DURATION',
    );
    expect(diagnostic).toMatchObject({ line: 5, column: 14 });
  });

  it('reports a bad cache_ttl at the value', () => {
    const diagnostic = onlyDiagnostic(
      yaml`
        name: p
        steps:
          - id: a
            action: do it
            cache_ttl: forever
      `,
      'BAD_DURATION',
    );
    expect(diagnostic).toMatchObject({ line: 5, column: 16, path: 'steps[0].cache_ttl' });
  });
});

describe('several errors at once', () => {
  it('reports three different errors together, sorted by line', () => {
    const diagnostics = compileErrors(yaml`
      name: p
      steps:
        - id: loop
          action: do it
          depends_on: [loop]
        - id: b
          action: do it
          on_failure: nowhere
        - id: c
          action: do it
          retries: 3
    `);
    expect(diagnostics.map(({ code, line, column }) => ({ code, line, column }))).toEqual([
      { code: 'CYCLE', line: 3, column: 9 },
      { code: 'UNKNOWN_HANDLER', line: 8, column: 17 },
      { code: 'UNKNOWN_KEY', line: 11, column: 5 },
    ]);
  });
});

describe('numeric step settings', () => {
  it('reports max_parallel: 0 at the value instead of compiling a plan the runtime rejects', () => {
    const diagnostics = compileErrors(yaml`
      name: p
      steps:
        - id: a
          action: do it
          max_parallel: 0
    `);
    expect(diagnostics).toEqual([expect.objectContaining({ code: 'INVALID_VALUE', line: 5, column: 19, path: 'steps[0].max_parallel' })]);
  });

  it('reports a negative max_retries at the value', () => {
    const diagnostics = compileErrors(yaml`
      name: p
      steps:
        - id: a
          action: do it
          max_retries: -1
    `);
    expect(diagnostics).toEqual([expect.objectContaining({ code: 'INVALID_VALUE', line: 5, column: 18, path: 'steps[0].max_retries' })]);
  });
});

describe('template syntax', () => {
  it('reports a broken template as TEMPLATE_SYNTAX where the parser stops', () => {
    const diagnostic = onlyDiagnostic(
      yaml`
        name: p
        inputs:
          topic: string
        steps:
          - id: a
            action: Write {{ topic }
      `,
      'TEMPLATE_SYNTAX',
    );
    // "    action: Write {{ topic " is 27 characters; the lone '}' is at column 28.
    expect(diagnostic).toMatchObject({ line: 6, column: 28, path: 'steps[0].action' });
    expect(diagnostic.message).toMatch(/template syntax error/);
  });
});

describe('failure handlers in the normal graph', () => {
  it('reports a step that depends on a failure handler (a handler must not otherwise be reachable)', () => {
    const diagnostics = compileErrors(yaml`
      name: p
      steps:
        - id: fetch
          action: fetch it
          on_failure: notify
        - id: notify
          action: tell someone
        - id: after
          action: do it
          depends_on: [notify]
    `);
    expect(diagnostics).toEqual([expect.objectContaining({ line: 10, column: 18, path: 'steps[2].depends_on[0]' })]);
    expect(diagnostics[0]!.message).toContain("'notify'");
  });
});

describe('checkpoint_strategy (spec section 1: accepted, changes nothing)', () => {
  it('compiles, with a NO_EFFECT note at the key that says every step is checkpointed', () => {
    const result = compilePipeline(yaml`
      name: p
      config:
        model: echo
        checkpoint_strategy: adaptive
      steps:
        - id: a
          action: do it
    `);
    if (!result.ok) throw new Error(JSON.stringify(result.diagnostics));
    expect(result.notes).toEqual([expect.objectContaining({ code: 'NO_EFFECT', line: 4, column: 3, path: 'config.checkpoint_strategy' })]);
    expect(result.notes[0]!.message).toContain('"adaptive" changes nothing: every step is checkpointed');
  });

  it('leaves a pipeline without the key with no notes', () => {
    const result = compilePipeline(yaml`
      name: p
      steps:
        - id: a
          action: do it
    `);
    expect(result.ok && result.notes).toEqual([]);
  });
});
