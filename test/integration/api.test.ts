// The TypeScript API (seeds/000 Orchestrator) against the shared real dev server, with echo and the local model.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PipelineValidationError, type Orchestrator, type RunResult } from '../../src/client';
import { sharedServerOrchestrator } from '../helpers/orchestrator';

const taskQueue = `api-test-${process.pid}`;
let orchestrator: Orchestrator;

beforeAll(async () => {
  orchestrator = sharedServerOrchestrator(taskQueue);
  await orchestrator.connect();
});

afterAll(async () => {
  await orchestrator?.close();
});

const examples = fs.readdirSync('pipelines').filter((file) => file.endsWith('.yaml'));

function inputsFor(example: string): Record<string, unknown> {
  const file = path.join('pipelines', 'inputs', example.replace(/\.yaml$/, '.json'));
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
}

test.each(examples)('example %s completes with echo, its outputs holding the rendered prompts', async (example) => {
  const inputs = inputsFor(example);
  const result = await orchestrator.executeYamlFile(path.join('pipelines', example), inputs, { dryRun: true });
  expect(result.status).toBe('completed');
  expect(Object.keys(result.outputs).length).toBeGreaterThan(0);
  for (const step of Object.values(result.steps)) {
    expect(step.status).toBe('completed');
    // Tool steps (run_code, mcp) have no model; a dry run shows what they would do without doing it.
    if (step.model !== null) expect(step.model).toBe('echo');
  }
  // Every input's text reaches some step's prompt, and so the outputs built from them.
  const everything = JSON.stringify(result.steps);
  for (const value of Object.values(inputs)) expect(everything).toContain(String(value).slice(0, 28));
});

test('executeYaml runs YAML text and returns the result object of spec section 6', async () => {
  const result = await orchestrator.executeYaml(
    `
name: api_text
inputs:
  who: { type: string, default: world }
steps:
  - id: greet
    action: "Say hello to {{ who }}"
outputs:
  greeting: "{{ greet.result }}"
`,
    {},
    { dryRun: true, runId: `api-text-${Date.now()}` },
  );
  expect(result).toMatchObject({
    pipeline: 'api_text',
    status: 'completed',
    outputs: { greeting: 'Say hello to world' },
    steps: { greet: { status: 'completed', result: 'Say hello to world', error: null, attempts: 1, model: 'echo' } },
    auto_resolutions: [],
  });
  expect(result.run_id).toMatch(/^api-text-/);
  expect(result.usage.input_tokens).toBeGreaterThan(0);
  expect(Date.parse(result.steps.greet!.completed_at!)).toBeGreaterThanOrEqual(Date.parse(result.steps.greet!.started_at!));
  // New runs take the patched path: their outcome is in the memo the Web UI shows.
  const description = await (await orchestrator.connect()).workflow.getHandle(result.run_id).describe();
  expect(description.memo).toMatchObject({ status: 'completed', steps: { completed: 1 } });
});

test('bad inputs throw a PipelineValidationError before anything runs', async () => {
  const attempt = orchestrator.executeYamlFile('pipelines/summarize.yaml', { text: 42 }, { dryRun: true });
  await expect(attempt).rejects.toBeInstanceOf(PipelineValidationError);
  await expect(attempt).rejects.toThrow(/summarize\.yaml:8:3: INPUT_TYPE input 'text' must be a string, got 42/);
});

test('starting a run id that is already running attaches to it instead of starting a second one', async () => {
  const pipeline = orchestrator.compile(`
name: attach
config: { model: echo }
steps:
  - id: one
    action: "first {{ n }}"
`);
  const runId = `attach-${Date.now()}`;
  const first = await orchestrator.start(pipeline, { n: '1' }, { runId });
  const second = await orchestrator.start(pipeline, { n: '2' }, { runId });
  expect(first.attached).toBe(false);
  expect(second.attached).toBe(true);
  const result = (await second.handle.result()) as RunResult;
  expect(result.steps.one!.result).toBe('first 1');
});

test('the local model writes the outputs of an example pipeline, with structured output and an AUTO tag', async () => {
  const result = await orchestrator.executeYamlFile('pipelines/support_reply.yaml', inputsFor('support_reply.yaml'));
  expect(result.status).toBe('completed');
  expect(['billing', 'bug', 'question', 'other']).toContain(result.outputs.category);
  expect(typeof result.steps.triage!.result).toBe('object');
  expect(String(result.outputs.reply).length).toBeGreaterThan(20);
  expect(result.steps.reply!.model).toBe('local:smollm2-135m');
  expect(result.auto_resolutions).toHaveLength(1);
  expect(result.auto_resolutions[0]).toMatchObject({ path: 'steps.reply.parameters.tone', model: 'local:smollm2-135m' });
  expect(['friendly', 'formal']).toContain(result.auto_resolutions[0]!.value);
});
