// AUTO tags decided by the real local model (SmolLM2-135M): every seed tag gets a valid value, and two seed
// pipelines run end to end.
import * as path from 'node:path';
import Ajv from 'ajv';
import { resolveAutoTagValues } from '../../src/activities/auto-resolve';
import type { Orchestrator } from '../../src/client';
import { sharedServerOrchestrator } from '../helpers/orchestrator';
import type { TemplateContext } from '../../src/activities/types';
import { compilePipelineFile, type CompiledPipeline } from '../../src/compiler';
import { LocalModelServer } from '../../src/models/local/local-server-process';
import { createModelResolver } from '../../src/models/registry';

const seedFile = (name: string): string => path.join(__dirname, '..', 'fixtures', 'compiler', 'seeds', `${name}.yaml`);

/** Three rounds of inputs, so the three runs see different contexts. */
const rounds: Array<Record<string, Record<string, string>>> = [
  {
    'example-pipeline': { topic: 'quantum computing in cryptography' },
    'code-review': { github_pr_url: 'https://example.com/acme/shop/pull/42' },
    'data-analysis': { data_source: 'sales_2025.csv' },
    'ensemble-prediction': { raw_data: 'customer churn records', prediction_task: 'predict churn' },
  },
  {
    'example-pipeline': { topic: 'the history of tea' },
    'code-review': { github_pr_url: 'https://example.com/acme/api/pull/7' },
    'data-analysis': { data_source: 'sensor_readings.parquet' },
    'ensemble-prediction': { raw_data: 'house listings', prediction_task: 'predict sale price' },
  },
  {
    'example-pipeline': { topic: 'urban beekeeping' },
    'code-review': { github_pr_url: 'https://example.com/acme/web/pull/1001' },
    'data-analysis': { data_source: 'survey.json' },
    'ensemble-prediction': { raw_data: 'support tickets', prediction_task: 'classify urgency' },
  },
];

function compileSeed(name: string): CompiledPipeline {
  const result = compilePipelineFile(seedFile(name));
  if (!result.ok) throw new Error(JSON.stringify(result.diagnostics));
  return result.pipeline;
}

test('every one of the 34 seed AUTO tags gets a value that validates against its schema, over three runs', async () => {
  const localServer = new LocalModelServer();
  const models = createModelResolver({ localServer });
  const ajv = new Ajv({ strict: false });
  const problems: string[] = [];
  let valid = 0;
  try {
    for (const inputs of rounds) {
      for (const [seed, seedInputs] of Object.entries(inputs)) {
        const pipeline = compileSeed(seed);
        for (const step of pipeline.steps.filter((candidate) => candidate.autoTags.length > 0)) {
          const context: TemplateContext = { inputs: {}, steps: {} };
          for (const reference of step.references) if (reference.kind === 'input') context.inputs[reference.name] = seedInputs[reference.name];
          for (const dependency of step.dependsOn) {
            context.steps[dependency] = { result: `The ${dependency.replace(/_/g, ' ')} step finished for ${Object.values(seedInputs).join(', ')}.`, status: 'completed', error: null };
          }
          try {
            const resolved = await resolveAutoTagValues(
              { pipelineDescription: pipeline.description, step, tags: step.autoTags, model: 'local', placeholder: false, context },
              { models },
            );
            for (const resolution of resolved) {
              const tag = step.autoTags.find((candidate) => candidate.path === resolution.path)!;
              if (ajv.validate(tag.schema, resolution.value)) valid++;
              else problems.push(`${seed} ${tag.path} = ${JSON.stringify(resolution.value)}: ${ajv.errorsText()}`);
            }
          } catch (error) {
            problems.push(`${seed} ${step.id}: ${(error as Error).message}`);
          }
        }
      }
    }
  } finally {
    await localServer.stop();
  }
  expect(problems).toEqual([]);
  expect(valid).toBe(34 * 3);
}, 600_000);

describe('seed pipelines end to end with the local model', () => {
  let orchestrator: Orchestrator;

  beforeAll(async () => {
    orchestrator = sharedServerOrchestrator(`auto-local-${process.pid}`);
    await orchestrator.connect();
  });

  afterAll(async () => {
    await orchestrator?.close();
  });

  test.each([
    ['example-pipeline', { topic: 'quantum computing in cryptography' }, 9],
    ['code-review', { github_pr_url: 'https://example.com/acme/shop/pull/42' }, 7],
  ] as const)('the %s seed completes, with every AUTO value recorded and valid', async (seed, inputs, tagCount) => {
    const pipeline = compileSeed(seed);
    const result = await orchestrator.execute(pipeline, { ...inputs });
    expect(result.error).toBeNull();
    expect(result.status).toBe('completed');
    for (const step of Object.values(result.steps)) expect(step.model).toBe('local:smollm2-135m');
    expect(result.auto_resolutions).toHaveLength(tagCount);
    const ajv = new Ajv({ strict: false });
    for (const resolution of result.auto_resolutions) {
      const tag = pipeline.autoTags.find((candidate) => candidate.path === resolution.path)!;
      expect(ajv.validate(tag.schema, resolution.value)).toBe(true);
    }
    expect(Object.keys(result.outputs).length).toBeGreaterThan(0);
  }, 600_000);
});
