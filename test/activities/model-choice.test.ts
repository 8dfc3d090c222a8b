// The chooseModel activity (requirements resolved by selection, queues of rate-limited providers) and the LLM step
// activity adding the outcomes of selected models to the persisted statistics.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createGenerateActivities } from '../../src/activities/generate';
import { createModelChoiceActivities, rateLimitedProvidersOf } from '../../src/activities/model-choice';
import type { ChooseModelInput, ExecuteStepInput } from '../../src/activities/types';
import { createModelCatalog } from '../../src/models/catalog';
import { recordOutcome } from '../../src/models/selection';
import { loadSelectionStats, saveSelectionStats, emptySelectionStatistics } from '../../src/models/selection-stats';
import { compileYaml } from '../helpers/compile';
import { resolverFor, ScriptedModel } from '../helpers/scripted-model';

const catalog = createModelCatalog(
  {
    fast: {
      provider: 'openai',
      model: 'fast',
      aliases: ['speedy'],
      capabilities: { tasks: ['general', 'reasoning'], context_window: 8_000, structured_output: true },
      pricing: { input_per_1k: 0.0002, output_per_1k: 0.0008 },
    },
    deep: {
      provider: 'google',
      model: 'deep',
      capabilities: { tasks: ['general', 'reasoning'], context_window: 1_000_000, structured_output: true },
      pricing: { input_per_1k: 0.001, output_per_1k: 0.004 },
    },
    careful: {
      provider: 'anthropic',
      model: 'careful',
      capabilities: { tasks: ['general', 'reasoning'], context_window: 200_000, structured_output: true },
      pricing: { input_per_1k: 0.003, output_per_1k: 0.015 },
    },
    home: { provider: 'local', model: 'home', capabilities: { tasks: ['general'], context_window: 4_096 }, pricing: { input_per_1k: 0, output_per_1k: 0 } },
  },
  'model-choice.test',
  { google: { rate_limits: { requests_per_minute: 30 } } },
);

let directory: string;
let statsFile: string;

beforeEach(() => {
  directory = fs.mkdtempSync(path.join(os.tmpdir(), 'orc-choice-'));
  statsFile = path.join(directory, 'model-stats.json');
});

afterEach(() => fs.rmSync(directory, { recursive: true, force: true }));

function activities(environment: NodeJS.ProcessEnv = { OPENAI_API_KEY: 'k', GOOGLE_API_KEY: 'k' }) {
  return createModelChoiceActivities({ catalog, environment, selectionStatsFile: statsFile, rateLimitedProviders: rateLimitedProvidersOf(catalog) });
}

function callFor(yaml: string, context: ExecuteStepInput['context'] = { inputs: {}, steps: {} }): ExecuteStepInput {
  const pipeline = compileYaml(yaml);
  return { pipelineName: pipeline.name, pipelineDescription: null, step: pipeline.steps[0]!, model: '', temperature: null, maxTokens: null, context };
}

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ApplicationFailure) return error;
    throw error;
  }
  throw new Error('expected a failure');
}

test('the providers with rate_limits in the catalog are the rate-limited ones', () => {
  expect([...rateLimitedProvidersOf(catalog)]).toEqual(['google']);
});

test('a named model stays on the run queue unless its provider is rate-limited; names and aliases find their provider', async () => {
  const { chooseModel } = activities();
  const ask = (spec: string) => chooseModel({ spec, stepId: null, workflowTaskQueue: 'orc-pipelines' });
  expect(await ask('openai:fast')).toEqual({ model: 'openai:fast', provider: 'openai', taskQueue: null, selection: null });
  expect(await ask('speedy')).toEqual({ model: 'speedy', provider: 'openai', taskQueue: null, selection: null });
  expect(await ask('deep')).toEqual({ model: 'deep', provider: 'google', taskQueue: 'orc-pipelines.provider.google', selection: null });
  expect(await ask('google:gemini-anything')).toEqual({
    model: 'google:gemini-anything',
    provider: 'google',
    taskQueue: 'orc-pipelines.provider.google',
    selection: null,
  });
  expect((await ask('echo')).taskQueue).toBeNull();
});

test('without rate-limited providers a named model needs no catalog at all', async () => {
  // A catalog that cannot load would throw if it were read.
  const { chooseModel } = createModelChoiceActivities({ environment: { ORC_MODELS_FILE: '/nonexistent/models.yaml' } });
  expect(await chooseModel({ spec: 'openai:x', stepId: 's', workflowTaskQueue: 'q' })).toEqual({ model: 'openai:x', provider: 'openai', taskQueue: null, selection: null });
});

test('a requirement is met by a model whose provider has a key; the answer records candidates, rejections and why', async () => {
  const { chooseModel } = activities({ GOOGLE_API_KEY: 'k' });
  const input: ChooseModelInput = {
    spec: { tasks: ['reasoning'], policy: 'cost_optimized' },
    stepId: 'think',
    workflowTaskQueue: 'runs',
    call: callFor('name: p\nsteps:\n  - id: think\n    action: "Think about {{ inputs.topic }}"\n', { inputs: { topic: 'tides' }, steps: {} }),
  };
  const answer = await chooseModel(input);
  expect(answer).toEqual({
    model: 'google:deep',
    provider: 'google',
    taskQueue: 'runs.provider.google',
    selection: {
      requirement: { tasks: ['reasoning'], policy: 'cost_optimized' },
      policy: 'cost_optimized',
      chosen: 'google:deep',
      candidates: ['google:deep'],
      rejected: [
        { model: 'openai:fast', reasons: ["OPENAI_API_KEY is not set in the worker's environment"] },
        { model: 'anthropic:careful', reasons: ["ANTHROPIC_API_KEY is not set in the worker's environment"] },
        { model: 'local:home', reasons: ['does not do reasoning (its tasks: general)'] },
      ],
      reason: expect.stringMatching(/^cost_optimized: google:deep is the cheapest/),
      estimated_prompt_tokens: expect.any(Number),
    },
  });
  // The rendered prompt ("Think about tides") plus the system prompt, at ~4 characters a token.
  expect(answer.selection!.estimated_prompt_tokens).toBeGreaterThan(10);
  expect(answer.selection!.estimated_prompt_tokens).toBeLessThan(60);
});

test("a model whose circuit is open in this worker is not chosen while it stays open", async () => {
  const open = new Set(['openai:fast']);
  const models = { unavailable: (id: string) => (open.has(id) ? 'circuit open after 5 failures in a row (30 s more)' : undefined) };
  const { chooseModel } = createModelChoiceActivities({ catalog, environment: { OPENAI_API_KEY: 'k', GOOGLE_API_KEY: 'k' }, selectionStatsFile: statsFile, models });
  const input: ChooseModelInput = { spec: { tasks: ['reasoning'], policy: 'cost_optimized' }, stepId: 'think', workflowTaskQueue: 'runs' };
  const whileOpen = await chooseModel(input);
  expect(whileOpen.model).toBe('google:deep');
  expect(whileOpen.selection!.rejected).toContainEqual({ model: 'openai:fast', reasons: ['circuit open after 5 failures in a row (30 s more)'] });
  open.clear();
  expect((await chooseModel(input)).model).toBe('openai:fast');
});

test("the prompt's size and the step's max_tokens must fit the context window", async () => {
  const { chooseModel } = activities();
  const call = { ...callFor('name: p\nsteps:\n  - id: read\n    action: "Read {{ inputs.text }}"\n', { inputs: { text: 'word '.repeat(5_000) }, steps: {} }), maxTokens: 2_000 };
  const answer = await chooseModel({ spec: { tasks: ['general'], policy: 'cost_optimized' }, stepId: 'read', workflowTaskQueue: 'q', call });
  expect(answer.model).toBe('google:deep');
  expect(answer.selection!.rejected).toContainEqual({
    model: 'openai:fast',
    reasons: [expect.stringMatching(/^context window 8,000 cannot hold the ~6,\d{3}-token prompt plus 2,000 tokens of answer$/)],
  });
});

test('a step with an output schema only gets a model with structured output', async () => {
  const { chooseModel } = createModelChoiceActivities({
    catalog: createModelCatalog({
      loose: { provider: 'local', model: 'loose', capabilities: { tasks: ['general'], context_window: 8_000 }, pricing: { input_per_1k: 0, output_per_1k: 0 } },
      strict: {
        provider: 'local',
        model: 'strict',
        capabilities: { tasks: ['general'], context_window: 8_000, structured_output: true },
        pricing: { input_per_1k: 0.1, output_per_1k: 0.1 },
      },
    }),
    selectionStatsFile: statsFile,
  });
  const plain = callFor('name: p\nsteps:\n  - id: s\n    action: "Say hi"\n');
  const structured = callFor('name: p\nsteps:\n  - id: s\n    action: "Say hi"\n    output_schema: { type: object }\n');
  const spec = { tasks: ['general'], policy: 'cost_optimized' };
  expect((await chooseModel({ spec, stepId: 's', workflowTaskQueue: 'q', call: plain })).model).toBe('local:loose');
  expect((await chooseModel({ spec, stepId: 's', workflowTaskQueue: 'q', call: structured })).model).toBe('local:strict');
});

test('UCB reads the statistics file: every candidate once, then the best', async () => {
  const { chooseModel } = activities({ OPENAI_API_KEY: 'k', GOOGLE_API_KEY: 'k', ANTHROPIC_API_KEY: 'k' });
  const choose = async () => (await chooseModel({ spec: { tasks: ['reasoning'] }, stepId: 's', workflowTaskQueue: 'q' })).model;
  expect(await choose()).toBe('openai:fast');
  const statistics = emptySelectionStatistics();
  recordOutcome(statistics, 'openai:fast', { success: true, latencyMs: 500, costUsd: 0.0001 });
  saveSelectionStats(statistics, statsFile);
  expect(await choose()).toBe('google:deep');
  recordOutcome(statistics, 'google:deep', { success: false, latencyMs: 500, costUsd: 0 });
  recordOutcome(statistics, 'anthropic:careful', { success: false, latencyMs: 500, costUsd: 0 });
  saveSelectionStats(statistics, statsFile);
  expect(await choose()).toBe('openai:fast');
});

test('no model meeting the requirement, or an invalid requirement, is a non-retryable failure naming the step', async () => {
  const { chooseModel } = activities();
  const none = await failureOf(chooseModel({ spec: { tasks: ['juggling'] }, stepId: 'juggle', workflowTaskQueue: 'q' }));
  expect(none.nonRetryable).toBe(true);
  expect(none.type).toBe('ModelSelectionError');
  expect(none.message).toMatch(/^step 'juggle': Model requirement \{"tasks":\["juggling"\]\}: no model in the catalog meets it\.\n {2}- openai:fast: does not do juggling/);
  const invalid = await failureOf(chooseModel({ spec: { task: 'reasoning' }, stepId: 'typo', workflowTaskQueue: 'q' }));
  expect(invalid.nonRetryable).toBe(true);
  expect(invalid.message).toMatch(/^step 'typo': Invalid model requirement \{"task":"reasoning"\}/);
});

describe('executeLlmStep and the selection statistics', () => {
  const model = new ScriptedModel();
  const run = (input: ExecuteStepInput) =>
    new MockActivityEnvironment({ attempt: 1 }).run(createGenerateActivities({ models: resolverFor(model), selectionStatsFile: statsFile }).executeLlmStep, input);
  const call = (recordOutcome: boolean): ExecuteStepInput => ({
    ...callFor('name: p\nsteps:\n  - id: s\n    action: "Answer me"\n'),
    model: 'fake:scripted',
    ...(recordOutcome ? { recordOutcome } : {}),
  });

  test('a selected model adds each call (success or not) to the file; a named model adds nothing', async () => {
    model.reset(() => ({ delayMs: 20 }));
    await run(call(false));
    expect(fs.existsSync(statsFile)).toBe(false);
    await run(call(true));
    expect(loadSelectionStats(statsFile).models['fake:scripted']).toEqual(
      expect.objectContaining({ attempts: 1, successes: 1, totalLatencyMs: expect.any(Number), lastUsedAt: expect.any(String) }),
    );
    expect(loadSelectionStats(statsFile).models['fake:scripted']!.totalLatencyMs).toBeGreaterThanOrEqual(15);
    model.reset(() => ({ fail: { message: 'boom', retryable: true } }));
    await expect(run(call(true))).rejects.toThrow(/boom/);
    expect(loadSelectionStats(statsFile).models['fake:scripted']).toEqual(expect.objectContaining({ attempts: 2, successes: 1 }));
  });

  test('a prompt that cannot render is not held against the model', async () => {
    const broken = { ...callFor('name: p\ninputs: { x: string }\nsteps:\n  - id: s\n    action: "Answer {{ inputs.x }}"\n'), model: 'fake:scripted', recordOutcome: true };
    await expect(run(broken)).rejects.toThrow(/undefined/);
    expect(fs.existsSync(statsFile)).toBe(false);
  });
});
