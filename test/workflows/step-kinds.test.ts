// What each kind of step really records, on the shared Temporal dev server: `when`, `generate`, fallbacks (also
// per for_each item), a templated model, a templated approval timeout, AUTO fields applied, run_code attempts,
// the cache policy, and the Web UI metadata (activity summaries, current details, Orc* search attributes).
import Docker from 'dockerode';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../../src/activities';
import { createSandboxActivities } from '../../src/activities/sandbox';
import type { ExecuteStepInput } from '../../src/activities/types';
import type { CompiledPipeline } from '../../src/compiler';
import type { ModelResolver } from '../../src/models/registry';
import { ModelError, type LanguageModel } from '../../src/models/types';
import { sandboxQueueFor } from '../../src/workflows/definitions';
import { registerSearchAttributes } from '../../src/worker/dev-server';
import type { PipelineRunInput, RunOptions, RunResult } from '../../src/base/run-types';
import { compileYaml } from '../helpers/compile';
import { ScriptedModel } from '../helpers/scripted-model';
import { runMetricsSinks } from '../../src/worker/run-metrics-sink';

const taskQueue = `step-kinds-${process.pid}`;
const model = new ScriptedModel();
/** Which spec answered each prompt. */
const served: Array<{ model: string; prompt: string }> = [];
/** The cache policy each model call carried. */
const cachePolicies: Array<ExecuteStepInput['cache']> = [];

/**
 * Every spec answers as itself through the scripted model; a spec with `broken` in it fails for good, for every
 * prompt or (`fake:broken-b`) only for prompts that contain `ITEM b`.
 */
const resolver: ModelResolver = {
  resolve: (spec: string): LanguageModel => ({
    id: spec,
    provider: spec.split(':')[0]!,
    generate: async (request) => {
      const prompt = [...request.messages].reverse().find((message) => message.role === 'user')?.content ?? '';
      if (spec === 'fake:broken' || (spec === 'fake:broken-b' && prompt.includes('ITEM b'))) {
        throw new ModelError(`${spec} is down`, { provider: 'fake', model: spec, isRetryable: false });
      }
      served.push({ model: spec, prompt });
      return model.generate(request);
    },
  }),
};

/** The real engine, except that a step named `flaky` finds it unreachable once and a step named `down` always. */
function engineWithOutages(): Docker {
  const real = new Docker();
  let flakyFailures = 1;
  const unreachable = (): Error => Object.assign(new Error('connect ECONNREFUSED /var/run/docker.sock'), { code: 'ECONNREFUSED' });
  return new Proxy(real, {
    get(target, property, receiver) {
      if (property === 'createContainer') {
        return async (options: Docker.ContainerCreateOptions) => {
          const step = options.Labels?.['org.orchestrator.step'];
          if (step === 'down' || (step === 'flaky' && flakyFailures-- > 0)) throw unreachable();
          return target.createContainer(options);
        };
      }
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

let connection: Connection;
let client: Client;
let nativeConnection: NativeConnection;
const workers: Worker[] = [];
const running: Array<Promise<void>> = [];
let runCounter = 0;

beforeAll(async () => {
  const address = process.env.ORC_TEST_TEMPORAL_ADDRESS!;
  connection = await Connection.connect({ address });
  client = new Client({ connection });
  nativeConnection = await NativeConnection.connect({ address });
  const activities = createActivities({ models: resolver });
  workers.push(
    await Worker.create({
      connection: nativeConnection,
      taskQueue,
      workflowsPath: require.resolve('../../src/workflows'),
    sinks: runMetricsSinks(),
      activities: {
        ...activities,
        // The real activity, with the cache policy it was given noted and a cache record returned beside its answer.
        executeLlmStep: async (input: ExecuteStepInput) => {
          cachePolicies.push(input.cache);
          const output = await activities.executeLlmStep(input);
          return input.cache ? { ...output, cache: { hit: false, key: 'k1', stored_at: '2026-01-01T00:00:00.000Z' } } : output;
        },
      },
      shutdownGraceTime: '1s',
    }),
    await Worker.create({
      connection: nativeConnection,
      taskQueue: sandboxQueueFor(taskQueue),
      activities: createSandboxActivities({ docker: engineWithOutages() }),
      shutdownGraceTime: '1s',
    }),
  );
  for (const worker of workers) running.push(worker.run());
}, 60_000);

afterAll(async () => {
  for (const worker of workers) worker.shutdown();
  await Promise.all(running);
  await nativeConnection?.close();
  await connection?.close();
});

function start(pipeline: CompiledPipeline, inputs: Record<string, unknown> = {}, options: RunOptions = {}) {
  const input: PipelineRunInput = { pipeline, inputs, options: { defaultModel: 'fake:good', ...options } };
  return client.workflow.start('pipelineWorkflow', { taskQueue, workflowId: `${taskQueue}-${++runCounter}`, args: [input] });
}

async function run(pipeline: CompiledPipeline, inputs: Record<string, unknown> = {}, options: RunOptions = {}): Promise<RunResult> {
  return (await start(pipeline, inputs, options)).result() as Promise<RunResult>;
}

beforeEach(() => {
  model.reset(() => ({}));
  served.length = 0;
  cachePolicies.length = 0;
});

test('`when` is evaluated when the step is due: true runs it, false skips it without a model call', async () => {
  const pipeline = compileYaml(`
name: when_at_run_time
inputs: { urgent: boolean }
steps:
  - id: triage
    action: "TRIAGE urgent={{ inputs.urgent }}"
  - id: escalate
    action: "ESCALATE after {{ triage.result }}"
    when: "{{ inputs.urgent == true }}"
`);
  const yes = await run(pipeline, { urgent: true });
  expect(yes.steps.escalate).toMatchObject({ status: 'completed', result: 'answer to: ESCALATE after answer to: TRIAGE urgent=true', attempts: 1 });
  served.length = 0;
  const no = await run(pipeline, { urgent: false });
  expect(no.status).toBe('completed');
  expect(no.steps.escalate).toMatchObject({ status: 'skipped', error: null, result: null });
  expect(served.map((call) => call.prompt)).toEqual(['TRIAGE urgent=false']);
}, 60_000);

test('a `generate` step sends parameters.prompt to its model and records that model', async () => {
  const result = await run(
    compileYaml(`
name: generate_step
steps:
  - id: poem
    action: generate
    model: fake:poet
    parameters: { prompt: "GENERATE a poem about {{ inputs.topic }}" }
`),
    { topic: 'tea' },
  );
  expect(result.steps.poem).toMatchObject({ status: 'completed', model: 'fake:poet', attempts: 1 });
  expect(served).toEqual([expect.objectContaining({ model: 'fake:poet' })]);
  expect(served[0]!.prompt).toContain('GENERATE a poem about tea');
}, 60_000);

test("a step's own `fallback:` answers when its model fails for good, and the record names the model that answered", async () => {
  const result = await run(
    compileYaml(`
name: step_fallback
steps:
  - id: answer
    action: ANSWER now
    model: fake:broken
    fallback: [fake:spare]
`),
  );
  expect(result.steps.answer).toMatchObject({ status: 'completed', model: 'fake:spare', result: 'answer to: ANSWER now', attempts: 1 });
  expect(result.steps.answer!.model_attempts).toEqual([
    { model: 'fake:broken', error: expect.stringContaining('fake:broken is down') },
    { model: 'fake:spare', error: null },
  ]);
}, 60_000);

test('a for_each item whose model fails for good is answered by the fallback; the others keep the step model', async () => {
  const result = await run(
    compileYaml(`
name: for_each_fallback
steps:
  - id: each
    for_each: [a, b, c]
    action: "ITEM {{ item }}"
    model: fake:broken-b
    fallback: [fake:spare]
`),
  );
  expect(result.steps.each).toMatchObject({ status: 'completed', model: 'fake:broken-b', attempts: 1 });
  expect(result.steps.each!.result).toEqual(['answer to: ITEM a', 'answer to: ITEM b', 'answer to: ITEM c']);
  expect(served.find((call) => call.prompt === 'ITEM b')!.model).toBe('fake:spare');
  expect(result.steps.each!.model_attempts).toEqual(
    expect.arrayContaining([
      { model: 'fake:broken-b', error: expect.stringContaining('is down') },
      { model: 'fake:spare', error: null },
    ]),
  );
}, 60_000);

test('a templated `model` is rendered before the call, and the record names the rendered model', async () => {
  const result = await run(
    compileYaml(`
name: templated_model
inputs: { which: string }
steps:
  - id: pick
    action: PICKED model
    model: "fake:{{ inputs.which }}"
`),
    { which: 'chosen' },
  );
  expect(result.steps.pick).toMatchObject({ status: 'completed', model: 'fake:chosen' });
  expect(served).toEqual([{ model: 'fake:chosen', prompt: 'PICKED model' }]);
}, 60_000);

test("an approval's templated `parameters.timeout` is rendered: no decision within it fails the step after one attempt", async () => {
  const result = await run(
    compileYaml(`
name: approval_timeout_template
inputs: { wait: string }
steps:
  - id: review
    action: approval
    parameters: { prompt: "Go?", timeout: "{{ inputs.wait }}" }
`),
    { wait: '1s' },
  );
  expect(result.steps.review).toMatchObject({ status: 'failed', attempts: 1, error: "step 'review': no approval decision within 1s" });
}, 60_000);

test('AUTO values for model, timeout, max_retries and max_parallel are applied to the step', async () => {
  model.reset((prompt) => {
    if (prompt.includes('PICK_MODEL')) return { json: { value: 'fake:auto' } };
    if (prompt.includes('PICK_TIMEOUT')) return { json: { value: 1 } };
    if (prompt.includes('PICK_RETRIES')) return { json: { value: 0 } };
    if (prompt.includes('PICK_PARALLEL')) return { json: { value: 2 } };
    if (prompt.startsWith('SLOW')) return { hang: true };
    if (prompt.startsWith('FLAKY')) return { fail: { message: 'overloaded', retryable: true } };
    if (prompt.startsWith('PART')) return { delayMs: 500 };
    return {};
  });
  const result = await run(
    compileYaml(`
name: auto_fields
config: { max_retries: 3, timeout: 60 }
steps:
  - id: routed
    action: ROUTED call
    model: <AUTO>PICK_MODEL</AUTO>
  - id: slow
    action: SLOW call
    timeout: <AUTO>PICK_TIMEOUT</AUTO>
    max_retries: 0
    on_failure: continue
  - id: flaky
    action: FLAKY call
    max_retries: <AUTO>PICK_RETRIES</AUTO>
    on_failure: continue
  - id: parts
    for_each: [1, 2, 3, 4, 5, 6]
    action: "PART {{ item }}"
    max_parallel: <AUTO>PICK_PARALLEL</AUTO>
`),
  );
  expect(result.steps.routed).toMatchObject({ status: 'completed', model: 'fake:auto' });
  expect(served.find((call) => call.prompt === 'ROUTED call')!.model).toBe('fake:auto');
  expect(result.steps.slow).toMatchObject({ status: 'failed', error: "step 'slow' timed out after 1s" });
  // With max_retries 3 the retryable failure would be tried 4 times; the AUTO value 0 allows one.
  expect(result.steps.flaky).toMatchObject({ status: 'failed', attempts: 1 });
  expect(model.calls.filter((call) => call.prompt === 'FLAKY call')).toHaveLength(1);
  expect(result.steps.parts!.status).toBe('completed');
  const parts = model.calls.filter((call) => call.prompt.startsWith('PART '));
  expect(parts).toHaveLength(6);
  // The most calls in flight at once: at each call's start, the calls started and not yet ended (an interval
  // overlapping two others that do not overlap each other is still only two at a time).
  const overlapping = Math.max(...parts.map((call) => parts.filter((other) => other.startedAt <= call.startedAt && other.endedAt! > call.startedAt).length));
  // Without the AUTO value the pipeline's max_parallel (10) would let all six run at once.
  expect(overlapping).toBeLessThanOrEqual(2);
}, 90_000);

test('run_code counts its real attempts and honours max_retries', async () => {
  const result = await run(
    compileYaml(`
name: run_code_attempts
steps:
  - id: flaky
    action: run_code
    max_retries: 2
    parameters: { code: "print(6 * 7)" }
  - id: down
    action: run_code
    max_retries: 1
    on_failure: continue
    parameters: { code: "print(1)" }
  - id: refused
    action: run_code
    on_failure: continue
    parameters: { code: "print(1)", language: "{{ inputs.language }}" }
`),
    { language: 'ruby' },
  );
  // The engine was unreachable on the first attempt: the answer came on the second, and says so.
  expect(result.steps.flaky).toMatchObject({ status: 'completed', attempts: 2 });
  expect(result.steps.flaky!.result).toMatchObject({ stdout: '42\n', exit_code: 0 });
  expect(result.steps.flaky!.result).not.toHaveProperty('attempt');
  // max_retries 1: two attempts, not the three run_code always had.
  expect(result.steps.down).toMatchObject({ status: 'failed', attempts: 2 });
  expect(result.steps.down!.error).toContain('no Docker engine answers');
  // Refused before anything ran: no attempt at all.
  expect(result.steps.refused).toMatchObject({ status: 'failed', attempts: 0 });
  expect(result.steps.refused!.error).toContain('parameters.language must be one of');
}, 120_000);

test('a cached step sends its cache policy (read off under noCache) and records the cache record its activity returns', async () => {
  const pipeline = compileYaml(`
name: cached_step
steps:
  - id: kept
    action: KEPT answer
  - id: plain
    action: PLAIN answer
  - id: each
    for_each: [1, 2]
    action: "EACH {{ item }}"
`);
  // The policy as the compiler gives it for `cache_results: true, cache_ttl: 1h` (spec section 9).
  pipeline.steps[0]!.cache = { ttlSeconds: 3600 };
  pipeline.steps[2]!.cache = { ttlSeconds: 3600 };
  const result = await run(pipeline);
  expect(result.steps.kept!.cache).toEqual({ hit: false, key: 'k1', stored_at: '2026-01-01T00:00:00.000Z' });
  expect(result.steps.plain!.cache).toBeUndefined();
  // Each item is its own entry: the step is a hit only when every item is.
  expect(result.steps.each!.cache).toEqual({ hit: false, key: 'k1', stored_at: '2026-01-01T00:00:00.000Z' });
  expect(cachePolicies).toEqual(expect.arrayContaining([{ ttlSeconds: 3600, read: true }, undefined]));
  cachePolicies.length = 0;
  await run(pipeline, {}, { noCache: true });
  expect(cachePolicies).toEqual(expect.arrayContaining([{ ttlSeconds: 3600, read: false }]));
}, 60_000);

test('the Web UI sees step-labelled activities, a live table of steps and the Orc* search attributes', async () => {
  await registerSearchAttributes(process.env.ORC_TEST_TEMPORAL_ADDRESS!);
  model.reset((prompt) => (prompt.includes('Choose the tone') ? { json: { value: 'calm' } } : {}));
  const handle = await start(
    compileYaml(`
name: web_ui_metadata
steps:
  - id: triage
    action: TRIAGE it
    parameters: { tone: <AUTO choices="calm|brisk">Choose the tone</AUTO> }
  - id: summaries
    for_each: [x, y]
    action: "SUM {{ item }} after {{ triage.result }}"
`),
    {},
    { searchAttributes: true },
  );
  const result = (await handle.result()) as RunResult;
  expect(result.status).toBe('completed');

  const history = await handle.fetchHistory();
  const summaries: string[] = [];
  for (const event of history.events ?? []) {
    const payload = event.userMetadata?.summary;
    if (event.activityTaskScheduledEventAttributes && payload?.data) summaries.push(JSON.parse(Buffer.from(payload.data).toString('utf8')) as string);
  }
  expect(summaries).toEqual(expect.arrayContaining(['triage · AUTO', 'triage · fake:good', 'summaries · item 0', 'summaries · item 1']));

  const metadata = (await handle.query('__temporal_workflow_metadata')) as { currentDetails?: string };
  expect(metadata.currentDetails).toContain('| triage | completed | fake:good | 1 |');
  expect(metadata.currentDetails).toContain('| summaries | completed |');

  const description = await handle.describe();
  expect(description.searchAttributes).toMatchObject({ OrcPipeline: ['web_ui_metadata'], OrcStatus: ['completed'] });
  expect(Number(description.searchAttributes.OrcTokens?.[0])).toBe(result.usage.input_tokens + result.usage.output_tokens);
}, 60_000);
