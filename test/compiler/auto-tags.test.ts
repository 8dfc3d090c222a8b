// <AUTO> tags: where they are listed, declared attributes, inferred schemas, and the seeds' bare unquoted form.
import type { AutoTag } from '../../src/compiler';
import { compileOk, stepOf, yaml } from './helpers';

const pipeline = compileOk(yaml`
  name: research
  description: Research a topic
  inputs:
    topic: string
  steps:
    - id: search
      action: search
      model: <AUTO task="research">Pick a model good at search</AUTO>
      timeout: <AUTO>How long the search may take</AUTO>
      max_retries: <AUTO>How many retries</AUTO>
      max_parallel: <AUTO>How many at once</AUTO>
      replicates: <AUTO>How many replicates</AUTO>
      parameters:
        query: "{{ topic }}"
        output_format: <AUTO>Choose appropriate format: bullet_points, narrative, or structured</AUTO>
        num_results: <AUTO>Determine optimal number of results per query</AUTO>
        enable_cache: <AUTO>Whether to cache results</AUTO>
        queries: <AUTO>Generate search queries based on research plan</AUTO>
        depth: <AUTO>Based on topic complexity, choose: shallow, medium, or deep</AUTO>  # as the seeds write it
        count: <AUTO type="integer" min="1" max="10">How many sources</AUTO>
        chart: <AUTO choices="table|chart|list">How to show the data</AUTO>
        quoted: '<AUTO>Choose: yes or no</AUTO>'
        nested:
          level: <AUTO type="number">A nested value</AUTO>
        flags:
          - <AUTO type="boolean">First flag</AUTO>
    - id: report
      action: Write a report on {{ search.result }}
`);

function tag(path: string): AutoTag {
  const found = pipeline.autoTags.find((candidate) => candidate.path === path);
  if (!found) throw new Error(`no AUTO tag at ${path}; have ${pipeline.autoTags.map((candidate) => candidate.path).join(', ')}`);
  return found;
}

describe('where AUTO tags are listed', () => {
  it('lists every tag with its path, in document order', () => {
    expect(pipeline.autoTags.map((candidate) => candidate.path)).toEqual([
      'steps.search.model',
      'steps.search.timeout',
      'steps.search.max_retries',
      'steps.search.max_parallel',
      'steps.search.replicates',
      'steps.search.parameters.output_format',
      'steps.search.parameters.num_results',
      'steps.search.parameters.enable_cache',
      'steps.search.parameters.queries',
      'steps.search.parameters.depth',
      'steps.search.parameters.count',
      'steps.search.parameters.chart',
      'steps.search.parameters.quoted',
      'steps.search.parameters.nested.level',
      'steps.search.parameters.flags.0',
    ]);
  });

  it('lists the same tags on the step they belong to', () => {
    expect(stepOf(pipeline, 'search').autoTags).toEqual(pipeline.autoTags);
    expect(stepOf(pipeline, 'report').autoTags).toEqual([]);
  });

  it('gives each tag its description, step and target', () => {
    expect(tag('steps.search.parameters.nested.level')).toMatchObject({
      step: 'search',
      description: 'A nested value',
      target: { kind: 'parameter', keys: ['nested', 'level'] },
    });
    expect(tag('steps.search.parameters.flags.0').target).toEqual({ kind: 'parameter', keys: ['flags', 0] });
    expect(tag('steps.search.timeout').target).toEqual({ kind: 'field', field: 'timeout' });
  });

  it('keeps the task attribute', () => {
    expect(tag('steps.search.model')).toMatchObject({ task: 'research', schema: { type: 'string' }, target: { kind: 'field', field: 'model' } });
  });

  it('leaves parameters as written, AUTO tags unresolved', () => {
    expect(stepOf(pipeline, 'search').parameters).toMatchObject({
      depth: '<AUTO>Based on topic complexity, choose: shallow, medium, or deep</AUTO>',
      count: '<AUTO type="integer" min="1" max="10">How many sources</AUTO>',
      query: '{{ topic }}',
    });
  });

  it('uses the pipeline default timeout until an AUTO timeout is decided', () => {
    expect(stepOf(pipeline, 'search').timeoutSeconds).toBe(300);
  });
});

describe('declared attributes', () => {
  it('reads type="integer" min="1" max="10" as a bounded integer', () => {
    expect(tag('steps.search.parameters.count').schema).toEqual({ type: 'integer', minimum: 1, maximum: 10 });
  });

  it('reads choices="table|chart|list" as an enum', () => {
    expect(tag('steps.search.parameters.chart').schema).toEqual({ type: 'string', enum: ['table', 'chart', 'list'] });
  });

  it('reads type="number" and type="boolean"', () => {
    expect(tag('steps.search.parameters.nested.level').schema).toEqual({ type: 'number' });
    expect(tag('steps.search.parameters.flags.0').schema).toEqual({ type: 'boolean' });
  });
});

describe('inferred schemas', () => {
  it('reads "Choose appropriate format: bullet_points, narrative, or structured" as an enum of 3', () => {
    expect(tag('steps.search.parameters.output_format').schema).toEqual({
      type: 'string',
      enum: ['bullet_points', 'narrative', 'structured'],
    });
  });

  it('infers an integer for num_results', () => {
    expect(tag('steps.search.parameters.num_results').schema).toMatchObject({ type: 'integer' });
  });

  it('infers a boolean for enable_cache', () => {
    expect(tag('steps.search.parameters.enable_cache').schema).toEqual({ type: 'boolean' });
  });

  it('infers an array of strings for queries', () => {
    expect(tag('steps.search.parameters.queries').schema).toMatchObject({ type: 'array', items: { type: 'string' } });
  });

  it('infers integers for a step timeout, max_retries, max_parallel and replicates', () => {
    expect(tag('steps.search.timeout').schema).toMatchObject({ type: 'integer', minimum: 1 });
    expect(tag('steps.search.max_retries').schema).toMatchObject({ type: 'integer', minimum: 0 });
    expect(tag('steps.search.max_parallel').schema).toMatchObject({ type: 'integer', minimum: 1 });
    expect(tag('steps.search.replicates').schema).toMatchObject({ type: 'integer', minimum: 1 });
  });
});

describe('bare unquoted tags as the seeds write them', () => {
  it('parses a bare tag with ": " inside, with a trailing comment', () => {
    expect(tag('steps.search.parameters.depth')).toMatchObject({
      description: 'Based on topic complexity, choose: shallow, medium, or deep',
      schema: { type: 'string', enum: ['shallow', 'medium', 'deep'] },
    });
  });

  it('parses a bare tag whose attributes hold double quotes', () => {
    expect(tag('steps.search.parameters.count').description).toBe('How many sources');
  });

  it('parses a single-quoted tag with ": " inside', () => {
    expect(tag('steps.search.parameters.quoted').schema).toEqual({ type: 'string', enum: ['yes', 'no'] });
  });

  it('parses a bare tag as a list item', () => {
    expect(stepOf(pipeline, 'search').parameters.flags).toEqual(['<AUTO type="boolean">First flag</AUTO>']);
  });
});
