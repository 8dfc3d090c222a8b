// A provider's requests_per_minute holds across workers: two workers polling OpenAI's queue together stay under
// it, measured by the request timestamps of a fake OpenAI server (on the suite's shared dev server).
import { Client, Connection } from '@temporalio/client';
import type { CompiledPipeline } from '../../src/compiler';
import { createModelCatalog, type ModelCatalog, type ProviderSettings } from '../../src/models/catalog';
import { LocalModelServer } from '../../src/models/local/local-server-process';
import { createModelResolver, type ModelResolver } from '../../src/models/registry';
import { createPipelineWorker, type PipelineWorker } from '../../src/worker/worker';
import { providerQueueFor } from '../../src/workflows/definitions';
import type { PipelineRunInput, RunResult } from '../../src/base/run-types';
import { compileYaml } from '../helpers/compile';
import { FakeOpenAIServer } from '../helpers/fake-openai';

const fake = new FakeOpenAIServer();
let baseUrl: string;
let connection: Connection;
const started: PipelineWorker[] = [];

beforeAll(async () => {
  fake.delayMs = 50;
  baseUrl = await fake.start();
  connection = await Connection.connect({ address: process.env.ORC_TEST_TEMPORAL_ADDRESS! });
});

afterAll(async () => {
  await Promise.all(started.map((worker) => worker.shutdown()));
  await connection?.close();
  await fake.stop();
});

/** Real OpenAI adapters pointed at the fake; `served` counts the calls this worker made. */
function countingModels(served: { calls: number }, catalog: ModelCatalog): ModelResolver {
  const models = createModelResolver({
    localServer: new LocalModelServer(),
    environment: { OPENAI_API_KEY: 'sk-test-rate-limits', OPENAI_BASE_URL: baseUrl },
    catalog,
  });
  return {
    resolve(spec) {
      const model = models.resolve(spec);
      return {
        id: model.id,
        provider: model.provider,
        generate: (request) => {
          served.calls++;
          return model.generate(request);
        },
      };
    },
  };
}

/** Two worker processes' worth of workers (same connection settings, separate Temporal workers) on one task queue. */
async function twoWorkers(taskQueue: string, openai: ProviderSettings | undefined): Promise<Array<{ calls: number }>> {
  const catalog = createModelCatalog(
    {
      'gpt-4o-mini': {
        provider: 'openai',
        model: 'gpt-4o-mini',
        capabilities: { tasks: ['general'], context_window: 128_000, structured_output: true },
        pricing: { input_per_1k: 0.00015, output_per_1k: 0.0006 },
      },
    },
    'rate-limits.test',
    openai ? { openai } : {},
  );
  const counters = [{ calls: 0 }, { calls: 0 }];
  for (const served of counters) {
    const worker = await createPipelineWorker({
      address: process.env.ORC_TEST_TEMPORAL_ADDRESS!,
      taskQueue,
      workflowsPath: require.resolve('../../src/workflows'),
      models: countingModels(served, catalog),
      catalog,
    });
    started.push(worker);
    void worker.run();
  }
  return counters;
}

function thirtySteps(name: string): CompiledPipeline {
  const steps = Array.from({ length: 30 }, (_, index) => `  - id: s${index}\n    action: "${name} question ${index}"\n`).join('');
  return compileYaml(`name: ${name}\nconfig: { model: gpt-4o-mini, max_parallel: 30 }\nsteps:\n${steps}`);
}

async function run(taskQueue: string, pipeline: CompiledPipeline): Promise<RunResult> {
  const client = new Client({ connection });
  const input: PipelineRunInput = { pipeline, inputs: {} };
  const handle = await client.workflow.start('pipelineWorkflow', { taskQueue, workflowId: `${taskQueue}-run`, args: [input] });
  return (await handle.result()) as RunResult;
}

/** The most requests that started within any window of `seconds` seconds. */
function busiestWindow(times: number[], seconds: number): number {
  let most = 0;
  for (let first = 0; first < times.length; first++) {
    let count = 0;
    for (let other = first; other < times.length && times[other]! - times[first]! < seconds * 1000; other++) count++;
    most = Math.max(most, count);
  }
  return most;
}

function startTimes(marker: string): number[] {
  return fake.calls
    .filter((call) => call.prompt.startsWith(marker))
    .map((call) => call.startedAt)
    .sort((first, second) => first - second);
}

test('with requests_per_minute: 60 and two workers, the provider sees at most ~1 request per second in total', async () => {
  const taskQueue = `rate-limited-${process.pid}`;
  const served = await twoWorkers(taskQueue, { rate_limits: { requests_per_minute: 60 } });
  expect(started.at(-1)!.taskQueues).toContain(providerQueueFor(taskQueue, 'openai'));

  const result = await run(taskQueue, thirtySteps('limited'));
  expect({ status: result.status, error: result.error }).toEqual({ status: 'completed', error: null });
  const times = startTimes('limited question');
  expect(times).toHaveLength(30);
  // Both workers called the provider: the limit is not one worker doing all the work at its own pace.
  expect(served[0]!.calls).toBeGreaterThan(0);
  expect(served[1]!.calls).toBeGreaterThan(0);
  expect(served[0]!.calls + served[1]!.calls).toBe(30);

  const overallRate = (times.length - 1) / ((times.at(-1)! - times[0]!) / 1000);
  const windows = Object.fromEntries([1, 2, 5, 10, 20].map((seconds) => [seconds, busiestWindow(times, seconds)]));
  // Shown on failure: how the requests were spread. The first two go together (the server's token bucket starts
  // full; seen: 0, 1, 936, 1936, ... ms), so a window of W seconds may hold W + 2.
  const spread = { overallRate: overallRate.toFixed(2), windows, served: served.map((counter) => counter.calls), offsets: times.map((time) => time - times[0]!) };
  expect({ ...spread, ok: overallRate <= 1.1 }).toEqual({ ...spread, ok: true });
  for (const [seconds, count] of Object.entries(windows)) {
    expect({ seconds, count, ok: count <= Number(seconds) + 2 }).toEqual({ seconds, count, ok: true });
  }
}, 120_000);

test('without rate limits the same run hits the provider many times a second (the measurement can tell)', async () => {
  const taskQueue = `unlimited-${process.pid}`;
  await twoWorkers(taskQueue, undefined);
  const result = await run(taskQueue, thirtySteps('unlimited'));
  expect(result.status).toBe('completed');
  const times = startTimes('unlimited question');
  expect(times).toHaveLength(30);
  expect(busiestWindow(times, 1)).toBeGreaterThan(5);
}, 120_000);
