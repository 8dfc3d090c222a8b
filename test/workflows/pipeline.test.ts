// The generic pipeline workflow on Temporal's time-skipping test server, with a scripted model.
import { Client } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createActivities } from '../../src/activities';
import type { CompiledPipeline } from '../../src/compiler';
import { approveUpdate, pauseSignal, resumeSignal, statusQuery } from '../../src/workflows/definitions';
import type { PipelineRunInput, RunResult } from '../../src/base/run-types';
import { temporalTestServerPath } from '../../src/base/paths';
import { compileYaml } from '../helpers/compile';
import { resolverFor, ScriptedModel } from '../helpers/scripted-model';
import { runMetricsSinks } from '../../src/worker/run-metrics-sink';

const TASK_QUEUE = 'pipeline-workflow-test';
let environment: TestWorkflowEnvironment;
let worker: Worker;
let workerRun: Promise<void>;
const model = new ScriptedModel();
let runCounter = 0;

beforeAll(async () => {
  environment = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: temporalTestServerPath() } },
  });
  worker = await Worker.create({
    connection: environment.nativeConnection,
    taskQueue: TASK_QUEUE,
    workflowsPath: require.resolve('../../src/workflows'),
    sinks: runMetricsSinks(),
    activities: createActivities({ models: resolverFor(model) }),
    shutdownGraceTime: '1s',
  });
  workerRun = worker.run();
});

afterAll(async () => {
  worker?.shutdown();
  await workerRun;
  await environment?.teardown();
});

/** Real time: the test server's clock only skips while `environment.client` awaits a result. */
function realTimeClient(): Client {
  return new Client({ connection: environment.client.connection });
}

function start(client: Client, pipeline: CompiledPipeline, inputs: Record<string, unknown> = {}) {
  const input: PipelineRunInput = { pipeline, inputs, options: { defaultModel: 'fake' } };
  return client.workflow.start('pipelineWorkflow', { taskQueue: TASK_QUEUE, workflowId: `run-${++runCounter}`, args: [input] });
}

async function run(pipeline: CompiledPipeline, inputs: Record<string, unknown> = {}, client: Client = realTimeClient()): Promise<RunResult> {
  return (await start(client, pipeline, inputs)).result() as Promise<RunResult>;
}

// First in the file: the Java test server stops skipping time once an activity it cancelled completes late
// (as the hanging ones below do), so the one test that needs skipping runs before them.
test('an approval with no decision within its timeout fails the step (time skipped)', async () => {
  model.reset(() => ({}));
  const pipeline = compileYaml(`
name: approval_timeout
steps:
  - id: review
    action: approval
    parameters: { prompt: "Go?", timeout: 1h }
  - id: publish
    action: "PUBLISH after {{ review.status }}"
`);
  const result = (await (await start(environment.client, pipeline)).result()) as RunResult;
  expect(result.status).toBe('failed');
  expect(result.steps.review!.error).toBe("step 'review': no approval decision within 3600s");
  expect(result.steps.publish!.status).toBe('skipped');
});

test('a slow branch does not hold back an independent one, and a join waits for both', async () => {
  model.reset((prompt) => ({ delayMs: prompt.includes('SLOW') ? 2000 : 50 }));
  const result = await run(
    compileYaml(`
name: branches
steps:
  - id: slow
    action: SLOW work
  - id: fast
    action: FAST work
  - id: after_fast
    action: "AFTER_FAST {{ fast.result }}"
  - id: join
    action: "JOIN {{ slow.result }} {{ after_fast.result }}"
`),
  );
  expect(result.status).toBe('completed');
  const slow = model.callFor('SLOW');
  const afterFast = model.callFor('AFTER_FAST');
  const join = model.callFor('JOIN');
  // after_fast is on level 1 with nothing slow in its way: it must not wait for `slow` (level 0) to end.
  expect(afterFast.endedAt!).toBeLessThan(slow.endedAt!);
  expect(join.startedAt).toBeGreaterThanOrEqual(slow.endedAt!);
  expect(join.startedAt).toBeGreaterThanOrEqual(afterFast.endedAt!);
  expect(result.steps.join!.status).toBe('completed');
});

test('max_parallel caps the steps running at once', async () => {
  model.reset(() => ({ delayMs: 300 }));
  const steps = Array.from({ length: 6 }, (_, index) => `  - id: s${index}\n    action: independent step ${index}\n`).join('');
  const result = await run(compileYaml(`name: capped\nconfig:\n  max_parallel: 2\nsteps:\n${steps}`));
  expect(result.status).toBe('completed');
  expect(model.calls).toHaveLength(6);
  expect(model.maxActive).toBe(2);
});

test('a step timeout fails the step, and on_failure continue lets its dependents run', async () => {
  model.reset((prompt) => (prompt.includes('HANG') ? { hang: true } : {}));
  const result = await run(
    compileYaml(`
name: timeouts
steps:
  - id: stuck
    action: HANG forever
    timeout: 2s
    max_retries: 0
    on_failure: continue
  - id: after
    action: "status of stuck: {{ stuck.status }}"
`),
  );
  expect(result.steps.stuck!.status).toBe('failed');
  expect(result.steps.stuck!.error).toMatch(/timed out after 2s/);
  expect(result.steps.stuck!.error_type).toBe('TIMEOUT');
  expect(result.steps.stuck!.result).toBeNull();
  expect(result.steps.after!.status).toBe('completed');
  expect(model.callFor('status of stuck').prompt).toContain('status of stuck: failed');
  expect(result.status).toBe('partially_completed');
});

test('on_failure fail (the default) fails the run, cancels running steps and keeps finished results', async () => {
  model.reset((prompt) => {
    if (prompt.includes('BROKEN')) return { delayMs: 200, fail: { message: 'bad request', retryable: false } };
    if (prompt.includes('LONG')) return { delayMs: 10_000 };
    return {};
  });
  const result = await run(
    compileYaml(`
name: failing
steps:
  - id: quick
    action: QUICK one
  - id: broken
    action: BROKEN step
  - id: long
    action: LONG step
  - id: downstream
    action: "uses {{ broken.result }}"
outputs:
  quick: "{{ quick.result }}"
`),
  );
  expect(result.status).toBe('failed');
  expect(result.error).toMatch(/broken.*bad request/);
  expect(result.steps.broken!.status).toBe('failed');
  expect(result.steps.broken!.attempts).toBe(1);
  expect(result.steps.long!.status).toBe('cancelled');
  expect(result.steps.downstream!.status).toBe('skipped');
  expect(result.steps.quick!.status).toBe('completed');
  expect(result.outputs.quick).toBe('answer to: QUICK one');
});

test('on_failure skip skips the step and its dependents; the rest goes on', async () => {
  model.reset((prompt) => (prompt.includes('BROKEN') ? { fail: { message: 'nope', retryable: false } } : {}));
  const result = await run(
    compileYaml(`
name: skipping
steps:
  - id: broken
    action: BROKEN step
    on_failure: skip
  - id: child
    action: "child of {{ broken.result }}"
  - id: grandchild
    action: "grandchild of {{ child.result }}"
  - id: other
    action: independent work
`),
  );
  expect(result.status).toBe('partially_completed');
  expect(result.steps.broken!.status).toBe('skipped');
  expect(result.steps.child!.status).toBe('skipped');
  expect(result.steps.grandchild!.status).toBe('skipped');
  expect(result.steps.other!.status).toBe('completed');
  expect(model.calls.map((call) => call.prompt)).not.toContainEqual(expect.stringContaining('child of'));
});

test('a handler named by on_failure runs in place of the failed step, reading failed.error', async () => {
  model.reset((prompt) => (prompt.includes('BROKEN') ? { fail: { message: 'provider exploded', retryable: false } } : {}));
  const result = await run(
    compileYaml(`
name: handled
steps:
  - id: risky
    action: BROKEN step
    on_failure: recover
  - id: next
    action: "next after {{ risky.result }}"
  - id: recover
    action: "RECOVER from {{ failed.error }}"
`),
  );
  expect(result.steps.risky!.status).toBe('failed');
  expect(result.steps.recover!.status).toBe('completed');
  expect(model.callFor('RECOVER').prompt).toContain('provider exploded');
  expect(result.steps.next!.status).toBe('skipped');
  expect(result.status).toBe('partially_completed');
});

test('retryable model errors are retried and the attempts are counted', async () => {
  model.reset((prompt, callNumber) => (callNumber < 3 ? { fail: { message: 'overloaded', retryable: true } } : {}));
  const result = await run(compileYaml(`name: retrying\nsteps:\n  - id: flaky\n    action: flaky step\n    max_retries: 3\n`), {}, environment.client);
  expect(result.status).toBe('completed');
  expect(result.steps.flaky!.attempts).toBe(3);
  expect(model.calls).toHaveLength(3);
});

test('text containing {{ }} from an input or a model comes out literally, never rendered', async () => {
  model.reset((prompt) => (prompt.includes('FIRST') ? { text: 'model says {{ secret }} and {% raw %}' } : {}));
  const result = await run(
    compileYaml(`
name: literal
inputs:
  note: { type: string, required: true }
steps:
  - id: first
    action: "FIRST {{ note }}"
  - id: second
    action: "SECOND {{ first.result }}"
outputs:
  first: "{{ first.result }}"
  combined: "note={{ note }} first={{ first.result }}"
`),
    { note: 'user wrote {{ inputs.note }}' },
  );
  expect(result.status).toBe('completed');
  expect(model.callFor('FIRST').prompt).toBe('FIRST user wrote {{ inputs.note }}');
  expect(model.callFor('SECOND').prompt).toBe('SECOND model says {{ secret }} and {% raw %}');
  expect(result.outputs.first).toBe('model says {{ secret }} and {% raw %}');
  expect(result.outputs.combined).toBe('note=user wrote {{ inputs.note }} first=model says {{ secret }} and {% raw %}');
});

test('a structured step answers with the fields downstream templates read', async () => {
  model.reset((prompt) => (prompt.includes('PLAN') ? { json: { queries: ['a', 'b'] } } : {}));
  const result = await run(
    compileYaml(`
name: structured
steps:
  - id: plan
    action: PLAN the search
  - id: search
    action: "SEARCH {% for q in plan.result.queries %}[{{ q }}]{% endfor %}"
outputs:
  queries: "{{ plan.result.queries }}"
`),
  );
  expect(result.status).toBe('completed');
  expect(result.steps.plan!.result).toEqual({ queries: ['a', 'b'] });
  expect(model.callFor('SEARCH').prompt).toBe('SEARCH [a][b]');
  expect(result.outputs.queries).toEqual(['a', 'b']);
});

test('reading an undefined field fails the step with a message naming it, never an empty string', async () => {
  model.reset((prompt) => (prompt.includes('plan something') ? { json: { other: 1 } } : {}));
  const result = await run(
    compileYaml(`
name: undefined_field
steps:
  - id: plan
    action: plan something
    output_schema: { type: object }
  - id: use
    action: "use {{ plan.result.missing }}"
`),
  );
  expect(result.status).toBe('failed');
  expect(result.steps.use!.error).toMatch(/plan\.result\.missing.*undefined/);
});

test('pause stops new steps from starting until resume', async () => {
  model.reset(() => ({ delayMs: 500 }));
  const client = realTimeClient();
  const handle = await start(client, compileYaml(`name: pausing\nsteps:\n  - id: one\n    action: step one\n  - id: two\n    action: "step two {{ one.result }}"\n`));
  // Pause while step one runs: a signal that reached the run before its first workflow task would hold step one too.
  for (let waited = 0; model.calls.length === 0 && waited < 10_000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
  await handle.signal(pauseSignal);
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const paused = await handle.query(statusQuery);
  expect(paused.paused).toBe(true);
  expect(paused.steps.one!.status).toBe('completed');
  expect(paused.steps.two!.status).toBe('pending');
  expect(model.calls).toHaveLength(1);
  await handle.signal(resumeSignal);
  const result = (await handle.result()) as RunResult;
  expect(result.status).toBe('completed');
  expect(result.steps.two!.status).toBe('completed');
});

describe('approval steps', () => {
  const approvalPipeline = (onFailure: string) =>
    compileYaml(`
name: approvals
steps:
  - id: draft
    action: DRAFT it
  - id: review
    action: approval
    parameters:
      prompt: "Publish {{ draft.result }}?"
      timeout: 1h
    on_failure: ${onFailure}
  - id: publish
    action: "PUBLISH {{ draft.result }} after {{ review.status }}"
`);

  async function waitUntilWaiting(handle: Awaited<ReturnType<typeof start>>): Promise<void> {
    for (let attempt = 0; attempt < 100; attempt++) {
      const progress = await handle.query(statusQuery);
      if (progress.steps.review!.status === 'waiting') return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error('the approval step never started waiting');
  }

  test('waits (status waiting, with its prompt) until approved; the decision is its result', async () => {
    model.reset(() => ({}));
    const handle = await start(realTimeClient(), approvalPipeline('fail'));
    await waitUntilWaiting(handle);
    const progress = await handle.query(statusQuery);
    expect(progress.waiting).toEqual([{ step: 'review', prompt: 'Publish answer to: DRAFT it?' }]);
    expect(model.calls.map((call) => call.prompt)).not.toContainEqual(expect.stringContaining('PUBLISH'));
    const decision = await handle.executeUpdate(approveUpdate, { args: [{ step: 'review', approved: true, comment: 'ship it', by: 'ana' }] });
    expect(decision).toEqual({ approved: true, comment: 'ship it', by: 'ana' });
    const result = (await handle.result()) as RunResult;
    expect(result.status).toBe('completed');
    expect(result.steps.review!.result).toEqual({ approved: true, comment: 'ship it', by: 'ana' });
    expect(result.steps.publish!.status).toBe('completed');
  });

  test('a rejection fails the step and its on_failure decides what happens next', async () => {
    model.reset(() => ({}));
    const handle = await start(realTimeClient(), approvalPipeline('continue'));
    await waitUntilWaiting(handle);
    await handle.executeUpdate(approveUpdate, { args: [{ step: 'review', approved: false, comment: 'no', by: 'ana' }] });
    const result = (await handle.result()) as RunResult;
    expect(result.steps.review!.status).toBe('failed');
    expect(result.steps.review!.error).toBe("step 'review' was rejected by ana: no");
    expect(result.steps.review!.result).toEqual({ approved: false, comment: 'no', by: 'ana' });
    expect(result.steps.publish!.status).toBe('completed');
    expect(model.callFor('PUBLISH').prompt).toContain('after failed');
    expect(result.status).toBe('partially_completed');
  });

  test('an approve of an unknown step, a step not waiting, or one already decided is refused with a reason', async () => {
    model.reset((prompt) => (prompt.includes('DRAFT') ? { delayMs: 1500 } : {}));
    const handle = await start(realTimeClient(), approvalPipeline('fail'));
    const refusal = async (decision: { step: string; approved: boolean }): Promise<string> => {
      try {
        await handle.executeUpdate(approveUpdate, { args: [decision] });
      } catch (error) {
        return String((error as { cause?: { message?: string } }).cause?.message ?? (error as Error).message);
      }
      throw new Error('the update was accepted');
    };
    expect(await refusal({ step: 'reveiw', approved: true })).toMatch(/no step 'reveiw'/);
    expect(await refusal({ step: 'draft', approved: true })).toMatch(/'draft' is neither an approval step nor an agent step/);
    expect(await refusal({ step: 'review', approved: true })).toMatch(/'review' is not waiting for approval \(it is pending\)/);
    await waitUntilWaiting(handle);
    await handle.executeUpdate(approveUpdate, { args: [{ step: 'review', approved: true }] });
    expect(await refusal({ step: 'review', approved: false })).toMatch(/'review' was already approved/);
    expect(((await handle.result()) as RunResult).status).toBe('completed');
  });

});

test('for_each runs the step once per item, max_parallel at a time, and returns the results in order', async () => {
  model.reset((prompt) => ({ delayMs: prompt.includes('alpha') ? 400 : 50, text: prompt.toUpperCase() }));
  const result = await run(
    compileYaml(`
name: fan_out
inputs:
  words: { type: array, required: true }
steps:
  - id: each
    action: "word {{ index }}: {{ item }}"
    for_each: "{{ words }}"
    max_parallel: 2
  - id: after
    action: "got {{ each.result | length }} results"
`),
    { words: ['alpha', 'beta', 'gamma', 'delta'] },
  );
  expect(result.status).toBe('completed');
  expect(result.steps.each!.result).toEqual(['WORD 0: ALPHA', 'WORD 1: BETA', 'WORD 2: GAMMA', 'WORD 3: DELTA']);
  expect(model.maxActive).toBe(2);
  expect(model.callFor('got').prompt).toBe('got 4 results');
});

test('action: pipeline runs another pipeline file as a child run and returns its outputs', async () => {
  model.reset(() => ({}));
  const pipeline = compileYaml(`
name: parent
steps:
  - id: nested
    action: pipeline
    parameters:
      file: child.yaml
      inputs: { word: hello }
  - id: after
    action: "PARENT got {{ nested.result.said }}"
`);
  pipeline.sourceFile = require.resolve('../fixtures/workflows/child.yaml');
  const result = await run(pipeline);
  expect(result.status).toBe('completed');
  expect(result.steps.nested!.result).toEqual({ said: 'answer to: CHILD says hello' });
  expect(model.callFor('PARENT').prompt).toBe('PARENT got answer to: CHILD says hello');
});

describe('budgets', () => {
  test('no step starts that would cross config.budget; the run ends budget_exceeded with earlier results kept', async () => {
    model.reset(() => ({}));
    const result = await run(
      compileYaml(`
name: budgeted
config: { budget: { tokens: 40 } }
steps:
  - id: a
    action: "step a"
  - id: b
    action: "step b after {{ a.result }}"
  - id: c
    action: "step c after {{ b.result }}"
  - id: d
    action: "step d after {{ c.result }}"
`),
    );
    // Each call uses 10 + 5 tokens: after a and b, 30 are used and c would take about 15 more.
    expect(result.status).toBe('budget_exceeded');
    expect(result.error).toBe('token budget of 40 reached: 30 used, about 15 more for the next step');
    expect(result.steps.a!.status).toBe('completed');
    expect(result.steps.b!.result).toBe('answer to: step b after answer to: step a');
    expect(result.steps.c).toMatchObject({ status: 'skipped', error: 'not run: token budget of 40 reached: 30 used, about 15 more for the next step' });
    expect(result.steps.d!.status).toBe('skipped');
    expect(model.calls).toHaveLength(2);
    expect(result.usage.input_tokens + result.usage.output_tokens).toBe(30);
  });

  test('a step over its own budget fails, and its on_failure applies', async () => {
    model.reset(() => ({}));
    const result = await run(
      compileYaml(`
name: step_budget
steps:
  - id: wordy
    action: "say a lot"
    budget: { tokens: 10 }
    on_failure: continue
  - id: next
    action: "next after {{ wordy.status }}"
`),
    );
    expect(result.steps.wordy).toMatchObject({ status: 'failed', error: "step 'wordy' used 15 tokens, over its budget of 10", result: null });
    expect(result.steps.next!.status).toBe('completed');
    expect(result.status).toBe('partially_completed');
  });
});
