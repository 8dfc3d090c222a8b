// terminal and python-executor in real runs: the run_code sandbox (real Docker), no network for the program, and
// workspace files handed in by name.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Orchestrator } from '../../src/client';
import { sharedServerOrchestrator } from '../helpers/orchestrator';
import { sandboxContainers } from '../helpers/sandbox';
import { compileToolYaml } from '../helpers/tool-pipelines';

const taskQueue = `tools-sandbox-${process.pid}`;
let orchestrator: Orchestrator;
let workspace: string;

beforeAll(async () => {
  delete process.env.ORC_SANDBOX_NETWORK;
  orchestrator = sharedServerOrchestrator(taskQueue);
  await orchestrator.connect();
  workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'orc-workspace-'));
  fs.writeFileSync(path.join(workspace, 'numbers.txt'), '3\n4\n5\n');
});

afterAll(async () => {
  await orchestrator?.close();
});

afterEach(() => {
  // Every container the tools started is gone when their step ends.
  expect(sandboxContainers(taskQueue)).toBe('');
});

test('python-executor runs a program on workspace files and has no network; terminal runs a command', async () => {
  const result = await orchestrator.execute(
    compileToolYaml(`
name: sandboxed
steps:
  - id: sum
    tool: python-executor
    action: execute
    parameters:
      input_files: [numbers.txt]
      code: |
        print(sum(int(line) for line in open("numbers.txt")))
  - id: offline
    tool: python-executor
    action: execute
    parameters:
      code: |
        import os, socket
        print("interfaces:", sorted(os.listdir("/sys/class/net")))
        try:
            socket.create_connection(("1.1.1.1", 53), timeout=5)
            print("connected")
        except OSError as error:
            print("no connection:", error.errno)
  - id: shell
    tool: terminal
    action: execute
    parameters: { command: "!echo {{ sum.stdout | trim }} squared is $(( {{ sum.stdout | trim }} * {{ sum.stdout | trim }} ))" }
  - id: failing
    tool: terminal
    action: execute
    parameters: { command: "echo oops >&2; exit 3" }
  - id: wants_network
    tool: python-executor
    action: execute
    parameters: { code: "print(1)", network: true }
    on_failure: continue
`),
    {},
    { workspace },
  );
  expect(result.steps.sum!.result).toMatchObject({ return_code: 0, stdout: '12\n', success: true, result: { stdout: '12\n' } });
  // Only the loopback interface: no route anywhere (errno 101, ENETUNREACH).
  expect(result.steps.offline!.result).toMatchObject({ return_code: 0, stdout: "interfaces: ['lo']\nno connection: 101\n" });
  expect(result.steps.shell!.result).toMatchObject({ command: 'echo 12 squared is $(( 12 * 12 ))', return_code: 0, stdout: '12 squared is 144\n' });
  // A non-zero exit is the program's answer: the step completes with success false, for the pipeline to read.
  expect(result.steps.failing).toMatchObject({ status: 'completed', result: { return_code: 3, stderr: 'oops\n', success: false, error: 'the program exited with code 3' } });
  expect(result.steps.wants_network).toMatchObject({ status: 'failed', error_type: 'NETWORK_REFUSED' });
  expect(result.steps.wants_network!.error).toMatch(/start the worker with ORC_SANDBOX_NETWORK=1/);
});
