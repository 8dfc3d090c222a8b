// run_code steps in real runs: the shared dev server, an in-process worker with its sandbox queue, real Docker.
import * as fs from 'node:fs';
import type { Orchestrator } from '../../src/client';
import { Client, Connection } from '@temporalio/client';
import { orcEnvironment, startOrc, waitFor } from '../helpers/cli';
import { compileYaml } from '../helpers/compile';
import { sandboxContainers } from '../helpers/sandbox';
import { sharedServerOrchestrator } from '../helpers/orchestrator';

const taskQueue = `run-code-test-${process.pid}`;
let orchestrator: Orchestrator;

beforeAll(async () => {
  orchestrator = sharedServerOrchestrator(taskQueue);
  await orchestrator.connect();
});

afterAll(async () => {
  await orchestrator?.close();
});

function containers(): string {
  return sandboxContainers(`${taskQueue}.sandbox`);
}

afterEach(() => {
  expect(containers()).toBe('');
});

test('a model writes code, run_code runs it, and a later step reads its stdout', async () => {
  // The echo model answers with its prompt, so the "model" writes exactly this program, fenced as models do.
  const result = await orchestrator.executeYaml(
    `
name: write_run_explain
config: { model: echo }
steps:
  - id: write
    action: |
      Here is the program:
      \`\`\`python
      import json
      print(json.dumps({"squares": [n * n for n in range(1, 6)]}))
      \`\`\`
  - id: run
    action: run_code
    parameters: { language: python, code: "{{ write.result }}" }
  - id: explain
    action: "The program printed {{ run.result.stdout }} and exited {{ run.result.exit_code }}"
outputs:
  stdout: "{{ run.result.stdout }}"
  explanation: "{{ explain.result }}"
`,
  );
  expect(result.status).toBe('completed');
  expect(result.steps.run).toMatchObject({ status: 'completed', model: null, error: null });
  expect(result.steps.run!.result).toMatchObject({ stdout: '{"squares": [1, 4, 9, 16, 25]}\n', stderr: '', exit_code: 0, timed_out: false, oom_killed: false });
  expect(result.outputs.explanation).toBe('The program printed {"squares": [1, 4, 9, 16, 25]}\n and exited 0');
});

test('the example pipelines/code_runner.yaml runs end to end with the local model', async () => {
  const inputs = JSON.parse(fs.readFileSync('pipelines/inputs/code_runner.json', 'utf8')) as Record<string, unknown>;
  const result = await orchestrator.executeYamlFile('pipelines/code_runner.yaml', inputs);
  expect(result.status).toBe('completed');
  expect(result.steps.write_code!.model).toMatch(/^local/);
  // Whatever the 135M model wrote was really run in the sandbox (allow_failure: a crash is explained too).
  const run = result.steps.run!.result as { exit_code: number; timed_out: boolean; duration_ms: number };
  expect(result.steps.run!.status).toBe('completed');
  expect(typeof run.exit_code).toBe('number');
  expect(run.timed_out).toBe(false);
  expect(run.duration_ms).toBeGreaterThan(0);
  expect(result.steps.explain!.model).toMatch(/^local/);
  expect(String(result.outputs.explanation).trim()).not.toBe('');
});

test('a non-zero exit fails the step with its stderr, and on_failure decides; allow_failure keeps it completed', async () => {
  const result = await orchestrator.executeYaml(
    `
name: exits
steps:
  - id: strict
    action: run_code
    on_failure: continue
    parameters: { language: python, code: "import sys\\nprint('partial')\\nsys.exit('bad input: 42')" }
  - id: lenient
    action: run_code
    parameters: { language: bash, code: "echo checked; exit 4", allow_failure: true }
  - id: after
    depends_on: [strict]
    action: run_code
    parameters: { language: javascript, code: "console.log('after ran')" }
`,
  );
  expect(result.status).toBe('partially_completed');
  expect(result.steps.strict!.status).toBe('failed');
  expect(result.steps.strict!.error).toBe("step 'strict': code exited with code 1: bad input: 42");
  // The failed step still shows what the program printed.
  expect(result.steps.strict!.result).toMatchObject({ stdout: 'partial\n', exit_code: 1 });
  expect(result.steps.lenient).toMatchObject({ status: 'completed', result: { stdout: 'checked\n', exit_code: 4 } });
  expect(result.steps.after).toMatchObject({ status: 'completed', result: { stdout: 'after ran\n' } });
});

test('input files go in and the files a program writes come back', async () => {
  const result = await orchestrator.executeYaml(
    `
name: files
inputs:
  rows: { type: string, default: "a,1\\nb,2\\nc,3" }
steps:
  - id: total
    action: run_code
    parameters:
      language: python
      files: { data.csv: "{{ rows }}" }
      code: |
        import csv
        total = sum(int(row[1]) for row in csv.reader(open("data.csv")))
        open("total.txt", "w").write(str(total))
        print("rows read")
outputs:
  total: "{{ total.result.files['total.txt'] }}"
`,
  );
  expect(result.status).toBe('completed');
  expect(result.outputs.total).toBe('6');
  expect(result.steps.total!.result).toMatchObject({ files: { 'total.txt': '6' } });
});

test('a timeout is a step failure that says so', async () => {
  const result = await orchestrator.executeYaml(
    `
name: slow
steps:
  - id: spin
    action: run_code
    parameters: { language: python, code: "while True: pass", timeout: 2 }
`,
  );
  expect(result.status).toBe('failed');
  expect(result.steps.spin!.error).toBe("step 'spin': code timed out after 2s");
  expect(result.steps.spin!.result).toMatchObject({ timed_out: true, exit_code: null });
});

test('a run cancelled while its container runs leaves no container behind', async () => {
  const { handle } = await orchestrator.start(
    compileYaml(`
name: cancelled
steps:
  - id: long
    action: run_code
    parameters: { language: python, code: "import time\\nprint('started', flush=True)\\ntime.sleep(120)", timeout: 200 }
`),
    {},
  );
  // Wait until the container is really running.
  for (let i = 0; i < 100 && !containers().includes('Up'); i++) await new Promise((resolve) => setTimeout(resolve, 200));
  expect(containers()).toMatch(/^orc-sandbox-long-\w+ Up/);
  await orchestrator.cancel(handle.workflowId);
  const result = await orchestrator.follow(handle);
  expect(result.status).toBe('cancelled');
  // The heartbeat carries the cancel to the activity within a few seconds; it removes the container.
  for (let i = 0; i < 50 && containers() !== ''; i++) await new Promise((resolve) => setTimeout(resolve, 200));
});

test('a dry run shows the code without running it', async () => {
  const result = await orchestrator.executeYaml(
    `
name: dry
steps:
  - id: run
    action: run_code
    parameters: { language: bash, code: "rm -rf /work/*" }
`,
    {},
    { dryRun: true },
  );
  expect(result.steps.run!.result).toMatchObject({ dry_run: true, code: 'rm -rf /work/*', stdout: '' });
});

test('a worker killed while its container runs: the container ends itself and is removed', async () => {
  const queue = `run-code-kill-${process.pid}`;
  const worker = startOrc(['worker'], orcEnvironment({ TEMPORAL_ADDRESS: process.env.ORC_TEST_TEMPORAL_ADDRESS, ORC_TASK_QUEUE: queue }));
  const connection = await Connection.connect({ address: process.env.ORC_TEST_TEMPORAL_ADDRESS! });
  try {
    const client = new Client({ connection });
    const pipeline = compileYaml(`
name: orphaned
steps:
  - id: sleepy
    action: run_code
    parameters: { language: python, code: "import time\\ntime.sleep(300)", timeout: 3 }
`);
    const handle = await client.workflow.start('pipelineWorkflow', { taskQueue: queue, workflowId: `${queue}-run`, args: [{ pipeline, inputs: {} }] });
    await waitFor(() => sandboxContainers(`${queue}.sandbox`).includes(' Up '), 60_000, 'the sandbox container to run');
    worker.kill('SIGKILL');
    await worker.done;
    // Nobody is left to kill it at its 3 s timeout: it ends itself after timeout + 20 s, and AutoRemove deletes it.
    await waitFor(() => sandboxContainers(`${queue}.sandbox`) === '', 60_000, 'the orphaned container to be gone');
    await handle.terminate('test over');
  } finally {
    await connection.close();
  }
});
