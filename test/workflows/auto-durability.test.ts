// AUTO values live in history: a run resumed on a new worker, and a replay of its history, never ask again.
import { Client, Connection } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { createActivities } from '../../src/activities';
import type { RunResult, PipelineRunInput } from '../../src/base/run-types';
import { compileYaml } from '../helpers/compile';
import { waitFor } from '../helpers/cli';
import { resolverFor, ScriptedModel } from '../helpers/scripted-model';
import { runMetricsSinks } from '../../src/worker/run-metrics-sink';

const RESOLUTION_MARKER = 'You choose one setting';
const address = (): string => process.env.ORC_TEST_TEMPORAL_ADDRESS!;

async function startWorker(taskQueue: string, model: ScriptedModel): Promise<{ worker: Worker; running: Promise<void> }> {
  const { NativeConnection } = await import('@temporalio/worker');
  const connection = await NativeConnection.connect({ address: address() });
  const worker = await Worker.create({
    connection,
    taskQueue,
    workflowsPath: require.resolve('../../src/workflows'),
    sinks: runMetricsSinks(),
    activities: createActivities({ models: resolverFor(model) }),
    shutdownGraceTime: '200ms',
  });
  const running = worker.run().finally(() => connection.close());
  return { worker, running };
}

test('a run whose worker stops after the AUTO resolution finishes on a new worker without asking again; its replay asks nothing', async () => {
  const taskQueue = `auto-durability-${Date.now()}`;
  const first = new ScriptedModel((prompt) => (prompt.startsWith('WORK on tea') ? { hang: true } : { json: { value: 'formal' } }));
  const second = new ScriptedModel((prompt) => (prompt.startsWith('WORK on tea') ? { text: 'done' } : { json: { value: 'friendly' } }));
  const pipeline = compileYaml(`
name: auto_durability
steps:
  - id: draft
    action: "WORK on {{ topic }}"
    timeout: 20s
    max_retries: 3
    parameters:
      tone: <AUTO choices="friendly|formal">Choose the tone</AUTO>
`);
  const connection = await Connection.connect({ address: address() });
  const client = new Client({ connection });
  try {
    const workerA = await startWorker(taskQueue, first);
    const input: PipelineRunInput = { pipeline, inputs: { topic: 'tea' } };
    const handle = await client.workflow.start('pipelineWorkflow', { taskQueue, workflowId: taskQueue, args: [input] });
    await waitFor(() => first.callsWith('WORK on tea').length > 0, 30_000, 'the step to start on the first worker');
    expect(first.callsWith(RESOLUTION_MARKER)).toHaveLength(1);
    workerA.worker.shutdown();
    await workerA.running;

    const workerB = await startWorker(taskQueue, second);
    try {
      const result = (await handle.result()) as RunResult;
      expect(result.status).toBe('completed');
      expect(result.steps.draft!.result).toBe('done');
      expect(second.callsWith('WORK on tea').length).toBeGreaterThan(0);
      // The tag was decided once, by the first worker; the second read it from history.
      expect(second.callsWith(RESOLUTION_MARKER)).toHaveLength(0);
      expect(result.auto_resolutions).toEqual([
        { path: 'steps.draft.parameters.tone', description: 'Choose the tone', value: 'formal', model: 'fake:scripted' },
      ]);
      expect(second.callFor('WORK on tea').prompt).toContain('tone: formal');

      const history = await handle.fetchHistory();
      const callsBefore = first.calls.length + second.calls.length;
      await Worker.runReplayHistory({ workflowsPath: require.resolve('../../src/workflows'), sinks: runMetricsSinks() }, history, taskQueue);
      expect(first.calls.length + second.calls.length).toBe(callsBefore);
    } finally {
      workerB.worker.shutdown();
      await workerB.running;
    }
  } finally {
    await connection.close();
  }
});
