// Worker Versioning (spec section 16) on the dev server setup installs, through `orc worker --deployment
// --build-id` processes and `orc deploy promote`: build A starts a run that waits on an approval; build B, promoted,
// gets only new runs; the old run finishes on A after its approval; with A's worker killed an old run waits, and
// B (polling the same task queue all along) never runs it.
import type { temporal } from '@temporalio/proto';
import * as path from 'node:path';
import { compilePipelineFile, Orchestrator, type RunResult } from '../../src/client';
import { orcEnvironment, runOrc, startOrc } from '../helpers/cli';

const address = process.env.ORC_TEST_TEMPORAL_ADDRESS!;
const taskQueue = `versioning-${process.pid}`;
const deployment = `orc-test-${process.pid}`;
const environment = orcEnvironment({ TEMPORAL_ADDRESS: address, ORC_TASK_QUEUE: taskQueue });
const workers: Array<ReturnType<typeof startOrc>> = [];
let orchestrator: Orchestrator;

function startWorker(buildId: string): ReturnType<typeof startOrc> {
  const worker = startOrc(['worker', '--deployment', deployment, '--build-id', buildId], environment);
  workers.push(worker);
  return worker;
}

/** The server knows a build once its worker has polled: promote as soon as it does. */
async function promoteOnceKnown(buildId: string, extra: string[] = []): Promise<string> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const promoted = await runOrc(['deploy', 'promote', '--deployment', deployment, '--build-id', buildId, ...extra], environment);
    if (promoted.code === 0) return promoted.stdout;
    if (Date.now() > deadline) throw new Error(`could not promote ${buildId}: ${promoted.stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

async function waitingOnApproval(runId: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const progress = await orchestrator.status(runId).catch(() => null);
    if (progress?.waiting.some((waiting) => waiting.step === 'gate')) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${runId} to wait on its approval`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** The build id of every completed workflow task of a run, in order. */
async function buildsOfTasks(runId: string): Promise<string[]> {
  const history = await (await orchestrator.connect()).workflow.getHandle(runId).fetchHistory();
  return ((history.events ?? []) as temporal.api.history.v1.IHistoryEvent[])
    .map((event) => event.workflowTaskCompletedEventAttributes)
    .filter((completed) => completed !== null && completed !== undefined)
    .map((completed) => completed.deploymentVersion?.buildId ?? completed.workerVersion?.buildId ?? '(unversioned)');
}

beforeAll(async () => {
  orchestrator = new Orchestrator({ address, taskQueue, worker: false });
  await orchestrator.connect();
});

afterAll(async () => {
  for (const worker of workers) if (worker.exitCode === null) worker.kill('SIGKILL');
  await orchestrator?.close();
});

test('runs stay on the build that started them; a promoted build takes only new runs; with A gone its run waits', async () => {
  const compiled = compilePipelineFile(path.join('test', 'fixtures', 'cli', 'gated.yaml'));
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.diagnostics));
  const pipeline = compiled.pipeline;

  const workerA = startWorker('build-a');
  expect(await promoteOnceKnown('build-a')).toBe(`deploy: build build-a of ${deployment} is current: new runs start on it; open runs stay on their build\n`);
  const first = await orchestrator.start(pipeline, {}, { runId: `versioned-first-${process.pid}` });
  const second = await orchestrator.start(pipeline, {}, { runId: `versioned-second-${process.pid}` });
  await waitingOnApproval(first.handle.workflowId);
  await waitingOnApproval(second.handle.workflowId);

  startWorker('build-b');
  await promoteOnceKnown('build-b');
  const third = await orchestrator.start(pipeline, {}, { runId: `versioned-third-${process.pid}` });
  await waitingOnApproval(third.handle.workflowId);
  const status = await runOrc(['status', first.handle.workflowId], environment);
  expect(status.stdout).toContain(`  build: build-a of ${deployment} (pinned)\n`);
  expect((await runOrc(['status', third.handle.workflowId], environment)).stdout).toContain(`  build: build-b of ${deployment} (pinned)\n`);
  const deployState = await runOrc(['deploy', 'status', '--deployment', deployment], environment);
  expect(deployState.stdout).toMatch(new RegExp(`^${deployment}: current build-b\\n`));
  expect(deployState.stdout).toMatch(/ {2}build-a: draining/);

  // The old run, approved after B took over, finishes on A.
  await orchestrator.approve(first.handle.workflowId, { step: 'gate', approved: true, by: 'tester' });
  expect(((await first.handle.result()) as RunResult).status).toBe('completed');
  expect(new Set(await buildsOfTasks(first.handle.workflowId))).toEqual(new Set(['build-a']));
  await orchestrator.approve(third.handle.workflowId, { step: 'gate', approved: true, by: 'tester' });
  expect(((await third.handle.result()) as RunResult).status).toBe('completed');
  expect(new Set(await buildsOfTasks(third.handle.workflowId))).toEqual(new Set(['build-b']));

  // A is killed: the second run's approval is accepted by nobody; B, polling the same queue, never runs it.
  workerA.kill('SIGKILL');
  await workerA.done;
  const tasksBefore = await buildsOfTasks(second.handle.workflowId);
  const approval = orchestrator.approve(second.handle.workflowId, { step: 'gate', approved: true, by: 'tester' });
  approval.catch(() => undefined);
  await new Promise((resolve) => setTimeout(resolve, 15_000));
  const description = await second.handle.describe();
  expect(description.status.name).toBe('RUNNING');
  expect(await buildsOfTasks(second.handle.workflowId)).toEqual(tasksBefore);
  expect(tasksBefore.every((build) => build === 'build-a')).toBe(true);

  // A comes back: the approval lands and the run finishes, on A.
  startWorker('build-a');
  // The client may have given up on the first approval while nobody could take it: then approve again.
  await approval.catch(() => orchestrator.approve(second.handle.workflowId, { step: 'gate', approved: true, by: 'tester' }));
  expect(((await second.handle.result()) as RunResult).status).toBe('completed');
  expect(new Set(await buildsOfTasks(second.handle.workflowId))).toEqual(new Set(['build-a']));
}, 300_000);
