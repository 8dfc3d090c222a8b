// Commands that drive runs from another process, on real Temporal servers: `orc pause` / `orc resume` of a run,
// `orc server` serving its Web UI and running a pipeline `orc run` starts, and an AUTO value taken from the cache.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { compilePipelineFile, type Orchestrator, type RunProgress, type RunResult } from '../../src/client';
import { orcEnvironment, runOrc, startOrc, waitFor } from '../helpers/cli';
import { sharedServerOrchestrator } from '../helpers/orchestrator';
import { freePort } from '../helpers/ports';

const taskQueue = `cli-control-${process.pid}`;
let orchestrator: Orchestrator;

beforeAll(async () => {
  orchestrator = sharedServerOrchestrator(taskQueue);
  await orchestrator.connect();
});

afterAll(async () => {
  await orchestrator?.close();
});

async function until(runId: string, check: (progress: RunProgress) => boolean, what: string): Promise<RunProgress> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const progress = await orchestrator.status(runId);
    if (check(progress)) return progress;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(progress)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

test('orc pause holds a run after its approval; orc resume lets it finish', async () => {
  const compiled = compilePipelineFile(path.join('test', 'fixtures', 'cli', 'gated.yaml'));
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.diagnostics));
  const runId = `gated-${Date.now()}`;
  const { handle } = await orchestrator.start(compiled.pipeline, {}, { runId });
  const environment = orcEnvironment({ TEMPORAL_ADDRESS: process.env.ORC_TEST_TEMPORAL_ADDRESS });
  await until(runId, (progress) => progress.waiting.some((waiting) => waiting.step === 'gate'), 'the approval to wait');

  expect(await runOrc(['pause', runId], environment)).toMatchObject({ code: 0, stdout: `pause: sent to ${runId}\n` });
  await until(runId, (progress) => progress.paused, 'the pause');
  expect((await runOrc(['approve', runId, 'gate', '--by', 'tester'], environment)).code).toBe(0);
  // Approved while paused: the gate completes, and the step after it does not start.
  const held = await until(runId, (progress) => progress.steps.gate?.status === 'completed', 'the gate to complete');
  expect(held.paused).toBe(true);
  expect(held.steps.after?.status).toBe('pending');
  const status = await runOrc(['status', runId], environment);
  expect(status.stdout).toContain(`${runId}: paused\n  gate: completed`);

  expect(await runOrc(['resume', runId], environment)).toMatchObject({ code: 0, stdout: `resume: sent to ${runId}\n` });
  const result = (await handle.result()) as RunResult;
  expect(result.status).toBe('completed');
  expect(result.steps.after?.status).toBe('completed');
  expect(result.outputs.said).toBe('After the gate');
});

test('an AUTO value asked again with the same model, prompt and schema comes from the cache', async () => {
  const marker = `cache check ${process.pid}-${Date.now()}`;
  const yaml = `
name: auto_cached
description: "${marker}"
config: { model: echo, auto_model: local }
steps:
  - id: pick
    action: "Say a number"
    parameters:
      count: <AUTO type="integer" min="1" max="5">How many items to list</AUTO>
`;
  const first = await orchestrator.executeYaml(yaml);
  const second = await orchestrator.executeYaml(yaml);
  expect(first.status).toBe('completed');
  expect(second.status).toBe('completed');
  const [asked] = first.auto_resolutions;
  const [reused] = second.auto_resolutions;
  expect(asked).toMatchObject({ path: 'steps.pick.parameters.count', model: 'local:smollm2-135m' });
  expect(asked!.cached).toBeUndefined();
  expect(reused).toMatchObject({ path: 'steps.pick.parameters.count', model: 'local:smollm2-135m', cached: true, value: asked!.value });
  // A cache hit asks no model: the run spends tokens on its step only, where the first run also paid for the tag.
  expect(first.usage.input_tokens).toBeGreaterThan(first.steps.pick!.usage.input_tokens);
  expect(second.usage).toEqual(second.steps.pick!.usage);
});

test('orc server serves the Web UI and runs a pipeline that orc run starts from another process', async () => {
  let port = await freePort();
  // The Web UI listens on the gRPC port + 1000: both must be free.
  while (port + 1000 > 65535 || !(await isFree(port + 1000))) port = await freePort();
  const dataDirectory = fs.mkdtempSync(path.join(os.tmpdir(), 'orc-server-'));
  const server = startOrc(['server'], orcEnvironment({ ORC_DEV_SERVER_PORT: String(port), ORC_DATA_DIR: dataDirectory }));
  try {
    await waitFor(() => server.output.stderr.includes('Worker polling') || server.exitCode !== null, 90_000, 'orc server to start');
    expect(server.output.stderr).toContain(`Temporal server on 127.0.0.1:${port}`);
    const ui = await fetch(`http://127.0.0.1:${port + 1000}/`);
    expect(ui.status).toBe(200);
    expect(await ui.text()).toMatch(/<html/i);

    const run = await runOrc(['run', 'pipelines/summarize.yaml', '-i', 'text=hello from another process', '--dry-run', '--json'], orcEnvironment({ TEMPORAL_ADDRESS: `127.0.0.1:${port}` }));
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as RunResult;
    expect(result.status).toBe('completed');
    expect(JSON.stringify(result.steps.summary?.result)).toContain('hello from another process');
  } finally {
    server.kill('SIGINT');
    const closed = await server.done;
    fs.rmSync(dataDirectory, { recursive: true, force: true });
    expect(closed.code).toBe(0);
  }
});

async function isFree(port: number): Promise<boolean> {
  const net = await import('node:net');
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

test('orc status on a run no worker serves says so after ORC_STATUS_WAIT_S, from the server records, and which worker to start', async () => {
  const client = await orchestrator.connect();
  const runId = `unserved-${process.pid}-${Date.now()}`;
  // A run on a task queue no worker polls: its status query can never be answered.
  const handle = await client.workflow.start('pipelineWorkflow', { taskQueue: `nobody-${process.pid}`, workflowId: runId, args: [{}] });
  try {
    const environment = orcEnvironment({ TEMPORAL_ADDRESS: process.env.ORC_TEST_TEMPORAL_ADDRESS, ORC_STATUS_WAIT_S: '2' });
    const status = await runOrc(['status', runId], environment);
    expect(status).toMatchObject({ code: 0, stderr: '' });
    expect(status.stdout).toContain(`${runId}: running (from the server's records: no worker answered in 2 s)\n`);
    expect(status.stdout).toContain("no worker of the run's task queue is polling: start one with orc worker");
    const json = JSON.parse((await runOrc(['status', runId, '--json'], environment)).stdout) as Record<string, unknown>;
    expect(json).toMatchObject({ run_id: runId, status: 'running', answered_by: 'server', waited_ms: 2000, pending_activities: [] });
  } finally {
    await handle.terminate('test over');
  }
}, 60_000);
