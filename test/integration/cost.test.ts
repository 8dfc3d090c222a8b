// Usage and cost: a registry name resolves to its provider model, and the run's cost comes from models.yaml prices.
import type { Orchestrator } from '../../src/client';
import { sharedServerOrchestrator } from '../helpers/orchestrator';
import { compileYaml } from '../helpers/compile';
import { FakeOpenAIServer } from '../helpers/fake-openai';

const fake = new FakeOpenAIServer();
let orchestrator: Orchestrator;

beforeAll(async () => {
  fake.delayMs = 10;
  process.env.OPENAI_BASE_URL = await fake.start();
  process.env.OPENAI_API_KEY = 'sk-test-cost';
  orchestrator = sharedServerOrchestrator(`cost-${process.pid}`);
  await orchestrator.connect();
});

afterAll(async () => {
  await orchestrator?.close();
  await fake.stop();
});

test('steps on gpt-4o-mini (a registry name) cost its list price per token, summed per run', async () => {
  const result = await orchestrator.execute(
    compileYaml(`
name: priced
config: { model: gpt-4o-mini }
steps:
  - id: first
    action: first question
  - id: second
    action: "second after {{ first.result }}"
`),
    {},
  );
  expect(result.status).toBe('completed');
  expect(result.steps.first!.model).toBe('openai:gpt-4o-mini');
  // The fake answers 10 input and 5 output tokens; gpt-4o-mini lists $0.00015 / $0.0006 per 1K.
  expect(result.steps.first!.usage).toEqual({ input_tokens: 10, output_tokens: 5, cost_usd: expect.closeTo(0.0000045, 12) });
  expect(result.usage.input_tokens).toBe(20);
  expect(result.usage.cost_usd).toBeCloseTo(0.000009, 12);
  expect(fake.calls.map((call) => call.prompt)).toEqual(['first question', 'second after done(first question)']);
});

test('a model that answers 401 fails over to the fallback model; the step records both attempts', async () => {
  fake.unauthorizedModels.add('revoked-model');
  const result = await orchestrator.execute(
    compileYaml(`
name: fallback
config:
  model: "openai:revoked-model"
  fallback_models: [gpt-4o-mini]
steps:
  - id: answer
    action: answer the question
`),
    {},
  );
  expect(result.status).toBe('completed');
  expect(result.steps.answer!.model).toBe('openai:gpt-4o-mini');
  expect(result.steps.answer!.result).toBe('done(answer the question)');
  expect(result.steps.answer!.model_attempts).toEqual([
    { model: 'openai:revoked-model', error: expect.stringMatching(/openai:revoked-model rejected the API key \(HTTP 401/) },
    { model: 'openai:gpt-4o-mini', error: null },
  ]);
});

test('after a 429 with Retry-After: 2 the next attempt comes 2 s later, not at the default 1 s backoff', async () => {
  fake.rateLimitOnce.add('limited question');
  const result = await orchestrator.execute(compileYaml(`name: limited\nconfig: { model: gpt-4o-mini }\nsteps:\n  - id: ask\n    action: limited question\n`), {});
  expect(result.status).toBe('completed');
  expect(result.steps.ask!.attempts).toBe(2);
  const [first, second] = fake.callsFor('limited question');
  const gapSeconds = (second!.startedAt - first!.startedAt) / 1000;
  expect(gapSeconds).toBeGreaterThanOrEqual(1.6);
  expect(gapSeconds).toBeLessThanOrEqual(2.4);
});
