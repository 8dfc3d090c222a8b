// Every example in pipelines/ and the four seed pipelines of seeds/004 compile with no diagnostics.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { compiledPipelineSchema, compilePipelineFile } from '../../src/compiler';

const repositoryRoot = path.resolve(__dirname, '..', '..');

function yamlFilesIn(directory: string): string[] {
  return fs
    .readdirSync(directory)
    .filter((file) => /\.ya?ml$/.test(file))
    .sort()
    .map((file) => path.join(directory, file));
}

describe('example pipelines (pipelines/*.yaml)', () => {
  const files = yamlFilesIn(path.join(repositoryRoot, 'pipelines'));

  it('finds at least one example', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it.each(files.map((file) => [path.basename(file), file]))('%s compiles with no diagnostics', (_name, file) => {
    const result = compilePipelineFile(file);
    expect(result.diagnostics).toEqual([]);
    expect(result.ok).toBe(true);
    if (result.ok) expect(() => compiledPipelineSchema.parse(result.pipeline)).not.toThrow();
  });
});

describe('seed pipelines (seeds/004 sections 4.2, 10.1, 10.2, 10.3)', () => {
  const seeds = path.join(repositoryRoot, 'test', 'fixtures', 'compiler', 'seeds');

  it('has all four seed files', () => {
    expect(yamlFilesIn(seeds).map((file) => path.basename(file))).toEqual([
      'code-review.yaml',
      'data-analysis.yaml',
      'ensemble-prediction.yaml',
      'example-pipeline.yaml',
    ]);
  });

  it.each(yamlFilesIn(seeds).map((file) => [path.basename(file), file]))('%s compiles with no diagnostics', (_name, file) => {
    const result = compilePipelineFile(file);
    expect(result.diagnostics).toEqual([]);
    expect(result.ok).toBe(true);
    if (result.ok) expect(() => compiledPipelineSchema.parse(result.pipeline)).not.toThrow();
  });

  it('example-pipeline.yaml: follows `dependencies`, takes {{ topic }} as an implicit input, lists its 9 AUTO tags', () => {
    const result = compilePipelineFile(path.join(seeds, 'example-pipeline.yaml'));
    if (!result.ok) throw new Error(JSON.stringify(result.diagnostics));
    const { pipeline } = result;
    expect(pipeline.levels).toEqual([['topic_analysis'], ['research_planning'], ['web_search'], ['content_synthesis'], ['report_generation']]);
    expect(Object.keys(pipeline.inputs)).toEqual(['topic']);
    expect(pipeline.autoTags).toHaveLength(9);
    expect(pipeline.autoTags.find((tag) => tag.path === 'steps.research_planning.parameters.research_depth')?.schema).toEqual({
      type: 'string',
      enum: ['shallow', 'medium', 'deep'],
    });
    expect(pipeline.steps.every((step) => step.actionKind === 'named')).toBe(true);
  });

  it('code-review.yaml: runs the three analyses in parallel and asks code_parsing for parsed_code', () => {
    const result = compilePipelineFile(path.join(seeds, 'code-review.yaml'));
    if (!result.ok) throw new Error(JSON.stringify(result.diagnostics));
    const { pipeline } = result;
    expect(pipeline.levels).toEqual([['code_parsing'], ['security_scan', 'style_check', 'complexity_analysis'], ['generate_review']]);
    expect(pipeline.steps.find((step) => step.id === 'code_parsing')?.outputSchema).toMatchObject({ required: ['parsed_code'] });
    expect(pipeline.inputs.github_pr_url).toMatchObject({ type: 'string', required: true });
  });
});
