// A run whose AUTO decision took more than one model call reports what every call cost, not only the first.
import type { Orchestrator } from '../../src/client';
import { sharedServerOrchestrator } from '../helpers/orchestrator';
import { compileYaml } from '../helpers/compile';
import { resolverFor, ScriptedModel } from '../helpers/scripted-model';

const model = new ScriptedModel();
let orchestrator: Orchestrator;
/** Decided values are cached by prompt: a new question each test run asks the model again. */
const nonce = `${process.pid}-${Date.now()}`;

beforeAll(async () => {
  orchestrator = sharedServerOrchestrator(`auto-reask-cost-${process.pid}`, { models: resolverFor(model) });
  await orchestrator.connect();
});

afterAll(async () => {
  await orchestrator?.close();
});

const usage = (cost: number) => ({ input_tokens: 100, output_tokens: 20, cost_usd: cost });

test('an AUTO answer outside its choices is asked again: the run costs both calls and the step', async () => {
  model.reset((prompt) => {
    if (prompt.includes('That is invalid')) return { json: { value: 'calm' }, usage: usage(0.02) };
    if (prompt.includes(`tone ${nonce}`)) return { json: { value: 'loud' }, usage: usage(0.01) };
    return { text: 'written', usage: usage(0.004) };
  });
  const result = await orchestrator.execute(
    compileYaml(`
name: reask_cost
steps:
  - id: write
    action: WRITE it
    parameters: { tone: <AUTO choices="calm|brisk">Choose the tone ${nonce}</AUTO> }
`),
    {},
  );
  expect(result.status).toBe('completed');
  expect(result.auto_resolutions.map((resolution) => resolution.value)).toEqual(['calm']);
  expect(model.calls).toHaveLength(3);
  // 0.01 (the answer outside the choices) + 0.02 (the answer again) + 0.004 (the step).
  expect(result.usage.cost_usd).toBeCloseTo(0.034, 10);
  expect(result.usage.input_tokens).toBe(300);
  expect(result.steps.write!.usage.cost_usd).toBeCloseTo(0.004, 10);
}, 60_000);

test('an AUTO answer that only repeats its question is asked again: the run costs both calls', async () => {
  const question = `Headline style ${nonce}`;
  let asked = 0;
  model.reset((prompt) => {
    if (prompt.startsWith('WRITE')) return { text: 'written', usage: usage(0.004) };
    asked++;
    return asked === 1 ? { json: { value: question }, usage: usage(0.1) } : { json: { value: 'short and bold' }, usage: usage(0.2) };
  });
  const result = await orchestrator.execute(
    compileYaml(`
name: echo_cost
steps:
  - id: write
    action: WRITE the headline
    parameters: { style: <AUTO>${question}</AUTO> }
`),
    {},
  );
  expect(result.status).toBe('completed');
  expect(result.auto_resolutions).toEqual([expect.objectContaining({ value: 'short and bold', retries: 1 })]);
  expect(asked).toBe(2);
  expect(result.usage.cost_usd).toBeCloseTo(0.304, 10);
}, 60_000);
