// A loop over a block of steps survives its worker being killed with SIGKILL mid-loop: a new `orc worker` process
// finishes the loop, and no iteration step that had finished calls its model again.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { CompiledPipeline, CompiledStep } from '../../src/compiler';
import { statusQuery } from '../../src/workflows/definitions';
import type { PipelineRunInput, RunProgress, RunResult } from '../../src/base/run-types';
import { orcEnvironment, startOrc, waitFor } from '../helpers/cli';
import { compileYaml } from '../helpers/compile';
import { FakeOpenAIServer } from '../helpers/fake-openai';

const fake = new FakeOpenAIServer();
let fakeUrl: string;
let dataDirectory: string;
let connection: Connection;
let client: Client;

beforeAll(async () => {
  dataDirectory = fs.mkdtempSync(path.join(os.tmpdir(), 'orc-loop-durability-'));
  fakeUrl = await fake.start();
  connection = await Connection.connect({ address: process.env.ORC_TEST_TEMPORAL_ADDRESS! });
  client = new Client({ connection });
});

afterAll(async () => {
  await connection?.close();
  await fake.stop();
  fs.rmSync(dataDirectory, { recursive: true, force: true });
});

/** A for_each over eight items whose block is two steps: WORK the item, then CHECK the work. */
function loopPipeline(): CompiledPipeline {
  const base = compileYaml(`
name: durable_loop
config: { model: "openai:fake-model", timeout: 4s, max_retries: 5 }
steps:
  - id: work
    action: "WORK it"
  - id: check
    action: "CHECK {{ work.result }}"
`);
  const [compiledWork, check] = base.steps as [CompiledStep, CompiledStep];
  // `item` is only for for_each steps in the native compiler's eyes: the block's first step reads it here.
  const work: CompiledStep = { ...compiledWork, action: 'WORK {{ item }}' };
  const loop: CompiledStep = {
    ...work,
    id: 'each',
    actionKind: 'loop',
    action: 'loop',
    references: [],
    dependsOn: [],
    loop: { kind: 'for_each', items: Array.from({ length: 8 }, (_, i) => `item${i}`), condition: null, maxIterations: 10, maxParallel: 1, steps: [work, check] },
  };
  return { ...base, steps: [loop], levels: [['each']] };
}

test('a worker killed with SIGKILL in the middle of a loop: a new worker finishes it, no finished iteration step runs again', async () => {
  const taskQueue = `loop-kill-${Date.now()}`;
  const environment = orcEnvironment({
    TEMPORAL_ADDRESS: process.env.ORC_TEST_TEMPORAL_ADDRESS,
    ORC_TASK_QUEUE: taskQueue,
    OPENAI_API_KEY: 'sk-test-loop-durability',
    OPENAI_BASE_URL: fakeUrl,
    ORC_DATA_DIR: dataDirectory,
  });
  fake.delayMs = 400;
  const input: PipelineRunInput = { pipeline: loopPipeline(), inputs: {} };
  const first = startOrc(['worker'], environment);
  const handle = await client.workflow.start('pipelineWorkflow', { taskQueue, workflowId: taskQueue, args: [input] });
  await waitFor(() => fake.calls.length >= 6, 90_000, 'six model calls');
  const before = await handle.query(statusQuery);
  first.kill('SIGKILL');
  await first.done;
  const finished = Object.entries((before as RunProgress).steps).filter(([id, step]) => id.startsWith('each_') && step.status === 'completed');
  expect(finished.length).toBeGreaterThanOrEqual(3);

  const second = startOrc(['worker'], environment);
  try {
    const result = (await handle.result()) as RunResult;
    expect(result.status).toBe('completed');
    expect(result.steps.each!.result).toMatchObject({ iterations: 8, completed: true });
    expect(result.steps.each_7_check!.result).toBe('done(CHECK done(WORK item7))');
    // Each step that had finished before the kill called its model exactly once over the whole run.
    for (const [, step] of finished) {
      const prompt = (step.result as string).replace(/^done\((.*)\)$/, '$1');
      expect(fake.callsFor(prompt)).toHaveLength(1);
    }
    for (let i = 0; i < 8; i++) expect(fake.callsFor(`WORK item${i}`).length).toBeGreaterThanOrEqual(1);
  } finally {
    second.kill('SIGINT');
    await second.done;
  }
}, 240_000);
