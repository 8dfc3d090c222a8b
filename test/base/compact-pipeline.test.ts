// The compiled pipeline as a workflow input carries: step fields at their defaults left out, and put back as they were.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { expandStepInput } from '../../src/activities/generate';
import { compactPipeline, compactStep, expandPipeline, expandStep } from '../../src/base/compact-pipeline';
import { transportedStepInput } from '../../src/workflows/step-calls';
import { compilePipelineFile } from '../../src/compiler';
import { compileYaml } from '../helpers/compile';

const root = path.resolve(__dirname, '..', '..');
const examples = [...fs.readdirSync(path.join(root, 'pipelines')).map((file) => path.join('pipelines', file)), ...fs.readdirSync(path.join(root, 'test/fixtures/compiler/seeds')).map((file) => path.join('test/fixtures/compiler/seeds', file))].filter((file) => file.endsWith('.yaml'));

it.each(examples)('%s comes back from compaction exactly as compiled, key order included', (file) => {
  const result = compilePipelineFile(path.join(root, file));
  if (!result.ok) throw new Error(JSON.stringify(result.diagnostics));
  const carried = JSON.parse(JSON.stringify(compactPipeline(result.pipeline))) as ReturnType<typeof compactPipeline>;
  expect(JSON.stringify(expandPipeline(carried))).toBe(JSON.stringify(result.pipeline));
});

it('keeps every field that differs from its default, and leaves a full pipeline (an older input) as it is', () => {
  const pipeline = compileYaml(`
name: varied
config: { timeout: 60, max_retries: 1 }
steps:
  - id: a
    action: "Say hi"
    timeout: 30
    on_failure: continue
  - id: b
    action: "Answer {{ a.result }}"
    max_retries: 1
    when: false
`);
  const compact = compactPipeline(pipeline);
  expect(compact.steps[0]).toEqual({ id: 'a', actionKind: 'prompt', action: 'Say hi', timeoutSeconds: 30, onFailure: { kind: 'continue' } });
  expect(compact.steps[1]).toMatchObject({ id: 'b', dependsOn: ['a'], when: false, references: [{ kind: 'step', step: 'a' }] });
  expect(compact.steps[1]).not.toHaveProperty('maxRetries');
  expect(expandPipeline(compact)).toEqual(pipeline);
  expect(expandPipeline(pipeline)).toBe(pipeline);
});

it('fits a 5,000-step chain in well under Temporal’s 2 MB payload limit (in full it is over it)', () => {
  const steps = Array.from({ length: 5000 }, (_, index) => `  - id: s${index}\n    action: "next ${index === 0 ? 'start' : `{{ s${index - 1}.result }}`}"\n`).join('');
  const pipeline = compileYaml(`name: long\nsteps:\n${steps}`);
  expect(Buffer.byteLength(JSON.stringify(pipeline))).toBeGreaterThan(2 * 1024 * 1024);
  expect(Buffer.byteLength(JSON.stringify(compactPipeline(pipeline)))).toBeLessThan(1024 * 1024);
});

describe('a step as a model call carries it (compactStep) and the activity fills it in (expandStep)', () => {
  it.each(examples)('every step of %s comes back exactly, key order included', (file) => {
    const result = compilePipelineFile(path.join(root, file));
    if (!result.ok) throw new Error(JSON.stringify(result.diagnostics));
    for (const step of result.pipeline.steps) {
      const carried = JSON.parse(JSON.stringify(compactStep(step))) as ReturnType<typeof compactStep>;
      expect(JSON.stringify(expandStep(carried))).toBe(JSON.stringify(step));
    }
  });

  it('leaves out what is at its default, keeps the timeout and retries, and takes a whole step as it is', () => {
    const [step] = compileYaml(`
name: small
steps:
  - id: s0
    action: "independent step 0"
`).steps;
    expect(compactStep(step!)).toEqual({ id: 's0', actionKind: 'prompt', action: 'independent step 0', timeoutSeconds: step!.timeoutSeconds, maxRetries: step!.maxRetries });
    expect(expandStep(step!)).toEqual(step);
  });

  it('an activity input travels without its null fields and is whole again on arrival', () => {
    const [step] = compileYaml(`
name: input
steps:
  - id: s0
    action: "Answer"
    output_schema: { type: object }
`).steps;
    const input = { pipelineName: 'input', pipelineDescription: null, step: step!, model: 'echo', temperature: null, maxTokens: 50, context: { inputs: {}, steps: {} } };
    const transported = JSON.parse(JSON.stringify(transportedStepInput(input))) as ReturnType<typeof transportedStepInput>;
    expect(transported).not.toHaveProperty('pipelineDescription');
    expect(transported).not.toHaveProperty('temperature');
    expect(JSON.stringify(transported).length).toBeLessThan(JSON.stringify(input).length / 2);
    expect(expandStepInput(transported)).toEqual(input);
  });
});
