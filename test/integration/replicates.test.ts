// Evidence bundles through real Temporal runs: replicates as activities, majority/medoid/judge, CONFLICT, budgets, AUTO.
import type { Orchestrator } from '../../src/client';
import { compileYaml } from '../helpers/compile';
import { FakeOpenAIServer } from '../helpers/fake-openai';
import { sharedServerOrchestrator } from '../helpers/orchestrator';

const fake = new FakeOpenAIServer();
let orchestrator: Orchestrator;

/** Replicate i is sent seed i + 1: the fake answers by seed, so the test knows which replicate said what. */
const BY_SEED: Record<number, string> = { 1: 'A', 2: 'A', 3: 'B', 4: 'A', 5: 'C' };

beforeAll(async () => {
  fake.delayMs = 20;
  process.env.OPENAI_BASE_URL = await fake.start();
  process.env.OPENAI_API_KEY = 'sk-test-replicates';
  orchestrator = sharedServerOrchestrator(`replicates-${process.pid}`);
  await orchestrator.connect();
});

afterEach(() => {
  fake.calls.length = 0;
  fake.answerFor = undefined;
});

afterAll(async () => {
  await orchestrator?.close();
  await fake.stop();
});

test('five replicates answering A, A, B, A, C: the consensus is A, agreement 0.6, B and C counted', async () => {
  fake.answerFor = (prompt, body) => (prompt.startsWith('Pick') ? BY_SEED[body.seed ?? 0] : undefined);
  const result = await orchestrator.execute(
    compileYaml(`
name: vote
config: { model: "openai:gpt-4o-mini", max_parallel: 5 }
steps:
  - id: pick
    action: Pick a letter
    replicates: 5
  - id: report
    action: "Consensus {{ pick.result }} at {{ pick.evidence.agreement }}"
`),
  );
  expect(result.status).toBe('completed');
  const pick = result.steps.pick!;
  expect(pick.result).toBe('A');
  const evidence = pick.evidence as { agreement: number; method: string; disagreements: unknown; replicates: Array<{ value: unknown; status: string }> };
  expect(evidence.method).toBe('majority');
  expect(evidence.agreement).toBeCloseTo(0.6);
  expect(evidence.disagreements).toEqual([{ path: '', counts: { a: 3, b: 1, c: 1 } }]);
  expect(evidence.replicates.map((replicate) => replicate.value)).toEqual(['A', 'A', 'B', 'A', 'C']);
  // Five calls, each with its own seed and a nonzero temperature; usage is their sum.
  const picks = fake.calls.filter((call) => call.prompt === 'Pick a letter');
  expect(picks).toHaveLength(5);
  expect(pick.usage.input_tokens).toBe(50);
  expect(result.steps.report!.result).toBe('done(Consensus A at 0.6)');
});

test('an object answer is voted field by field', async () => {
  const answers: Record<number, unknown> = {
    1: { label: 'bug', urgent: true },
    2: { label: 'bug', urgent: false },
    3: { label: 'feature', urgent: true },
    4: { label: 'bug', urgent: true },
    5: { label: 'feature', urgent: true },
  };
  fake.answerFor = (prompt, body) => (prompt.startsWith('Classify') ? JSON.stringify(answers[body.seed ?? 0]) : undefined);
  const result = await orchestrator.execute(
    compileYaml(`
name: vote_fields
config: { model: "openai:gpt-4o-mini" }
steps:
  - id: fields
    action: Classify the report
    output_schema: { type: object, properties: { label: { type: string }, urgent: { type: boolean } }, required: [label, urgent] }
    replicates: 5
`),
  );
  expect(result.status).toBe('completed');
  expect(result.steps.fields!.result).toEqual({ label: 'bug', urgent: true });
  const evidence = result.steps.fields!.evidence as { agreement: number; disagreements: unknown };
  // label 3 of 5, urgent 4 of 5: the lowest field decides.
  expect(evidence.agreement).toBeCloseTo(0.6);
  expect(evidence.disagreements).toEqual([
    { path: 'label', counts: { bug: 3, feature: 2 } },
    { path: 'urgent', counts: { true: 4, false: 1 } },
  ]);
});

test('min_agreement above the agreement fails the step with CONFLICT; on_failure: continue lets the run go on', async () => {
  fake.answerFor = (prompt, body) => (prompt.startsWith('Pick') ? BY_SEED[body.seed ?? 0] : undefined);
  const result = await orchestrator.execute(
    compileYaml(`
name: conflict
config: { model: "openai:gpt-4o-mini" }
steps:
  - id: pick
    action: Pick a letter
    replicates: 5
    min_agreement: 0.8
    on_failure: continue
  - id: after
    action: "after {{ pick.status }}"
`),
  );
  expect(result.status).toBe('partially_completed');
  expect(result.steps.pick!.status).toBe('failed');
  expect(result.steps.pick!.error).toMatch(/CONFLICT|agree 0\.60, under min_agreement 0\.8/);
  expect((result.steps.pick!.evidence as { agreement: number }).agreement).toBeCloseTo(0.6);
  expect(result.steps.after!.result).toBe('done(after failed)');
});

test('judge: a model writes the answer from the replicates, and its call and usage are recorded', async () => {
  fake.answerFor = (prompt, body) => (prompt.startsWith('Pick') ? BY_SEED[body.seed ?? 0] : prompt.includes('Several answers were given') ? 'A' : undefined);
  const result = await orchestrator.execute(
    compileYaml(`
name: judged
config: { model: "openai:gpt-4o-mini" }
steps:
  - id: pick
    action: Pick a letter
    replicates: 5
    consensus: judge
`),
  );
  expect(result.status).toBe('completed');
  const evidence = result.steps.pick!.evidence as { method: string; judge: { value: unknown; model: string; usage: { input_tokens: number } }; agreement: number };
  expect(evidence.method).toBe('judge');
  expect(evidence.judge).toEqual({ value: 'A', model: 'openai:gpt-4o-mini', usage: { input_tokens: 10, output_tokens: 5, cost_usd: expect.any(Number) } });
  expect(evidence.agreement).toBeCloseTo(0.6);
  const judgeCall = fake.calls.find((call) => call.prompt.includes('Several answers were given'));
  expect(judgeCall?.prompt).toContain('Answer 5:\nC');
  // Five replicates and the judge: six calls, all counted.
  expect(result.steps.pick!.usage.input_tokens).toBe(60);
});

test('replicates: <AUTO> makes exactly as many calls as the value decided', async () => {
  fake.answerFor = (prompt, body) => (body.response_format && prompt.includes('How many') ? JSON.stringify({ value: 4 }) : prompt === 'Say yes' ? 'yes' : undefined);
  const result = await orchestrator.execute(
    compileYaml(`
name: auto_replicates
config: { model: "openai:gpt-4o-mini" }
steps:
  - id: vote
    action: Say yes
    replicates: <AUTO type="integer" min="2" max="6">How many votes are worth it?</AUTO>
`),
  );
  expect(result.status).toBe('completed');
  expect(result.auto_resolutions).toEqual([expect.objectContaining({ path: 'steps.vote.replicates', value: 4 })]);
  expect(fake.calls.filter((call) => call.prompt === 'Say yes')).toHaveLength(4);
  expect((result.steps.vote!.evidence as { replicates: unknown[] }).replicates).toHaveLength(4);
});

test('a token budget that allows three of five replicates ends the run budget_exceeded with three recorded', async () => {
  fake.answerFor = (prompt) => (prompt === 'Vote now' ? 'yes' : undefined);
  const result = await orchestrator.execute(
    compileYaml(`
name: budgeted
config: { model: "openai:gpt-4o-mini", budget: { tokens: 45 } }
steps:
  - id: vote
    action: Vote now
    replicates: 5
    max_parallel: 1
`),
  );
  expect(result.status).toBe('budget_exceeded');
  expect((result.steps.vote!.evidence as { replicates: unknown[] }).replicates).toHaveLength(3);
  expect(fake.calls.filter((call) => call.prompt === 'Vote now')).toHaveLength(3);
  expect(result.usage.input_tokens + result.usage.output_tokens).toBe(45);
});

test('medoid on free text with the local model returns one of the replicates, agreement in [0, 1]', async () => {
  const result = await orchestrator.execute(
    compileYaml(`
name: medoid_local
config: { model: local, max_tokens: 24 }
steps:
  - id: describe
    action: Describe the sea in one short sentence.
    replicates: 3
    consensus: medoid
`),
  );
  expect(result.status).toBe('completed');
  const evidence = result.steps.describe!.evidence as { agreement: number; method: string; replicates: Array<{ value: unknown; model: string }> };
  expect(evidence.method).toBe('medoid');
  expect(evidence.replicates.map((replicate) => replicate.value)).toContain(result.steps.describe!.result);
  expect(evidence.replicates.every((replicate) => replicate.model === 'local:smollm2-135m')).toBe(true);
  expect(evidence.agreement).toBeGreaterThanOrEqual(0);
  expect(evidence.agreement).toBeLessThanOrEqual(1);
});
