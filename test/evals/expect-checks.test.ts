// `expect:` checks through real runs on the shared Temporal dev server, with a scripted model: all six kinds
// recorded as the model answered, a failing judge asked again under `retry`, and EXPECTATION_FAILED under `fail`.
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../../src/activities';
import type { CompiledPipeline } from '../../src/compiler';
import type { PipelineRunInput, RunResult } from '../../src/base/run-types';
import { compileYaml } from '../helpers/compile';
import { resolverFor, ScriptedModel } from '../helpers/scripted-model';
import { runMetricsSinks } from '../../src/worker/run-metrics-sink';

const taskQueue = `expect-checks-${process.pid}`;
const model = new ScriptedModel();
let connection: Connection;
let client: Client;
let nativeConnection: NativeConnection;
let worker: Worker;
let running: Promise<void>;
let runCounter = 0;

beforeAll(async () => {
  const address = process.env.ORC_TEST_TEMPORAL_ADDRESS!;
  connection = await Connection.connect({ address });
  client = new Client({ connection });
  nativeConnection = await NativeConnection.connect({ address });
  worker = await Worker.create({
    connection: nativeConnection,
    taskQueue,
    workflowsPath: require.resolve('../../src/workflows'),
    sinks: runMetricsSinks(),
    activities: createActivities({ models: resolverFor(model) }),
    shutdownGraceTime: '1s',
  });
  running = worker.run();
}, 60_000);

afterAll(async () => {
  worker.shutdown();
  await running;
  await nativeConnection?.close();
  await connection?.close();
});

async function run(pipeline: CompiledPipeline, inputs: Record<string, unknown> = {}): Promise<RunResult> {
  const input: PipelineRunInput = { pipeline, inputs, options: { defaultModel: 'fake:scripted' } };
  const handle = await client.workflow.start('pipelineWorkflow', { taskQueue, workflowId: `${taskQueue}-${++runCounter}`, args: [input] });
  return (await handle.result()) as RunResult;
}

const triage = (expect: string, onExpectFail: string): CompiledPipeline =>
  compileYaml(`
name: six_checks
inputs: { expected_label: string }
steps:
  - id: triage
    action: "TRIAGE the ticket: the app crashes on start"
    max_retries: 2
    output_schema: { type: object, properties: { label: { type: string }, score: { type: number } }, required: [label, score] }
    expect:
${expect}
    on_expect_fail: ${onExpectFail}
`);

const ALL_SIX = `
      - equals: { path: label, value: "{{ inputs.expected_label }}" }
      - contains: { path: label, value: BUG }
      - not_contains: feature
      - matches: { path: label, pattern: "^[a-z]+$" }
      - range: { path: score, min: 0, max: 1 }
      - max_tokens: 4
      - judge: { rubric: "Is the label justified by the ticket?", threshold: 0.7 }`;

beforeEach(() => model.reset(() => ({})));

test('all six check kinds are recorded in the step as the model answered; warn keeps the step completed', async () => {
  model.reset((prompt) => (prompt.startsWith('Rubric:') ? { json: { score: 0.9, reason: 'a crash is a bug' } } : { json: { label: 'bug', score: 1.5 } }));
  const result = await run(triage(ALL_SIX, 'warn'), { expected_label: 'bug' });
  expect(result.status).toBe('completed');
  const step = result.steps.triage!;
  expect(step.status).toBe('completed');
  expect(step.result).toEqual({ label: 'bug', score: 1.5 });
  expect(step.checks!.map((check) => [check.check, check.passed])).toEqual([
    ['equals(label)', true],
    ['contains(label)', true],
    ['not_contains', true],
    ['matches(label)', true],
    ['range(score)', false],
    ['max_tokens', false],
    ['judge', true],
  ]);
  expect(step.checks![4]!.detail).toContain('1.5');
  expect(step.checks![5]!.detail).toBe('5 output tokens (at most 4)');
  expect(step.checks![6]).toMatchObject({ score: 0.9 });
  expect(step.checks![6]!.detail).toContain('a crash is a bug');
  // The judge's call is a model call of its own: its tokens are in the step's and the run's usage.
  expect(model.calls).toHaveLength(2);
  expect(step.usage).toEqual({ input_tokens: 20, output_tokens: 10, cost_usd: 0 });
  expect(result.usage.input_tokens).toBe(20);
}, 60_000);

test('a failing judge with on_expect_fail: retry asks the step again, and the second answer passes', async () => {
  let judged = 0;
  model.reset((prompt) => {
    if (prompt.startsWith('Rubric:')) return { json: { score: ++judged === 1 ? 0.2 : 0.95, reason: judged === 1 ? 'wrong' : 'right' } };
    return { json: { label: judged === 0 ? 'feature' : 'bug', score: 0.5 } };
  });
  const result = await run(triage(`
      - judge: { rubric: "Is the label justified by the ticket?", threshold: 0.7 }`, 'retry'), { expected_label: 'bug' });
  const step = result.steps.triage!;
  expect(step.status).toBe('completed');
  expect(step.result).toEqual({ label: 'bug', score: 0.5 });
  expect(model.callsWith('TRIAGE')).toHaveLength(2);
  expect(model.callsWith('Rubric:')).toHaveLength(2);
  expect(step.expect_attempts).toBe(2);
  expect(step.checks).toEqual([expect.objectContaining({ check: 'judge', passed: true, score: 0.95 })]);
  // Both answers and both verdicts are counted.
  expect(step.usage.input_tokens).toBe(40);
}, 60_000);

test('with on_expect_fail: fail a failed check fails the step with EXPECTATION_FAILED naming the check and what it saw', async () => {
  model.reset(() => ({ json: { label: 'feature', score: 0.5 } }));
  const result = await run(triage(`
      - equals: { path: label, value: "{{ inputs.expected_label }}" }
      - range: { path: score, min: 0, max: 1 }`, 'fail'), { expected_label: 'bug' });
  expect(result.status).toBe('failed');
  const step = result.steps.triage!;
  expect(step.status).toBe('failed');
  expect(step.error).toMatch(/^EXPECTATION_FAILED: step 'triage' failed its check equals\(label\): 'label' is feature, expected bug/);
  expect(step.checks!.map((check) => check.passed)).toEqual([false, true]);
  // fail does not ask again
  expect(model.callsWith('TRIAGE')).toHaveLength(1);
}, 60_000);
