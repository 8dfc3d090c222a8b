// Loops over a block of steps, `when_skips: step` and `on_error` (spec section 18), each through a real run on the
// shared Temporal dev server with a scripted model (and the echo model for a 2,000-iteration loop).
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../../src/activities';
import type { TransportedStepInput } from '../../src/activities/types';
import type { CompiledErrorHandler, CompiledLoop, CompiledPipeline, CompiledStep, Reference } from '../../src/compiler';
import { approveUpdate, pauseSignal, resumeSignal, statusQuery } from '../../src/workflows/definitions';
import type { PipelineRunInput, RunOptions, RunResult } from '../../src/base/run-types';
import { compileYaml } from '../helpers/compile';
import { createEchoModel } from '../../src/models/providers/echo';
import { ScriptedModel } from '../helpers/scripted-model';
import { runMetricsSinks } from '../../src/worker/run-metrics-sink';

const taskQueue = `loops-${process.pid}`;
const model = new ScriptedModel();
/** Every model call's step id, as the activity received it. */
const calledSteps: string[] = [];

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
  // A dry run's `echo` is the real echo model; every other spec is the scripted one.
  const echo = createEchoModel();
  const activities = createActivities({ models: { resolve: (spec: string) => (spec === 'echo' ? echo : model) } });
  worker = await Worker.create({
    connection: nativeConnection,
    taskQueue,
    workflowsPath: require.resolve('../../src/workflows'),
    sinks: runMetricsSinks(),
    activities: {
      ...activities,
      executeLlmStep: (input: TransportedStepInput) => {
        calledSteps.push(input.step.id);
        return activities.executeLlmStep(input);
      },
    },
    shutdownGraceTime: '1s',
  });
  running = worker.run();
}, 60_000);

afterAll(async () => {
  worker?.shutdown();
  await running;
  await nativeConnection?.close();
  await connection?.close();
});

beforeEach(() => {
  model.reset(() => ({}));
  calledSteps.length = 0;
});

/** A compiled prompt step with the compiler's defaults (as a compiled pipeline has them). */
const promptDefaults: CompiledStep = compileYaml('name: defaults\nsteps:\n  - id: one\n    action: hi\n').steps[0]!;

function prompt(id: string, action: string, fields: Partial<CompiledStep> = {}): CompiledStep {
  return { ...promptDefaults, id, actionKind: 'prompt', action, maxRetries: 0, ...fields };
}

const stepRefs = (...ids: string[]): Reference[] => ids.map((step) => ({ kind: 'step', step }));

function loopStep(id: string, loop: Partial<CompiledLoop> & Pick<CompiledLoop, 'kind' | 'steps'>, fields: Partial<CompiledStep> = {}): CompiledStep {
  return {
    ...promptDefaults,
    id,
    actionKind: 'loop',
    action: 'loop',
    loop: { items: null, condition: null, maxIterations: 10, maxParallel: 1, ...loop },
    ...fields,
  };
}

function pipelineOf(name: string, steps: CompiledStep[]): CompiledPipeline {
  const base = compileYaml(`name: ${name}\nsteps:\n  - id: one\n    action: hi\n`);
  return { ...base, steps, levels: [steps.map((step) => step.id)] };
}

function handler(fields: Partial<CompiledErrorHandler>): CompiledErrorHandler {
  return { errorTypes: ['*'], errorPatterns: [], handlerStep: null, handlerAction: null, hasFallback: false, retryWithHandler: false, continueOnHandlerFailure: false, ...fields };
}

function start(pipeline: CompiledPipeline, inputs: Record<string, unknown> = {}, options: RunOptions = {}) {
  const input: PipelineRunInput = { pipeline, inputs, options: { defaultModel: 'fake:scripted', ...options } };
  return client.workflow.start('pipelineWorkflow', { taskQueue, workflowId: `${taskQueue}-${++runCounter}`, args: [input] });
}

async function run(pipeline: CompiledPipeline, inputs: Record<string, unknown> = {}, options: RunOptions = {}): Promise<RunResult> {
  return (await start(pipeline, inputs, options)).result() as Promise<RunResult>;
}

/** The Web UI labels of a run's activities. */
async function activitySummaries(handle: Awaited<ReturnType<typeof start>>): Promise<string[]> {
  const history = await handle.fetchHistory();
  const summaries: string[] = [];
  for (const event of history.events ?? []) {
    const payload = event.userMetadata?.summary;
    if (event.activityTaskScheduledEventAttributes && payload?.data) summaries.push(JSON.parse(Buffer.from(payload.data).toString('utf8')) as string);
  }
  return summaries;
}

test('a for_each block of three steps over three items: each iteration\'s steps are LOOP_I_CHILD, and a dependent waits for the last', async () => {
  const each = loopStep(
    'each',
    {
      kind: 'for_each',
      items: '{{ inputs.topics }}',
      steps: [
        prompt('draft', 'DRAFT {{ item }} #{{ index }}'),
        prompt('review', 'REVIEW {{ draft.result }}', { dependsOn: ['draft'], references: stepRefs('draft') }),
        prompt('final', 'FINAL {{ review.result }} ({{ $item }}, {{ $index }}, first={{ is_first }}, last={{ is_last }})', { dependsOn: ['review'], references: stepRefs('review') }),
      ],
    },
    { references: [{ kind: 'input', name: 'topics' }] },
  );
  const summary = prompt('summary', 'SUMMARY of {{ each.iterations }}: {{ each.results[2].final }}', { dependsOn: ['each'], references: stepRefs('each') });
  const pipeline = { ...pipelineOf('for_each_block', [each, summary]), inputs: { topics: { type: 'array' as const, required: true } } };
  const handle = await start(pipeline, { topics: ['a', 'b', 'c'] });
  const result = (await handle.result()) as RunResult;

  expect(result.status).toBe('completed');
  expect(result.steps.each_1_review).toMatchObject({ status: 'completed', result: 'answer to: REVIEW answer to: DRAFT b #1' });
  expect(result.steps.each_2_final!.result).toBe('answer to: FINAL answer to: REVIEW answer to: DRAFT c #2 (c, 2, first=false, last=true)');
  expect(result.steps.each_0_final!.result).toContain('(a, 0, first=true, last=false)');
  const loopResult = result.steps.each!.result as { iterations: number; completed: boolean; results: Array<Record<string, string>> };
  expect(loopResult.iterations).toBe(3);
  expect(loopResult.completed).toBe(true);
  expect(loopResult.results.map((iteration) => Object.keys(iteration))).toEqual([['draft', 'review', 'final'], ['draft', 'review', 'final'], ['draft', 'review', 'final']]);
  expect(loopResult.results[1]!.draft).toBe('answer to: DRAFT b #1');
  // The dependent read the last iteration's result: it started after every iteration ended.
  expect(result.steps.summary!.result).toBe(`answer to: SUMMARY of 3: ${result.steps.each_2_final!.result as string}`);
  expect(calledSteps).toHaveLength(10);
  expect(new Set(calledSteps).size).toBe(10);
  expect(await activitySummaries(handle)).toEqual(expect.arrayContaining(['each_0_draft · fake:scripted', 'each_2_final · fake:scripted', 'summary · fake:scripted']));
}, 60_000);

test('a while loop stops on its condition; one that never turns false stops at max_iterations and says so', async () => {
  const onCondition = loopStep('grow', {
    kind: 'while',
    condition: '{{ iteration < 3 }}',
    maxIterations: 10,
    steps: [prompt('step', 'GROW {{ $iteration }} of {{ grow.iteration }}', { references: stepRefs('grow') })],
  });
  const stopped = await run(pipelineOf('while_condition', [onCondition]));
  expect(stopped.status).toBe('completed');
  expect(stopped.steps.grow!.result).toEqual({
    iterations: 3,
    completed: true,
    results: [0, 1, 2].map((i) => ({ step: `answer to: GROW ${i} of ${i}` })),
  });
  expect(Object.keys(stopped.steps).filter((id) => id.startsWith('grow_'))).toEqual(['grow_0_step', 'grow_1_step', 'grow_2_step']);

  calledSteps.length = 0;
  const forever = loopStep('forever', { kind: 'while', condition: '{{ 1 == 1 }}', maxIterations: 4, steps: [prompt('poll', 'POLL {{ iteration }}')] });
  const limited = await run(pipelineOf('while_limit', [forever]));
  expect(limited.status).toBe('completed');
  expect(limited.steps.forever!.result).toMatchObject({ iterations: 4, completed: false, stopped_by: 'max_iterations' });
  expect(calledSteps).toEqual(['forever_0_poll', 'forever_1_poll', 'forever_2_poll', 'forever_3_poll']);
}, 60_000);

test("the status query lists a loop's running iteration step beside the loop", async () => {
  model.reset((text) => (text.includes('SLOW') ? { delayMs: 3000 } : {}));
  const slow = loopStep('each', { kind: 'for_each', items: '{{ inputs.topics }}', steps: [prompt('work', 'SLOW {{ item }}')] }, { references: [{ kind: 'input', name: 'topics' }] });
  const pipeline = { ...pipelineOf('loop_status', [slow]), inputs: { topics: { type: 'array' as const, required: true } } };
  const handle = await start(pipeline, { topics: ['a'] });
  const deadline = Date.now() + 30_000;
  let running: string[] = [];
  while (!running.includes('each_0_work') && Date.now() < deadline) {
    const progress = await handle.query(statusQuery);
    running = progress.running;
    if (progress.status !== 'running') break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  expect(running).toEqual(['each', 'each_0_work']);
  expect(((await handle.result()) as RunResult).status).toBe('completed');
}, 60_000);

test('an until loop checks its condition after each iteration, reading the iteration\'s own step', async () => {
  model.reset((text) => (text.includes('CHECK 2') ? { text: 'DONE' } : { text: 'not yet' }));
  const until = loopStep('retry', {
    kind: 'until',
    condition: "{{ check.result == 'DONE' }}",
    maxIterations: 10,
    steps: [prompt('check', 'CHECK {{ iteration }}')],
  });
  const result = await run(pipelineOf('until_loop', [until]));
  expect(result.steps.retry!.result).toMatchObject({ iterations: 3, completed: true });
  expect(result.steps.retry_2_check!.result).toBe('DONE');
  expect(calledSteps).toEqual(['retry_0_check', 'retry_1_check', 'retry_2_check']);
}, 60_000);

test('a false condition with when_skips: step skips only that step; its dependents run and see why', async () => {
  const gate = prompt('gate', 'GATE', { when: '{{ inputs.go }}', whenSkips: 'step', references: [{ kind: 'input', name: 'go' }] });
  const after = prompt('after', 'AFTER {{ gate.status }} {{ gate.result.reason }}', { dependsOn: ['gate'], references: stepRefs('gate') });
  const pipeline = { ...pipelineOf('condition_skip', [gate, after]), inputs: { go: { type: 'boolean' as const, required: true } } };
  const result = await run(pipeline, { go: false });
  expect(result.status).toBe('completed');
  expect(result.steps.gate).toMatchObject({ status: 'skipped', result: { status: 'skipped', reason: 'condition_false' }, error: null });
  expect(result.steps.after).toMatchObject({ status: 'completed', result: 'answer to: AFTER skipped condition_false' });
  expect(calledSteps).toEqual(['after']);

  // The native rule is unchanged: without when_skips, a false `when` skips the step's dependents too.
  calledSteps.length = 0;
  const native = await run({ ...pipeline, steps: [{ ...gate, whenSkips: undefined }, after] }, { go: false });
  expect(native.steps.gate).toMatchObject({ status: 'skipped', result: null });
  expect(native.steps.after).toMatchObject({ status: 'skipped', error: "not run: 'gate' was skipped" });
  expect(calledSteps).toEqual([]);

  // A condition that cannot be evaluated (it reads what no step gave) skips its step under the dialect's rule,
  // as the Python orchestrator does, and the record says why; natively it fails the step.
  calledSteps.length = 0;
  const broken = { ...gate, when: '{{ inputs.go.flag.value }}' };
  const skipped = await run({ ...pipeline, steps: [broken, after] }, { go: false });
  expect(skipped.status).toBe('completed');
  expect(skipped.steps.gate).toMatchObject({ status: 'skipped', result: { status: 'skipped', reason: 'condition_error', error: expect.stringContaining('flag') } });
  expect(skipped.steps.after).toMatchObject({ status: 'completed', result: 'answer to: AFTER skipped condition_error' });
  expect(calledSteps).toEqual(['after']);
  const failed = await run({ ...pipeline, steps: [{ ...broken, whenSkips: undefined }, after] }, { go: false });
  expect(failed.status).toBe('failed');
  expect(failed.steps.gate).toMatchObject({ status: 'failed', error: expect.stringContaining('flag') });
}, 60_000);

test('on_error as a string (a handler step): the handler runs with the error, its result stands for the step, dependents run', async () => {
  model.reset((text) => (text.startsWith('FETCH') ? { fail: { message: 'upstream answered 503', retryable: false } } : {}));
  const fetch = prompt('fetch', 'FETCH data', { errorHandlers: [handler({ handlerStep: 'recover' })] });
  const recover = prompt('recover', 'RECOVER from: {{ failed.error }}', { isHandler: true });
  const use = prompt('use', 'USE {{ fetch.result }}', { dependsOn: ['fetch'], references: stepRefs('fetch') });
  const result = await run(pipelineOf('on_error_string', [fetch, recover, use]));
  expect(result.status).toBe('completed');
  expect(result.steps.recover!.status).toBe('completed');
  expect(result.steps.recover!.result).toMatch(/^answer to: RECOVER from: .*upstream answered 503/);
  expect(result.steps.fetch).toMatchObject({ status: 'completed', result: result.steps.recover!.result, error: null });
  expect(result.steps.fetch!.recovered).toMatchObject({ by: "handler step 'recover'" });
  expect(result.steps.fetch!.recovered!.error).toContain('upstream answered 503');
  expect(result.steps.use!.result).toBe(`answer to: USE ${result.steps.recover!.result as string}`);
}, 60_000);

test('on_error as objects: the first handler whose pattern matches gives its fallback_value; none matching leaves on_failure', async () => {
  model.reset((text) => (text.startsWith('LOOKUP') ? { fail: { message: 'quota exceeded for today', retryable: false } } : {}));
  const lookup = prompt('lookup', 'LOOKUP prices', {
    errorHandlers: [handler({ errorPatterns: ['timeout'], hasFallback: true, fallback: 'wrong handler' }), handler({ errorTypes: ['ModelError'], errorPatterns: ['quota'], hasFallback: true, fallback: { prices: [] } })],
  });
  const use = prompt('use', 'USE {{ lookup.result.prices | length }} prices', { dependsOn: ['lookup'], references: stepRefs('lookup') });
  const result = await run(pipelineOf('on_error_object', [lookup, use]));
  expect(result.status).toBe('completed');
  expect(result.steps.lookup).toMatchObject({ status: 'completed', result: { prices: [] }, recovered: { by: 'fallback_value' } });
  expect(result.steps.use!.result).toBe('answer to: USE 0 prices');

  const unmatchedLookup = { ...lookup, errorHandlers: [handler({ errorPatterns: ['timeout'], hasFallback: true, fallback: 'x' })], onFailure: { kind: 'continue' as const } };
  const report = prompt('report', 'REPORT {{ lookup.status }}', { dependsOn: ['lookup'], references: stepRefs('lookup') });
  const unmatched = await run(pipelineOf('on_error_unmatched', [unmatchedLookup, report]));
  expect(unmatched.status).toBe('partially_completed');
  expect(unmatched.steps.lookup).toMatchObject({ status: 'failed', result: null });
  expect(unmatched.steps.lookup!.error).toContain('quota exceeded');
  expect(unmatched.steps.lookup!.recovered).toBeUndefined();
  expect(unmatched.steps.report!.result).toBe('answer to: REPORT failed');
}, 60_000);

test('on_error handler_action asks the model with the error; retry_with_handler runs the step once more after it', async () => {
  let fetches = 0;
  model.reset((text) => {
    if (text.startsWith('FETCH')) return ++fetches === 1 ? { fail: { message: 'connection reset', retryable: false } } : { text: 'fresh data' };
    if (text.startsWith('PARSE')) return { fail: { message: 'bad format', retryable: false } };
    return {};
  });
  const fetch = prompt('fetch', 'FETCH it', { errorHandlers: [handler({ handlerAction: 'Say what to do about the error', retryWithHandler: true })] });
  const parse = prompt('parse', 'PARSE it', { errorHandlers: [handler({ handlerAction: 'Explain the failure: {{ failed.error }}' })] });
  const result = await run(pipelineOf('on_error_action', [fetch, parse]));
  expect(result.status).toBe('completed');
  expect(result.steps.fetch).toMatchObject({ status: 'completed', result: 'fresh data' });
  expect(result.steps.fetch!.recovered!.by).toBe('handler_action, then the step again');
  expect(model.callFor('Say what to do').prompt).toContain('connection reset');
  expect(result.steps.parse!.result).toMatch(/^answer to: Explain the failure: .*bad format/);
}, 60_000);

test('a loop child that fails (on_failure fail) fails its loop and the run; one with continue lets the iteration go on', async () => {
  model.reset((text) => (text.includes('BREAK 1') ? { fail: { message: 'item 1 is broken', retryable: false } } : {}));
  const strict = loopStep('each', { kind: 'for_each', items: ['0', '1', '2'], steps: [prompt('work', 'BREAK {{ item }}'), prompt('after', 'AFTER {{ work.status }}', { dependsOn: ['work'], references: stepRefs('work') })] });
  const failed = await run(pipelineOf('loop_child_fails', [strict]));
  expect(failed.status).toBe('failed');
  expect(failed.steps.each!.status).toBe('failed');
  expect(failed.steps.each!.error).toContain("iteration 1: step 'each_1_work' failed");
  // The loop carries its iteration step's failure type, for on_error handlers and people to branch on.
  expect(failed.steps.each_1_work!.error_type).toEqual(expect.any(String));
  expect(failed.steps.each!.error_type).toBe(failed.steps.each_1_work!.error_type);
  expect(failed.steps.each_1_after).toMatchObject({ status: 'skipped' });
  expect(failed.steps.each_2_work).toBeUndefined();

  const lenient = loopStep('each', { ...strict.loop!, steps: [{ ...strict.loop!.steps[0]!, onFailure: { kind: 'continue' } }, strict.loop!.steps[1]!] });
  const partial = await run(pipelineOf('loop_child_continues', [lenient]));
  expect(partial.status).toBe('partially_completed');
  expect(partial.steps.each!.result).toMatchObject({ iterations: 3, completed: true });
  expect(partial.steps.each_1_after!.result).toBe('answer to: AFTER failed');
}, 60_000);

test('max_iterations caps a for_each and says so; a failure in an iteration runs the block\'s handler for that iteration only', async () => {
  model.reset((text) => (text === 'WORK 1' ? { fail: { message: 'item 1 is broken', retryable: false } } : {}));
  const capped = loopStep('each', {
    kind: 'for_each',
    items: [0, 1, 2, 3, 4],
    maxIterations: 3,
    steps: [
      prompt('work', 'WORK {{ item }}', { onFailure: { kind: 'handler', step: 'fix' } }),
      prompt('fix', 'FIX {{ failed.id }}: {{ failed.error }} (iteration {{ each.iteration }})', { isHandler: true }),
    ],
  });
  const result = await run(pipelineOf('capped_loop', [capped]));
  expect(result.status).toBe('partially_completed');
  expect(result.steps.each!.result).toMatchObject({ iterations: 3, completed: false, stopped_by: 'max_iterations' });
  expect(result.steps.each_1_work!.status).toBe('failed');
  expect(result.steps.each_1_fix!.result).toMatch(/^answer to: FIX each_1_work: .*item 1 is broken \(iteration 1\)$/);
  expect(result.steps.each_0_fix).toBeUndefined();
  expect(result.steps.each_3_work).toBeUndefined();
}, 60_000);

test('a paused run starts no new iteration until it is resumed', async () => {
  model.reset(() => ({ delayMs: 300 }));
  const slow = loopStep('each', { kind: 'for_each', items: [0, 1, 2, 3, 4, 5], steps: [prompt('work', 'WORK {{ item }}')] });
  const handle = await start(pipelineOf('paused_loop', [slow]));
  while (model.calls.length === 0) await new Promise((resolve) => setTimeout(resolve, 50));
  await handle.signal(pauseSignal);
  // The iteration under way when the pause came may finish; no other starts while the run is paused.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const callsWhilePaused = model.calls.length;
  await new Promise((resolve) => setTimeout(resolve, 1500));
  expect(model.calls.length).toBe(callsWhilePaused);
  expect(callsWhilePaused).toBeLessThan(6);
  expect((await handle.query(statusQuery)).status).toBe('paused');
  await handle.signal(resumeSignal);
  const result = (await handle.result()) as RunResult;
  expect(result.steps.each!.result).toMatchObject({ iterations: 6, completed: true });
  expect(calledSteps).toEqual([0, 1, 2, 3, 4, 5].map((i) => `each_${i}_work`));
}, 60_000);

test('an approval step inside a loop waits for `approve` of its iteration\'s step', async () => {
  const gated = loopStep('each', {
    kind: 'for_each',
    items: ['x', 'y'],
    steps: [prompt('gate', 'approval', { actionKind: 'approval', parameters: { prompt: 'Publish {{ item }}?' } }), prompt('publish', 'PUBLISH {{ item }}', { dependsOn: ['gate'], references: stepRefs('gate') })],
  });
  const handle = await start(pipelineOf('loop_approvals', [gated]));
  for (const id of ['each_0_gate', 'each_1_gate']) {
    for (;;) {
      const progress = await handle.query(statusQuery);
      if (progress.steps[id]?.status === 'waiting') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await handle.executeUpdate(approveUpdate, { args: [{ step: id, approved: id === 'each_0_gate', by: 'tester' }] });
  }
  const result = (await handle.result()) as RunResult;
  expect(result.steps.each_0_gate!.result).toMatchObject({ approved: true, by: 'tester' });
  expect(result.steps.each_0_publish!.status).toBe('completed');
  // The rejection fails its iteration's step, and with it the loop (on_failure fail).
  expect(result.steps.each_1_gate!.status).toBe('failed');
  expect(result.steps.each!.status).toBe('failed');
  expect(calledSteps).toEqual(['each_0_publish']);
}, 60_000);

test('a 2,000-iteration loop on the echo model continues as new and runs every iteration exactly once', async () => {
  const items = Array.from({ length: 2000 }, (_, i) => `n${i}`);
  const big = loopStep('big', { kind: 'for_each', items, maxIterations: 10_000, maxParallel: 20, steps: [prompt('echo', 'ECHO {{ item }}')] });
  const last = prompt('last', 'LAST {{ big.iterations }}', { dependsOn: ['big'], references: stepRefs('big') });
  const handle = await start(pipelineOf('long_loop', [big, last]), {}, { dryRun: true });
  const result = (await handle.result()) as RunResult;
  expect(result.status).toBe('completed');
  const loopResult = result.steps.big!.result as { iterations: number; results: Array<{ echo: string }> };
  expect(loopResult.iterations).toBe(2000);
  expect(loopResult.results[1999]!.echo).toContain('ECHO n1999');
  expect(result.steps.big_1234_echo).toMatchObject({ status: 'completed' });
  expect(result.steps.last!.status).toBe('completed');
  // Continued as new at least once: the latest run is not the first.
  const description = await handle.describe();
  expect(description.runId).not.toBe(handle.firstExecutionRunId);
  // Every run of the chain kept its history well under Temporal's 10,240-event warning.
  const lengths: number[] = [];
  for await (const execution of client.workflow.list({ query: `WorkflowId = '${handle.workflowId}'` })) {
    const history = await client.workflow.getHandle(handle.workflowId, execution.runId).fetchHistory();
    lengths.push(history.events?.length ?? 0);
  }
  expect(lengths.length).toBeGreaterThanOrEqual(2);
  expect(Math.max(...lengths)).toBeLessThan(10_240);
  const perStep = new Map<string, number>();
  for (const id of calledSteps) perStep.set(id, (perStep.get(id) ?? 0) + 1);
  expect(perStep.size).toBe(2001);
  expect([...perStep.values()].every((count) => count === 1)).toBe(true);
}, 600_000);

test('a while loop of 1,000 iterations continues as new between iterations and stops at max_iterations', async () => {
  const spin = loopStep('spin', { kind: 'while', condition: true, maxIterations: 1000, steps: [prompt('tick', 'TICK {{ iteration }}')] });
  const handle = await start(pipelineOf('long_while', [spin]), {}, { dryRun: true });
  const result = (await handle.result()) as RunResult;
  expect(result.status).toBe('completed');
  expect(result.steps.spin!.result).toMatchObject({ iterations: 1000, stopped_by: 'max_iterations' });
  const lengths: number[] = [];
  for await (const execution of client.workflow.list({ query: `WorkflowId = '${handle.workflowId}'` })) {
    const history = await client.workflow.getHandle(handle.workflowId, execution.runId).fetchHistory();
    lengths.push(history.events?.length ?? 0);
  }
  expect(lengths.length).toBeGreaterThanOrEqual(2);
  expect(calledSteps).toEqual(Array.from({ length: 1000 }, (_, i) => `spin_${i}_tick`));
}, 600_000);

describe('written in YAML (the native compiler\'s loops, when_skips and on_error)', () => {
  test('a for_each block that reads an earlier step, a handler in the block, a while loop on its own iteration, a condition skip', async () => {
    let reviews = 0;
    model.reset((text) => (text.startsWith('REVIEW answer to: DRAFT b') && ++reviews === 1 ? { fail: { message: 'reviewer unavailable', retryable: false } } : {}));
    const pipeline = compileYaml(`
name: loops_yaml
inputs:
  topics: { type: array, default: [a, b, c] }
steps:
  - id: plan
    action: "PLAN the work"
  - id: each
    for_each: "{{ inputs.topics }}"
    max_parallel: 2
    steps:
      - id: draft
        action: "DRAFT {{ item }} after {{ plan.result }} #{{ $index }} of {{ each.iteration }}"
      - id: review
        action: "REVIEW {{ draft.result }}"
        max_retries: 0
        on_error: fix
      - id: fix
        action: "FIX {{ failed.error }}"
  - id: grow
    while: "{{ grow.iteration < 3 }}"
    max_iterations: 5
    steps:
      - id: step
        action: "GROW {{ iteration }} last={{ is_last }}"
  - id: summary
    action: "SUMMARY {{ each.iterations }} {{ grow.iterations }} {{ gate.status }}"
    depends_on: [gate]
  - id: gate
    action: "GATE it"
    when: "{{ inputs.topics | length > 5 }}"
    when_skips: step
`);
    const handle = await start(pipeline, { topics: ['a', 'b', 'c'] });
    const result = (await handle.result()) as RunResult;
    expect(result.error).toBeNull();
    expect(result.status).toBe('completed');
    expect(result.steps.each_1_draft!.result).toBe('answer to: DRAFT b after answer to: PLAN the work #1 of 1');
    // The review of b failed once: its handler ran for that iteration only, then the review ran again.
    expect(result.steps.each_1_fix!.result).toMatch(/^answer to: FIX .*reviewer unavailable/);
    expect(result.steps.each_1_review).toMatchObject({ status: 'completed', result: 'answer to: REVIEW answer to: DRAFT b after answer to: PLAN the work #1 of 1' });
    expect(result.steps.each_1_review!.recovered!.by).toBe("handler step 'fix', then the step again");
    expect(result.steps.each_0_fix).toBeUndefined();
    expect(result.steps.grow!.result).toMatchObject({ iterations: 3, completed: true });
    expect(result.steps.grow_2_step!.result).toBe('answer to: GROW 2 last=false');
    expect(result.steps.gate).toMatchObject({ status: 'skipped', result: { status: 'skipped', reason: 'condition_false' } });
    expect(result.steps.summary!.result).toBe('answer to: SUMMARY 3 3 skipped');
    expect(await activitySummaries(handle)).toEqual(expect.arrayContaining(['each_1_review · fake:scripted', 'each_1_fix · fake:scripted', 'grow · iteration 3 · while']));
  }, 60_000);

  test('on_error in its object form: a pattern picks the handler, a fallback value stands in, a handler action answers', async () => {
    model.reset((text) => {
      if (text.startsWith('PRICES')) return { fail: { message: 'quota exceeded', retryable: false } };
      if (text.startsWith('RATES')) return { fail: { message: 'service down', retryable: false } };
      return {};
    });
    const result = await run(
      compileYaml(`
name: on_error_yaml
steps:
  - id: prices
    action: "PRICES today"
    max_retries: 0
    on_error:
      error_patterns: ["quota"]
      fallback_value: { prices: [] }
  - id: rates
    action: "RATES today"
    max_retries: 0
    on_error: { error_types: [ModelError], handler_action: "Explain the outage", retry_with_handler: false }
  - id: report
    action: "REPORT {{ prices.result.prices | length }} / {{ rates.result }}"
`),
    );
    expect(result.status).toBe('completed');
    expect(result.steps.prices).toMatchObject({ status: 'completed', result: { prices: [] }, recovered: { by: 'fallback_value' } });
    expect(result.steps.rates!.result).toMatch(/^answer to: Explain the outage\n\nThe error of step 'rates':\n.*service down/);
    expect(result.steps.report!.result).toContain('answer to: REPORT 0 / answer to: Explain the outage');
  }, 60_000);

  test('an until loop stops once its own step says so', async () => {
    model.reset((text) => (text === 'POLL 1' ? { text: 'READY' } : { text: 'waiting' }));
    const result = await run(
      compileYaml(`
name: until_yaml
steps:
  - id: wait
    until: "{{ poll.result == 'READY' }}"
    max_iterations: 6
    steps:
      - id: poll
        action: "POLL {{ \$iteration }}"
`),
    );
    expect(result.steps.wait!.result).toEqual({ iterations: 2, completed: true, results: [{ poll: 'waiting' }, { poll: 'READY' }] });
  }, 60_000);
});
