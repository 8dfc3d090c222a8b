// Evidence bundles through real Temporal runs: replicates as activities, majority/medoid/judge, CONFLICT, budgets, AUTO.
import { Client, Connection } from '@temporalio/client';
import type { Orchestrator } from '../../src/client';
import type { PipelineRunInput, RunProgress, RunResult } from '../../src/base/run-types';
import { statusQuery } from '../../src/workflows/definitions';
import { orcEnvironment, startOrc, waitFor } from '../helpers/cli';
import { compileYaml } from '../helpers/compile';
import { FakeOpenAIServer } from '../helpers/fake-openai';
import { FakeToolModelServer } from '../helpers/fake-tool-models';
import { sharedServerOrchestrator } from '../helpers/orchestrator';

const fake = new FakeOpenAIServer();
/** Speaks Anthropic's Messages protocol (and OpenAI's, Gemini's): the cross-model ensemble's second provider. */
const anthropic = new FakeToolModelServer();
let orchestrator: Orchestrator;

/** Replicate i is sent seed i + 1: the fake answers by seed, so the test knows which replicate said what. */
const BY_SEED: Record<number, string> = { 1: 'A', 2: 'A', 3: 'B', 4: 'A', 5: 'C' };

beforeAll(async () => {
  fake.delayMs = 20;
  process.env.OPENAI_BASE_URL = await fake.start();
  process.env.OPENAI_API_KEY = 'sk-test-replicates';
  process.env.ANTHROPIC_BASE_URL = await anthropic.start();
  process.env.ANTHROPIC_API_KEY = 'sk-ant-test-replicates';
  anthropic.scripts.set('default', () => ({ text: 'A' }));
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
  await anthropic.stop();
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
}, 300_000);

test('five replicates over [openai, anthropic, local] call each model as models[i mod 3] says', async () => {
  fake.answerFor = (prompt) => (prompt === 'Pick a letter, A or B' ? 'A' : undefined);
  const result = await orchestrator.execute(
    compileYaml(`
name: cross_model
config: { max_tokens: 8 }
steps:
  - id: pick
    action: Pick a letter, A or B
    replicates: 5
    models: ["openai:gpt-4o-mini", "anthropic:claude-haiku-4", local]
    consensus: majority
`),
  );
  expect(result.status).toBe('completed');
  const evidence = result.steps.pick!.evidence as { replicates: Array<{ model: string; status: string }> };
  expect(evidence.replicates.map((replicate) => replicate.model)).toEqual([
    'openai:gpt-4o-mini',
    'anthropic:claude-haiku-4',
    'local:smollm2-135m',
    'openai:gpt-4o-mini',
    'anthropic:claude-haiku-4',
  ]);
  expect(fake.calls.filter((call) => call.prompt === 'Pick a letter, A or B')).toHaveLength(2);
  // The Anthropic replicates went over Anthropic's own wire protocol (/v1/messages).
  expect(anthropic.requestsFor('claude-haiku-4').filter((request) => request.provider === 'anthropic')).toHaveLength(2);
  expect(result.steps.pick!.result).toBe('A');
}, 300_000);

test('a worker killed with SIGKILL while replicates run: finished replicates are not called again', async () => {
  const taskQueue = `replicates-crash-${Date.now()}`;
  const address = process.env.ORC_TEST_TEMPORAL_ADDRESS!;
  const environment = orcEnvironment({
    TEMPORAL_ADDRESS: address,
    ORC_TASK_QUEUE: taskQueue,
    OPENAI_API_KEY: 'sk-test-replicates',
    OPENAI_BASE_URL: process.env.OPENAI_BASE_URL,
  });
  const seeds: number[] = [];
  fake.answerFor = (prompt, body) => {
    if (prompt !== 'Crash vote') return undefined;
    seeds.push(body.seed ?? 0);
    return 'yes';
  };
  fake.delayMs = 1500;
  const pipeline = compileYaml(`
name: crash_replicates
config: { model: "openai:gpt-4o-mini", timeout: 20s, max_retries: 5 }
steps:
  - id: vote
    action: Crash vote
    replicates: 5
    max_parallel: 1
`);
  const connection = await Connection.connect({ address });
  const first = startOrc(['worker'], environment);
  let second: ReturnType<typeof startOrc> | undefined;
  try {
    const client = new Client({ connection });
    const input: PipelineRunInput = { pipeline, inputs: {} };
    const handle = await client.workflow.start('pipelineWorkflow', { taskQueue, workflowId: taskQueue, args: [input] });
    let finished = 0;
    await waitFor(() => seeds.length >= 2, 60_000, 'two replicates answered');
    // What the run recorded as finished before the kill: those replicates must never be asked again.
    for (let tries = 0; tries < 50 && finished < 2; tries++) {
      const progress: RunProgress = await handle.query(statusQuery);
      finished = (progress.steps.vote!.evidence as { replicates?: unknown[] } | undefined)?.replicates?.length ?? 0;
      if (finished < 2) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    first.kill('SIGKILL');
    await first.done;
    expect(finished).toBeGreaterThanOrEqual(2);
    second = startOrc(['worker'], environment);
    const result = (await handle.result()) as RunResult;
    expect(result.status).toBe('completed');
    expect((result.steps.vote!.evidence as { replicates: unknown[] }).replicates).toHaveLength(5);
    for (let seed = 1; seed <= finished; seed++) expect(seeds.filter((each) => each === seed)).toHaveLength(1);
    expect(new Set(seeds)).toEqual(new Set([1, 2, 3, 4, 5]));
  } finally {
    fake.delayMs = 20;
    first.kill('SIGKILL');
    second?.kill('SIGINT');
    await second?.done;
    await connection.close();
  }
}, 180_000);
