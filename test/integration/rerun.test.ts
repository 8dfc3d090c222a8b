// `orc rerun` through the API: a run that failed at its last step is re-run, and only that step runs again.
import type { Orchestrator, RunResult } from '../../src/client';
import { orcEnvironment, runOrc } from '../helpers/cli';
import { sharedServerOrchestrator } from '../helpers/orchestrator';
import { compileYaml } from '../helpers/compile';
import { resolverFor, ScriptedModel } from '../helpers/scripted-model';

const model = new ScriptedModel();
const taskQueue = `rerun-${process.pid}`;
let orchestrator: Orchestrator;

beforeAll(async () => {
  orchestrator = sharedServerOrchestrator(taskQueue, { models: resolverFor(model) });
  await orchestrator.connect();
});

afterAll(async () => {
  await orchestrator?.close();
});

const pipeline = compileYaml(`
name: three_steps
steps:
  - id: gather
    action: "GATHER {{ topic }}"
  - id: analyse
    action: "ANALYSE {{ gather.result }}"
  - id: publish
    action: "PUBLISH {{ analyse.result }}"
`);

test('re-running a run that failed at its last step runs that one step, reusing the others', async () => {
  model.reset((prompt) => (prompt.startsWith('PUBLISH') ? { fail: { message: 'publisher down', retryable: false } } : {}));
  const failed = await orchestrator.execute(pipeline, { topic: 'tea' }, { runId: `rerun-source-${Date.now()}` });
  expect(failed.status).toBe('failed');
  expect(model.calls).toHaveLength(3);

  model.reset(() => ({}));
  const { handle, reused } = await orchestrator.rerun(failed.run_id);
  expect(reused.sort()).toEqual(['analyse', 'gather']);
  const result = (await handle.result()) as RunResult;
  expect(result.status).toBe('completed');
  expect(model.calls.map((call) => call.prompt)).toEqual(['PUBLISH answer to: ANALYSE answer to: GATHER tea']);
  expect(result.steps.gather).toEqual(failed.steps.gather);
});

test('--from re-runs the named step and everything downstream of it', async () => {
  model.reset(() => ({}));
  const first = await orchestrator.execute(pipeline, { topic: 'coffee' });
  expect(first.status).toBe('completed');
  model.reset(() => ({}));
  const { handle, reused } = await orchestrator.rerun(first.run_id, { from: 'analyse' });
  expect(reused).toEqual(['gather']);
  await handle.result();
  expect(model.calls.map((call) => call.prompt.split(' ')[0])).toEqual(['ANALYSE', 'PUBLISH']);
  await expect(orchestrator.rerun(first.run_id, { from: 'nope' })).rejects.toThrow(/no step 'nope'/);
});

test('`orc rerun` and `orc approve` work from the command line', async () => {
  const environment = orcEnvironment({ TEMPORAL_ADDRESS: process.env.ORC_TEST_TEMPORAL_ADDRESS!, ORC_TASK_QUEUE: taskQueue });
  model.reset((prompt) => (prompt.startsWith('PUBLISH') ? { fail: { message: 'publisher down', retryable: false } } : {}));
  const failed = await orchestrator.execute(pipeline, { topic: 'cli' });
  expect(failed.status).toBe('failed');
  model.reset(() => ({}));
  const rerun = await runOrc(['rerun', failed.run_id, '--json'], environment);
  expect(rerun.code).toBe(0);
  expect((JSON.parse(rerun.stdout) as RunResult).status).toBe('completed');
  expect(model.calls).toHaveLength(1);

  const withApproval = compileYaml(`
name: cli_approval
steps:
  - id: review
    action: approval
    parameters: { prompt: "Ship it?" }
    on_failure: continue
  - id: after
    action: "AFTER {{ review.status }}"
`);
  const { handle } = await orchestrator.start(withApproval, {});
  for (let attempt = 0; attempt < 100 && (await orchestrator.status(handle.workflowId)).waiting.length === 0; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const status = await runOrc(['status', handle.workflowId], environment);
  expect(status.stdout).toContain('waiting for approval: review - Ship it?');
  const unknown = await runOrc(['approve', handle.workflowId, 'reveiw'], environment);
  expect(unknown.code).toBe(1);
  expect(unknown.stderr).toMatch(/approve refused: .*no step 'reveiw'/);
  const rejected = await runOrc(['approve', handle.workflowId, 'review', '--reject', '--comment', 'no', '--by', 'ana'], environment);
  expect(rejected.code).toBe(0);
  expect(rejected.stdout).toBe('review: rejected (no)\n');
  const result = (await handle.result()) as RunResult;
  expect(result.steps.review).toMatchObject({ status: 'failed', error: "step 'review' was rejected by ana: no", result: { approved: false, comment: 'no', by: 'ana' } });
  expect(result.steps.after!.status).toBe('completed');
});
