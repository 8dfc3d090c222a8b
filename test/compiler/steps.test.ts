// Per-step compilation: action kinds, structured output inference, timeouts/durations and on_failure.
import { compileOk, stepOf, yaml } from './helpers';

describe('action kinds', () => {
  // Tool actions need their parameters to compile.
  it.each([
    ['Summarise the text', 'prompt', ''],
    ['"{{ inputs.question }}"', 'prompt', ''],
    ['analyze', 'named', ''],
    ['generate_report', 'named', ''],
    ['generate', 'generate', ''],
    ['run_code', 'run_code', 'parameters: { language: python, code: "print(1)" }'],
    ['mcp', 'mcp', 'parameters: { server: mcp-server-everything, tool: echo }'],
    ['approval', 'approval', ''],
    ['pipeline', 'pipeline', ''],
  ])('action %s is %s', (action, kind, parameters) => {
    const pipeline = compileOk(yaml`
      name: p
      inputs:
        question: string
      steps:
        - id: a
          action: ${action}
          ${parameters}
    `);
    expect(stepOf(pipeline, 'a').actionKind).toBe(kind);
  });

  it('takes a multi-line | block for a prompt and keeps its text', () => {
    const pipeline = compileOk(yaml`
      name: p
      steps:
        - id: a
          action: |
            Summarise this.
            Be brief.
    `);
    expect(stepOf(pipeline, 'a')).toMatchObject({ actionKind: 'prompt', action: 'Summarise this.\nBe brief.\n' });
  });

  it('keeps the name of a named action as `action`', () => {
    const pipeline = compileOk(yaml`
      name: p
      steps:
        - id: a
          action: analyze
          parameters: { style: academic }
    `);
    expect(stepOf(pipeline, 'a')).toMatchObject({ action: 'analyze', parameters: { style: 'academic' } });
  });
});

describe('structured output inference', () => {
  const pipeline = compileOk(yaml`
    name: p
    steps:
      - id: parse
        action: Parse the code in {{ source }}
      - id: review
        action: Review {{ steps.parse.parsed_code }} and {{ parse.result.items }}
      - id: whole
        action: Write something
      - id: reader
        action: Quote {{ whole.result }} ({{ whole.status }})
  `);

  it('asks a step whose fields are read downstream for an object with those fields required', () => {
    const schema = stepOf(pipeline, 'parse').outputSchema;
    expect(schema).toMatchObject({ type: 'object' });
    expect(Object.keys((schema as { properties: object }).properties).sort()).toEqual(['items', 'parsed_code']);
    expect([...(schema as { required: string[] }).required].sort()).toEqual(['items', 'parsed_code']);
  });

  it('gives no schema to a step whose result is only read whole (or by status)', () => {
    expect(stepOf(pipeline, 'whole').outputSchema).toBeNull();
  });

  it('gives no schema to a step nobody reads', () => {
    expect(stepOf(pipeline, 'review').outputSchema).toBeNull();
  });

  it('lets a declared output_schema win over the inferred one', () => {
    const declared = { type: 'object', properties: { score: { type: 'number' } }, required: ['score'] };
    const withSchema = compileOk(yaml`
      name: p
      steps:
        - id: grade
          action: Grade the essay
          output_schema: { type: object, properties: { score: { type: number } }, required: [score] }
        - id: report
          action: Report {{ grade.result.score }} and {{ steps.grade.comment }}
    `);
    expect(stepOf(withSchema, 'grade').outputSchema).toEqual(declared);
  });

  it('gives no inferred schema to a run_code step', () => {
    const withCode = compileOk(yaml`
      name: p
      steps:
        - id: code
          action: run_code
          parameters: { language: python, code: "print(1)" }
        - id: report
          action: Report {{ code.result.stdout }}
    `);
    expect(stepOf(withCode, 'code').outputSchema).toBeNull();
  });

  it('infers a schema for named and generate actions too', () => {
    const llm = compileOk(yaml`
      name: p
      steps:
        - id: plan
          action: plan
        - id: gen
          action: generate
          parameters: { prompt: "Write a plan" }
        - id: use
          action: Use {{ plan.result.queries }} and {{ gen.result.title }}
    `);
    expect(stepOf(llm, 'plan').outputSchema).toMatchObject({ required: ['queries'] });
    expect(stepOf(llm, 'gen').outputSchema).toMatchObject({ required: ['title'] });
  });

  it('does not invent a field from a numeric index into a result', () => {
    const indexed = compileOk(yaml`
      name: p
      steps:
        - id: plan
          action: List three queries
        - id: use
          action: Search for {{ plan.result[0] }}
    `);
    const schema = stepOf(indexed, 'plan').outputSchema as { required?: string[] } | null;
    expect(schema?.required ?? []).not.toContain('0');
  });
});

describe('timeouts and retries', () => {
  it.each([
    ['30', 30],
    ['"30s"', 30],
    ['"5m"', 300],
    ['"1h30m"', 5400],
    ['1h', 3600],
    ['500ms', 0.5],
  ])('reads a step timeout of %s as %d seconds', (written, seconds) => {
    const pipeline = compileOk(yaml`
      name: p
      steps:
        - id: a
          action: do it
          timeout: ${written}
    `);
    expect(stepOf(pipeline, 'a').timeoutSeconds).toBe(seconds);
  });

  it('uses config.timeout (a duration string) as every step default', () => {
    const pipeline = compileOk(yaml`
      name: p
      config:
        timeout: 2m
        max_retries: 1
      steps:
        - id: a
          action: do it
        - id: b
          action: do it
          timeout: 10
          max_retries: 0
    `);
    expect(pipeline.config).toMatchObject({ timeoutSeconds: 120, maxRetries: 1 });
    expect(stepOf(pipeline, 'a')).toMatchObject({ timeoutSeconds: 120, maxRetries: 1 });
    expect(stepOf(pipeline, 'b')).toMatchObject({ timeoutSeconds: 10, maxRetries: 0 });
  });

  it('accepts `context` as an alias of `config`', () => {
    const pipeline = compileOk(yaml`
      name: p
      context:
        timeout: 3600
        checkpoint_strategy: adaptive
      steps:
        - id: a
          action: do it
    `);
    expect(stepOf(pipeline, 'a').timeoutSeconds).toBe(3600);
  });

  it('has defaults: 300 s timeout, 3 retries, model local, 10 in parallel', () => {
    const pipeline = compileOk(yaml`
      name: p
      steps:
        - id: a
          action: do it
    `);
    expect(pipeline.config).toMatchObject({ model: 'local', timeoutSeconds: 300, maxRetries: 3, maxParallel: 10 });
    expect(stepOf(pipeline, 'a')).toMatchObject({ timeoutSeconds: 300, maxRetries: 3, onFailure: { kind: 'fail' }, model: null });
  });
});

describe('on_failure', () => {
  it.each(['fail', 'continue', 'skip', 'retry'] as const)('reads on_failure: %s', (kind) => {
    const pipeline = compileOk(yaml`
      name: p
      steps:
        - id: a
          action: do it
          on_failure: ${kind}
    `);
    expect(stepOf(pipeline, 'a').onFailure).toEqual({ kind });
  });

  it('reads on_failure: <step id> as a handler and marks that step', () => {
    const pipeline = compileOk(yaml`
      name: p
      steps:
        - id: fetch
          action: fetch it
          on_failure: apologise
        - id: apologise
          action: Say sorry about {{ failed.error }}
    `);
    expect(stepOf(pipeline, 'fetch').onFailure).toEqual({ kind: 'handler', step: 'apologise' });
    expect(stepOf(pipeline, 'apologise').isHandler).toBe(true);
    expect(stepOf(pipeline, 'fetch').isHandler).toBe(false);
  });
});
