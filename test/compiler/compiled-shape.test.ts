// The compiled pipeline is plain JSON that passes its own zod schema (what the workflow and API validate).
import { compiledPipelineSchema, compilePipeline, compileOrThrow, PipelineValidationError } from '../../src/compiler';
import { compileOk, yaml } from './helpers';

const fullPipeline = yaml`
  name: research_report
  version: 1.0.0
  description: Research a topic
  inputs:
    topic: { type: string, required: true, description: What to research }
    depth: { type: string, enum: [shallow, deep], default: shallow }
    max_results: integer
  config:
    model: local
    timeout: 5m
    max_retries: 2
    max_parallel: 4
    budget: { tokens: 50000, cost_usd: 1.00 }
    temperature: 0.2
  steps:
    - id: plan
      name: Plan the research
      action: |
        Plan research on {{ inputs.topic }} at {{ depth }} depth.
      output_schema: { type: object, properties: { queries: { type: array } }, required: [queries] }
    - id: search
      action: search
      for_each: "{{ plan.result.queries }}"
      max_parallel: 3
      parameters:
        query: "{{ item }}"
        num_results: <AUTO>Determine optimal number of results per query</AUTO>
      cache_results: true
      cache_ttl: 1h
      on_failure: continue
    - id: check
      action: approval
      parameters: { prompt: "Publish {{ search.result }}?", timeout: 3600 }
      on_failure: notify
    - id: notify
      action: Tell someone that {{ failed.error }}
    - id: report
      action: generate
      model: openai:gpt-4o-mini
      parameters: { prompt: "Write about {{ search.result }}", style: <AUTO choices="academic|business">Style</AUTO> }
      depends_on: [check]
      when: "{{ check.result.approved }}"
      timeout: 90
      temperature: 0.7
      max_tokens: 500
  outputs:
    report: "{{ report.result }}"
    summary: "{{ steps.report.summary }}"
`;

describe('compiled pipeline shape', () => {
  it('is plain JSON: a JSON round trip gives the same value', () => {
    const pipeline = compileOk(fullPipeline);
    expect(JSON.parse(JSON.stringify(pipeline))).toEqual(pipeline);
  });

  it('passes compiledPipelineSchema', () => {
    const pipeline = compileOk(fullPipeline);
    expect(compiledPipelineSchema.parse(pipeline)).toEqual(pipeline);
  });

  it('records the source file name when given', () => {
    const result = compilePipeline(fullPipeline, { file: 'pipelines/research.yaml' });
    expect(result.ok && result.pipeline.sourceFile).toBe('pipelines/research.yaml');
  });

  it('keeps name, version, description, outputs and what the outputs read', () => {
    const pipeline = compileOk(fullPipeline);
    expect(pipeline).toMatchObject({ name: 'research_report', version: '1.0.0', description: 'Research a topic' });
    expect(pipeline.outputs).toEqual({ report: '{{ report.result }}', summary: '{{ steps.report.summary }}' });
    expect(pipeline.outputReferences).toEqual([{ kind: 'step', step: 'report' }]);
  });

  it('never returns a plan that compiledPipelineSchema rejects (step max_parallel: 0, max_retries: -1)', () => {
    const result = compilePipeline(yaml`
      name: p
      steps:
        - id: a
          action: do it
          max_parallel: 0
          max_retries: -1
    `);
    if (result.ok) expect(() => compiledPipelineSchema.parse(result.pipeline)).not.toThrow();
    else expect(result.diagnostics.length).toBeGreaterThan(0);
  });
});

describe('compileOrThrow', () => {
  it('throws a PipelineValidationError whose message is FILE:LINE:COLUMN: CODE message lines', () => {
    const text = yaml`
      name: p
      steps:
        - id: a
          action: do it
          depends_on: [b]
    `;
    expect(() => compileOrThrow(text, 'p.yaml')).toThrow(PipelineValidationError);
    expect(() => compileOrThrow(text, 'p.yaml')).toThrow(/^p\.yaml:5:18: UNKNOWN_DEPENDENCY /);
  });
});
