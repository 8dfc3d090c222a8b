// `orc replay` (spec section 16) on real runs of the shared dev server: this build replays them all; a workflow
// change without patched() (a timer before the `draft` step) is caught in a finished run and in one paused
// mid-way, naming the run, the step and the event; the same change under patched() passes. Then 200 finished runs.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { compilePipelineFile, type Orchestrator, type RunProgress, type RunResult } from '../../src/client';
import { compileYaml } from '../helpers/compile';
import { orcEnvironment, runOrc, type CommandResult } from '../helpers/cli';
import { sharedServerOrchestrator } from '../helpers/orchestrator';

const taskQueue = `replay-${process.pid}`;
const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'orc-replay-'));
const environment = orcEnvironment({ TEMPORAL_ADDRESS: process.env.ORC_TEST_TEMPORAL_ADDRESS });
let orchestrator: Orchestrator;

beforeAll(async () => {
  orchestrator = sharedServerOrchestrator(taskQueue);
  await orchestrator.connect();
});

afterAll(async () => {
  await orchestrator?.close();
  fs.rmSync(directory, { recursive: true, force: true });
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

/** This build's workflow with a workflow interceptor module added (test/fixtures/workflows), written to a file. */
async function variantBundle(module: string): Promise<string> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../../src/workflows'),
    workflowInterceptorModules: [require.resolve(`../fixtures/workflows/${module}`)],
    logger: new DefaultLogger('WARN'),
  });
  const file = path.join(directory, `${module}.js`);
  fs.writeFileSync(file, code);
  return file;
}

function replay(args: string[]): Promise<CommandResult> {
  return runOrc(['replay', ...args], environment);
}

test('orc replay: this build passes; an unpatched change names the run, the step and the event; patched, it passes', async () => {
  const compiled = compilePipelineFile(path.join('test', 'fixtures', 'replay', 'drafted.yaml'));
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.diagnostics));
  const finishedId = `drafted-finished-${process.pid}`;
  const pausedId = `drafted-paused-${process.pid}`;
  const finished = await orchestrator.start(compiled.pipeline, { topic: 'tides' }, { runId: finishedId });
  const paused = await orchestrator.start(compiled.pipeline, { topic: 'moons' }, { runId: pausedId });
  await until(finishedId, (progress) => progress.waiting.length > 0, 'the first approval');
  await orchestrator.approve(finishedId, { step: 'gate', approved: true, by: 'tester' });
  expect(((await finished.handle.result()) as RunResult).status).toBe('completed');
  // Paused mid-way: approved while paused, so the draft and the gate are done and `publish` has not started.
  await until(pausedId, (progress) => progress.waiting.length > 0, 'the second approval');
  expect((await runOrc(['pause', pausedId], environment)).code).toBe(0);
  await until(pausedId, (progress) => progress.paused, 'the pause');
  await orchestrator.approve(pausedId, { step: 'gate', approved: true, by: 'tester' });
  const held = await until(pausedId, (progress) => progress.steps.gate?.status === 'completed', 'the gate');
  expect(held.steps.publish?.status).toBe('pending');

  const query = ['--query', `TaskQueue = '${taskQueue}'`];
  const current = await replay(query);
  expect(current.stderr).toBe('');
  expect(current.code).toBe(0);
  expect(current.stdout).toContain(`ok      ${finishedId}\n`);
  expect(current.stdout).toContain(`ok      ${pausedId}\n`);
  expect(current.stdout).toMatch(/replayed 2 run\(s\) in [\d.]+ s \([\d.]+ runs\/s\): 2 ok, 0 failed\n$/);

  const [unpatched, guarded] = await Promise.all([variantBundle('wait-before-draft'), variantBundle('wait-before-draft-patched')]);
  const caught = await replay([...query, '--workflow-bundle', unpatched]);
  expect(caught.code).toBe(1);
  for (const runId of [finishedId, pausedId]) {
    expect(caught.stdout).toMatch(new RegExp(`^FAILED  ${runId}: step 'draft', event \\d+ ActivityTaskScheduled \\(executeLlmStep\\): .*[Nn]ondeterminism`, 'm'));
  }
  expect(caught.stdout).toContain('0 ok, 2 failed');

  const passed = await replay([...query, '--workflow-bundle', guarded]);
  expect(passed.code).toBe(0);
  expect(passed.stdout).toContain('2 ok, 0 failed');

  // The paused run still finishes on this build.
  expect((await runOrc(['resume', pausedId], environment)).code).toBe(0);
  expect(((await paused.handle.result()) as RunResult).outputs.said).toContain('moons');
  process.stdout.write(`orc replay (2 runs): ${current.stdout.split('\n').at(-2)}\n`);
}, 300_000);

test('orc replay exits 0 on 200 finished runs, and --history replays files', async () => {
  const queue = `replay-many-${process.pid}`;
  const many = sharedServerOrchestrator(queue);
  try {
    const pipeline = compileYaml(`
name: replay_many
inputs:
  n: { type: integer, required: true }
steps:
  - id: first
    action: "Item {{ n }}"
    model: echo
  - id: second
    action: "Then {{ first.result }}"
    model: echo
`);
    const results = await Promise.all(Array.from({ length: 200 }, (_, n) => many.execute(pipeline, { n }, { runId: `replay-many-${process.pid}-${n}` })));
    expect(results.every((result) => result.status === 'completed')).toBe(true);
    const output = await replay(['--query', `TaskQueue = '${queue}'`, '--limit', '200']);
    expect(output.code).toBe(0);
    expect(output.stdout.match(/^ok {6}replay-many-/gm)).toHaveLength(200);
    expect(output.stdout).toContain('200 ok, 0 failed');
    process.stdout.write(`orc replay (200 finished runs): ${output.stdout.split('\n').at(-2)}\n`);

    const historyFile = path.join(directory, 'one.json');
    const history = await (await many.connect()).workflow.getHandle(`replay-many-${process.pid}-0`).fetchHistory();
    fs.writeFileSync(historyFile, historyToJSON(history));
    const fromFile = await replay(['--history', historyFile]);
    expect(fromFile.code).toBe(0);
    expect(fromFile.stdout).toContain('ok      one\n');
  } finally {
    await many.close();
  }
}, 600_000);
