// Model requirements resolved by selection when a step runs, and calls to rate-limited providers sent to their
// own task queue: the generic workflow on Temporal's time-skipping test server, with scripted models.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createActivities } from '../../src/activities';
import type { CompiledPipeline } from '../../src/compiler';
import { createModelCatalog } from '../../src/models/catalog';
import type { ModelResolver } from '../../src/models/registry';
import { loadSelectionStats } from '../../src/models/selection-stats';
import type { LanguageModel } from '../../src/models/types';
import { temporalTestServerPath } from '../../src/base/paths';
import { providerQueueFor } from '../../src/workflows/definitions';
import type { PipelineRunInput, RunResult } from '../../src/base/run-types';
import { compileYaml } from '../helpers/compile';
import { ScriptedModel } from '../helpers/scripted-model';
import { runMetricsSinks } from '../../src/worker/run-metrics-sink';

const TASK_QUEUE = 'model-routing-test';
const free = { input_per_1k: 0, output_per_1k: 0 };

/** Two OpenAI models that reason (cheap and dear), one Anthropic model whose key the worker lacks, one small local model. */
const catalog = createModelCatalog({
  thrifty: {
    provider: 'openai',
    model: 'thrifty',
    capabilities: { tasks: ['general', 'reasoning'], context_window: 16_000, structured_output: true },
    pricing: { input_per_1k: 0.0001, output_per_1k: 0.0004 },
  },
  lavish: {
    provider: 'openai',
    model: 'lavish',
    capabilities: { tasks: ['general', 'reasoning'], context_window: 128_000, structured_output: true },
    pricing: { input_per_1k: 0.002, output_per_1k: 0.008 },
  },
  keyless: {
    provider: 'anthropic',
    model: 'keyless',
    capabilities: { tasks: ['general', 'reasoning'], context_window: 200_000, structured_output: true },
    pricing: free,
  },
  tiny: { provider: 'local', model: 'tiny', capabilities: { tasks: ['general'], context_window: 2048, structured_output: true }, pricing: free },
  // The cheapest hosted model with a big window, but it cannot answer under a JSON Schema.
  plain: {
    provider: 'openai',
    model: 'plain',
    capabilities: { tasks: ['general'], context_window: 128_000, structured_output: false },
    pricing: { input_per_1k: 0.00001, output_per_1k: 0.00001 },
  },
});

let environment: TestWorkflowEnvironment;
let workers: Worker[] = [];
let runs: Array<Promise<void>> = [];
let statsDirectory: string;
let statsFile: string;
let runCounter = 0;
const model = new ScriptedModel();
/** Which worker's activities made each call: the run's queue (`pipeline`) or OpenAI's own queue (`openai`). */
const served: Array<{ queue: 'pipeline' | 'openai'; model: string; prompt: string }> = [];

/** Every spec answers as itself (`openai:thrifty`), through the scripted model; each call notes the queue it ran on. */
function resolverOn(queue: 'pipeline' | 'openai'): ModelResolver {
  return {
    resolve: (spec: string): LanguageModel => ({
      id: spec,
      provider: spec.split(':')[0]!,
      generate: async (request) => {
        const prompt = [...request.messages].reverse().find((message) => message.role === 'user')?.content ?? '';
        served.push({ queue, model: spec, prompt });
        return model.generate(request);
      },
    }),
  };
}

beforeAll(async () => {
  statsDirectory = fs.mkdtempSync(path.join(os.tmpdir(), 'orc-selection-'));
  statsFile = path.join(statsDirectory, 'model-stats.json');
  environment = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: temporalTestServerPath() } },
  });
  const shared = { catalog, environment: { OPENAI_API_KEY: 'sk-test' }, selectionStatsFile: statsFile };
  // The pipeline worker says OpenAI is rate-limited, so OpenAI calls go to its queue, which only the second worker polls.
  workers = [
    await Worker.create({
      connection: environment.nativeConnection,
      taskQueue: TASK_QUEUE,
      workflowsPath: require.resolve('../../src/workflows'),
    sinks: runMetricsSinks(),
      activities: createActivities({ models: resolverOn('pipeline'), ...shared, rateLimitedProviders: new Set(['openai']) }),
      shutdownGraceTime: '1s',
    }),
    await Worker.create({
      connection: environment.nativeConnection,
      taskQueue: providerQueueFor(TASK_QUEUE, 'openai'),
      activities: createActivities({ models: resolverOn('openai'), ...shared }),
      shutdownGraceTime: '1s',
    }),
  ];
  runs = workers.map((worker) => worker.run());
});

afterAll(async () => {
  for (const worker of workers) worker.shutdown();
  await Promise.all(runs);
  await environment?.teardown();
  fs.rmSync(statsDirectory, { recursive: true, force: true });
});

beforeEach(() => {
  model.reset(() => ({}));
  served.length = 0;
});

async function run(pipeline: CompiledPipeline, options: PipelineRunInput['options'] = {}, inputs: Record<string, unknown> = {}): Promise<RunResult> {
  const client = new Client({ connection: environment.client.connection });
  const input: PipelineRunInput = { pipeline, inputs, options };
  const handle = await client.workflow.start('pipelineWorkflow', { taskQueue: TASK_QUEUE, workflowId: `routing-${++runCounter}`, args: [input] });
  return (await handle.result()) as RunResult;
}

const reasoningStep = (id: string, policy = 'ucb'): string => `
name: ${id}
steps:
  - id: ${id}
    action: "Think hard about ${id}"
    model: { tasks: [reasoning], policy: ${policy} }
`;

test('a requirement picks a model when the step runs; the choice and its reasons are in the step result', async () => {
  const result = await run(compileYaml(reasoningStep('first_question', 'cost_optimized')));
  expect(result.status).toBe('completed');
  const step = result.steps.first_question!;
  expect(step.model).toBe('openai:thrifty');
  expect(step.model_selection).toEqual({
    requirement: { tasks: ['reasoning'], policy: 'cost_optimized' },
    policy: 'cost_optimized',
    chosen: 'openai:thrifty',
    candidates: ['openai:thrifty', 'openai:lavish'],
    rejected: [
      { model: 'anthropic:keyless', reasons: ["ANTHROPIC_API_KEY is not set in the worker's environment"] },
      { model: 'local:tiny', reasons: ['does not do reasoning (its tasks: general)'] },
      { model: 'openai:plain', reasons: ['does not do reasoning (its tasks: general)'] },
    ],
    reason: expect.stringMatching(/^cost_optimized: openai:thrifty is the cheapest/),
    estimated_prompt_tokens: expect.any(Number),
  });
  expect(step.model_selection!.estimated_prompt_tokens).toBeGreaterThan(5);
  // The chosen model really answered, on OpenAI's own queue.
  expect(served).toEqual([{ queue: 'openai', model: 'openai:thrifty', prompt: 'Think hard about first_question' }]);
});

test('outcomes of selected models persist in the statistics file, and UCB uses them on the next run', async () => {
  fs.rmSync(statsFile, { force: true });
  const first = await run(compileYaml(reasoningStep('ucb_one')));
  // Untried models first, cheapest first.
  expect(first.steps.ucb_one!.model).toBe('openai:thrifty');
  expect(loadSelectionStats(statsFile).models).toEqual({
    'openai:thrifty': expect.objectContaining({ attempts: 1, successes: 1 }),
  });

  const second = await run(compileYaml(reasoningStep('ucb_two')));
  expect(second.steps.ucb_two!.model).toBe('openai:lavish');
  expect(second.steps.ucb_two!.model_selection!.reason).toMatch(/openai:lavish has not been tried yet/);

  // Now both are tried; lavish fails every call, which the statistics remember.
  model.reset(() => ({ fail: { message: 'overloaded', retryable: false } }));
  const failing = compileYaml(`
name: ucb_three
steps:
  - id: ucb_three
    action: "Think about it"
    model: { tasks: [reasoning], policy: performance_optimized }
    max_retries: 0
`);
  const third = await run(failing);
  expect(third.steps.ucb_three!.status).toBe('failed');
  const statistics = loadSelectionStats(statsFile).models;
  const failedModel = third.steps.ucb_three!.model_selection!.chosen;
  expect(statistics[failedModel]).toEqual(expect.objectContaining({ attempts: 2, successes: 1 }));

  // performance_optimized now prefers the model that never failed.
  model.reset(() => ({}));
  const fourth = await run(compileYaml(reasoningStep('ucb_four', 'performance_optimized')));
  expect(fourth.steps.ucb_four!.model).not.toBe(failedModel);
  expect(fourth.steps.ucb_four!.model_selection!.reason).toMatch(/performs best \(100% success/);
});

test('a prompt too long for a model rules it out, and a step with an output schema needs structured output', async () => {
  model.reset(() => ({ json: { gist: 'long' } }));
  const longText = 'x'.repeat(40_000); // ~10,000 tokens: more than thrifty's 16,000 holds with 8,000 reserved for the answer
  const result = await run(
    compileYaml(`
name: long_prompt
inputs: { text: { type: string, required: true } }
steps:
  - id: digest
    action: "Digest this: {{ inputs.text }}"
    model: { tasks: [general], policy: cost_optimized }
    max_tokens: 8000
    output_schema: { type: object, properties: { gist: { type: string } }, required: [gist] }
`),
    {},
    { text: longText },
  );
  expect(result.steps.digest!.error).toBeNull();
  const selection = result.steps.digest!.model_selection!;
  expect(selection.estimated_prompt_tokens).toBeGreaterThan(10_000);
  expect(selection.rejected).toEqual(
    expect.arrayContaining([
      { model: 'openai:thrifty', reasons: [expect.stringMatching(/^context window 16,000 cannot hold the ~10,\d{3}-token prompt plus 8,000 tokens of answer$/)] },
      { model: 'local:tiny', reasons: [expect.stringMatching(/^context window 2,048 cannot hold/)] },
      { model: 'openai:plain', reasons: ['no structured output'] },
    ]),
  );
  expect(result.steps.digest!.model).toBe('openai:lavish');
});

test('no model meeting a requirement fails the step at once, listing why each model was ruled out', async () => {
  const result = await run(
    compileYaml(`
name: impossible
steps:
  - id: prove
    action: "Prove it"
    model: { tasks: [theorem_proving] }
    on_failure: continue
`),
  );
  expect(result.steps.prove!.status).toBe('failed');
  expect(result.steps.prove!.attempts).toBe(1);
  expect(result.steps.prove!.error).toMatch(/^step 'prove': Model requirement \{"tasks":\["theorem_proving"\]\}.*: no model in the catalog meets it\.\n {2}- openai:thrifty: does not do theorem_proving/);
  expect(served).toEqual([]);
});

test('named models: a rate-limited provider runs on its queue (AUTO tags too), others on the run queue; a for_each requirement is chosen once', async () => {
  model.reset((prompt) => (prompt.includes('Setting to choose:') ? { json: { value: 'formal' } } : {}));
  const result = await run(
    compileYaml(`
name: mixed
steps:
  - id: hosted
    action: "HOSTED step"
    model: openai:thrifty
  - id: local_one
    action: "LOCAL step"
    model: local:tiny
  - id: tuned
    action: "TUNED step"
    model: thrifty
    parameters:
      tone: "<AUTO>formal or casual</AUTO>"
  - id: each
    action: "EACH {{ item }}"
    for_each: [a, b, c]
    model: { tasks: [reasoning], policy: cost_optimized }
`),
  );
  expect(result.status).toBe('completed');
  const where = (marker: string): string[] => served.filter((call) => call.prompt.startsWith(marker)).map((call) => `${call.queue} ${call.model}`);
  expect(where('HOSTED')).toEqual(['openai openai:thrifty']);
  expect(where('LOCAL')).toEqual(['pipeline local:tiny']);
  // The AUTO tag is decided by the step's model (a registry name for an OpenAI model), on OpenAI's queue.
  expect(served.filter((call) => call.prompt.includes('formal or casual')).map((call) => `${call.queue} ${call.model}`)).toEqual(['openai thrifty']);
  expect(where('TUNED')).toEqual(['openai thrifty']);
  expect(where('EACH')).toEqual(['openai openai:thrifty', 'openai openai:thrifty', 'openai openai:thrifty']);
  expect(result.steps.each!.model_selection!.chosen).toBe('openai:thrifty');
});

test('a dry run neither selects nor routes: every call is echo, on the run queue', async () => {
  const result = await run(compileYaml(reasoningStep('dry')), { dryRun: true });
  expect(result.status).toBe('completed');
  expect(result.steps.dry!.model_selection).toBeUndefined();
  expect(served).toEqual([{ queue: 'pipeline', model: 'echo', prompt: 'Think hard about dry' }]);
});
