// With several workers, a run's file steps see the same files because the workspace is a shared volume (here one
// folder both workers mount, as docker-compose.yml mounts one volume into every worker): a file written by a step
// on one worker is read by the next step on another, after the first worker is gone.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Orchestrator } from '../../src/client';
import { createPipelineWorker } from '../../src/worker/worker';
import { compileToolYaml } from '../helpers/tool-pipelines';

const address = process.env.ORC_TEST_TEMPORAL_ADDRESS!;
const taskQueue = `tools-two-workers-${process.pid}`;

test('a file written on worker A is read on worker B, which takes over after A stops', async () => {
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'orc-shared-volume-'));
  const client = new Orchestrator({ address, taskQueue, worker: false });
  const workflowsPath = require.resolve('../../src/workflows');
  const first = await createPipelineWorker({ address, taskQueue, workflowsPath });
  const firstRunning = first.run();
  let second: Awaited<ReturnType<typeof createPipelineWorker>> | undefined;
  try {
    const { handle } = await client.start(
      compileToolYaml(`
name: hand_over
steps:
  - id: write
    tool: filesystem
    action: write
    parameters: { path: shared/hand-over.txt, content: "written before the hand-over" }
  # Holds the run between the two file steps while worker A stops and worker B starts.
  - id: hold
    tool: user-prompt
    action: execute
    parameters: { prompt: "go on?" }
    depends_on: [write]
  - id: read
    tool: filesystem
    action: read
    parameters: { path: shared/hand-over.txt }
    depends_on: [hold]
`),
      {},
      { workspace },
    );
    for (;;) {
      const progress = await client.status(handle.workflowId);
      if (progress.waiting.some((each) => each.step === 'hold')) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect((await client.status(handle.workflowId)).steps.write!.status).toBe('completed');
    await first.shutdown();
    await firstRunning;
    second = await createPipelineWorker({ address, taskQueue, workflowsPath });
    const secondRunning = second.run();
    await client.answer(handle.workflowId, { step: 'hold', value: 'yes' });
    const result = await client.follow(handle);
    expect(result.status).toBe('completed');
    expect(result.steps.read!.result).toMatchObject({ content: 'written before the hand-over', path: 'shared/hand-over.txt' });
    expect(result.files).toEqual(['shared/hand-over.txt']);
    await second.shutdown();
    await secondRunning;
  } finally {
    if (first.worker.getState() === 'RUNNING') await first.shutdown();
    if (second?.worker.getState() === 'RUNNING') await second.shutdown();
    await client.close();
  }
});
