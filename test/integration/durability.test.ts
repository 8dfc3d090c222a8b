// Durable control with real processes: pause/resume from `orc` and the plain Temporal CLI; a worker killed
// with SIGKILL mid-run, and the dev server itself stopped and restarted on its SQLite file, lose nothing and
// re-run no completed step. ORC_CRASH_REPEAT=10 repeats each crash test (the suite runs each once).
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { statusQuery } from '../../src/workflows/definitions';
import type { PipelineRunInput, RunProgress, RunResult } from '../../src/base/run-types';
import { startDevServer, type DevServer } from '../../src/worker/dev-server';
import { temporalCliPath } from '../../src/base/paths';
import { orcEnvironment, runOrc, startOrc, waitFor } from '../helpers/cli';
import { compileYaml } from '../helpers/compile';
import { FakeOpenAIServer } from '../helpers/fake-openai';
import { freePort } from '../helpers/ports';

const repeat = Number(process.env.ORC_CRASH_REPEAT ?? 1);
const STEPS = ['one', 'two', 'three', 'four', 'five', 'six'];
const pipeline = compileYaml(`
name: six_steps
config: { model: "openai:fake-model", timeout: 4s, max_retries: 5 }
steps:
${STEPS.map((id, index) => `  - id: ${id}\n    action: "${id.toUpperCase()} step${index > 0 ? ` after {{ ${STEPS[index - 1]}.result }}` : ''}"\n`).join('')}
outputs:
  last: "{{ six.result }}"
`);
const expectedLast = STEPS.reduce((previous, id) => `done(${id.toUpperCase()} step${previous ? ` after ${previous}` : ''})`, '');

let dataDirectory: string;
let databaseFile: string;
let port: number;
let server: DevServer;
const fake = new FakeOpenAIServer();
let fakeUrl: string;

beforeAll(async () => {
  dataDirectory = fs.mkdtempSync(path.join(os.tmpdir(), 'orc-durability-'));
  databaseFile = path.join(dataDirectory, 'temporal.db');
  port = await freePort();
  server = await startDevServer({ port, ui: false, databaseFile, reuseExisting: false });
  fakeUrl = await fake.start();
});

afterAll(async () => {
  await server?.stop();
  await fake.stop();
  fs.rmSync(dataDirectory, { recursive: true, force: true });
});

function workerEnvironment(taskQueue: string): NodeJS.ProcessEnv {
  return orcEnvironment({
    TEMPORAL_ADDRESS: `127.0.0.1:${port}`,
    ORC_TASK_QUEUE: taskQueue,
    OPENAI_API_KEY: 'sk-test-durability',
    OPENAI_BASE_URL: fakeUrl,
    ORC_DATA_DIR: dataDirectory,
  });
}

async function withClient<T>(use: (client: Client) => Promise<T>): Promise<T> {
  const connection = await Connection.connect({ address: `127.0.0.1:${port}` });
  try {
    return await use(new Client({ connection }));
  } finally {
    await connection.close();
  }
}

async function startRun(client: Client, taskQueue: string, runId: string) {
  const input: PipelineRunInput = { pipeline, inputs: {} };
  return client.workflow.start('pipelineWorkflow', { taskQueue, workflowId: runId, args: [input] });
}

function completedSteps(progress: RunProgress): string[] {
  return Object.entries(progress.steps)
    .filter(([, step]) => step.status === 'completed')
    .map(([id]) => id);
}

test('orc pause holds a 6-step run (nothing new starts for 10 s); `temporal workflow signal --name resume` resumes it', async () => {
  const taskQueue = `pause-${Date.now()}`;
  const environment = workerEnvironment(taskQueue);
  const worker = startOrc(['worker'], environment);
  // Slow enough steps (6 × 2 s) that `orc pause`, a new node process, lands mid-run even on a loaded machine.
  const savedDelay = fake.delayMs;
  fake.delayMs = 2000;
  try {
    await withClient(async (client) => {
      const handle = await startRun(client, taskQueue, taskQueue);
      await waitFor(() => fake.calls.some((call) => call.prompt === 'ONE step'), 30_000, 'the first step');
      const paused = await runOrc(['pause', taskQueue], environment);
      expect(paused.code).toBe(0);
      const callsAtPause = fake.calls.length;
      const status = JSON.parse((await runOrc(['status', taskQueue, '--json'], environment)).stdout) as RunProgress;
      expect(status.paused).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 10_000));
      // At most the step already running when the pause arrived finished; nothing new started.
      expect(fake.calls.length).toBe(callsAtPause);
      const held = await handle.query(statusQuery);
      expect(held.status).toBe('paused');
      expect(held.running).toEqual([]);
      expect(Object.values(held.steps).some((step) => step.status === 'pending')).toBe(true);
      execFileSync(temporalCliPath(), ['workflow', 'signal', '--workflow-id', taskQueue, '--name', 'resume', '--address', `127.0.0.1:${port}`]);
      const result = (await handle.result()) as RunResult;
      expect(result.status).toBe('completed');
      expect(result.outputs.last).toBe(expectedLast);
    });
  } finally {
    fake.delayMs = savedDelay;
    worker.kill('SIGINT');
    await worker.done;
  }
}, 120_000);

test('orc cancel stops a run: the running step\'s request is aborted, finished results are kept', async () => {
  const taskQueue = `cancel-${Date.now()}`;
  const environment = workerEnvironment(taskQueue);
  fake.calls.length = 0;
  fake.delayFor = (prompt) => (prompt === 'ONE step' ? 200 : 30_000);
  const slow = compileYaml(`
name: cancellable
config: { model: "openai:fake-model", timeout: 60s }
steps:
  - id: one
    action: ONE step
  - id: two
    action: "TWO step after {{ one.result }}"
  - id: three
    action: "THREE step after {{ two.result }}"
`);
  const worker = startOrc(['worker'], environment);
  try {
    await withClient(async (client) => {
      const input: PipelineRunInput = { pipeline: slow, inputs: {} };
      const handle = await client.workflow.start('pipelineWorkflow', { taskQueue, workflowId: taskQueue, args: [input] });
      await waitFor(() => fake.calls.length >= 2, 60_000, 'the second step to call its model');
      const cancelled = await runOrc(['cancel', taskQueue], environment);
      expect(cancelled.code).toBe(0);
      const result = (await handle.result()) as RunResult;
      expect(result.status).toBe('cancelled');
      expect(result.steps.one).toMatchObject({ status: 'completed', result: 'done(ONE step)' });
      expect(result.steps.two!.status).toBe('cancelled');
      expect(result.steps.three!.status).toBe('skipped');
      // The step's activity heartbeats, so the cancel reaches it and aborts its HTTP request at once.
      await waitFor(() => fake.calls[1]!.aborted === true, 10_000, 'the in-flight request to be aborted');
      expect(fake.calls).toHaveLength(2);
    });
  } finally {
    fake.delayFor = undefined;
    worker.kill('SIGINT');
    await worker.done;
  }
}, 120_000);

for (let iteration = 1; iteration <= repeat; iteration++) {
  test(`a worker killed with SIGKILL mid-run: a new worker finishes it with the same outputs, no completed step runs again (${iteration}/${repeat})`, async () => {
    const taskQueue = `kill-worker-${Date.now()}`;
    const environment = workerEnvironment(taskQueue);
    fake.calls.length = 0;
    await withClient(async (client) => {
      const first = startOrc(['worker'], environment);
      const handle = await startRun(client, taskQueue, taskQueue);
      let doneBeforeKill: string[] = [];
      await waitFor(() => fake.calls.length >= 3, 60_000, 'three model calls');
      doneBeforeKill = completedSteps(await handle.query(statusQuery));
      first.kill('SIGKILL');
      await first.done;
      expect(doneBeforeKill.length).toBeGreaterThanOrEqual(1);
      const second = startOrc(['worker'], environment);
      try {
        const result = (await handle.result()) as RunResult;
        expect(result.status).toBe('completed');
        expect(result.outputs.last).toBe(expectedLast);
        for (const step of doneBeforeKill) expect(fake.callsFor(promptOf(step))).toHaveLength(1);
      } finally {
        second.kill('SIGINT');
        await second.done;
      }
    });
  }, 180_000);
}

for (let iteration = 1; iteration <= repeat; iteration++) {
  test(`the dev server stopped and restarted on its SQLite file mid-run: the run completes, no completed step runs again (${iteration}/${repeat})`, async () => {
    const taskQueue = `restart-server-${Date.now()}`;
    const environment = workerEnvironment(taskQueue);
    fake.calls.length = 0;
    const worker = startOrc(['worker'], environment);
    try {
      const { handle, doneBeforeStop } = await withClient(async (client) => {
        const started = await startRun(client, taskQueue, taskQueue);
        await waitFor(() => fake.calls.length >= 3, 60_000, 'three model calls');
        return { handle: started, doneBeforeStop: completedSteps(await started.query(statusQuery)) };
      });
      void handle;
      await server.stop();
      server = await startDevServer({ port, ui: false, databaseFile, reuseExisting: false });
      const result = await withClient(async (client) => (await client.workflow.getHandle(taskQueue).result()) as RunResult);
      expect(result.status).toBe('completed');
      expect(result.outputs.last).toBe(expectedLast);
      expect(doneBeforeStop.length).toBeGreaterThanOrEqual(1);
      for (const step of doneBeforeStop) expect(fake.callsFor(promptOf(step))).toHaveLength(1);
      // The worker held an API key in its environment; none of it reached the run's history.
      const raw = await withClient(async (client) => JSON.stringify(await client.workflow.getHandle(taskQueue).fetchHistory()));
      // Payloads are base64 in a fetched history: decode them so the check sees every input, result and memo.
      const history = raw.replace(/"data":"([A-Za-z0-9+/=]+)"/g, (_match, data: string) => Buffer.from(data, 'base64').toString('utf8'));
      expect(history).toContain('SIX step');
      expect(history).not.toContain('sk-test-durability');
    } finally {
      worker.kill('SIGINT');
      await worker.done;
    }
  }, 180_000);
}

/** The exact prompt a step of the six-step chain sends. */
function promptOf(step: string): string {
  const index = STEPS.indexOf(step);
  const previous = STEPS.slice(0, index).reduce((text, id) => `done(${id.toUpperCase()} step${text ? ` after ${text}` : ''})`, '');
  return `${step.toUpperCase()} step${index > 0 ? ` after ${previous}` : ''}`;
}
