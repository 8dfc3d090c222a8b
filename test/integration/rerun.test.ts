// `orc rerun` through the API: a run that failed at its last step is re-run, and only that step runs again.
import { Orchestrator, type RunResult } from '../../src/client';
import { compileYaml } from '../helpers/compile';
import { resolverFor, ScriptedModel } from '../helpers/scripted-model';

const model = new ScriptedModel();
let orchestrator: Orchestrator;

beforeAll(async () => {
  orchestrator = new Orchestrator({
    address: process.env.ORC_TEST_TEMPORAL_ADDRESS!,
    taskQueue: `rerun-${process.pid}`,
    worker: true,
    workflowsPath: require.resolve('../../src/workflows'),
    models: resolverFor(model),
  });
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
