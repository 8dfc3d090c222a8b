// The run_code sandbox against hostile programs, on the real Docker engine and the real sandbox image.
import { execFileSync } from 'node:child_process';
import * as os from 'node:os';
import { MockActivityEnvironment } from '@temporalio/testing';
import { sandboxContainers } from '../helpers/sandbox';
import { createSandboxActivities } from '../../src/activities/sandbox';
import type { RunCodeInput, RunCodeResult } from '../../src/activities/types';

const sandbox = createSandboxActivities();
const taskQueue = `sandbox-security-${process.pid}`;

function run(code: string, extra: Partial<RunCodeInput> = {}): Promise<RunCodeResult> {
  const input: RunCodeInput = { stepId: 'security', language: 'python', code, timeoutSeconds: 20, memoryMb: 128, files: {}, ...extra };
  return new MockActivityEnvironment({ taskQueue }).run(sandbox.runCode, input);
}

afterEach(() => {
  // Every path removes its container: none may be left, running or stopped.
  expect(sandboxContainers(taskQueue)).toBe('');
});

test('a plain program runs as a non-root user in /work, with files in and out', async () => {
  const result = await run(
    [
      'import os, json',
      'data = json.load(open("input.json"))',
      'print(os.getuid(), os.getcwd(), sum(data["numbers"]))',
      'open("out/report.txt", "w").write("total=" + str(sum(data["numbers"])))',
    ].join('\n'),
    { files: { 'input.json': '{"numbers": [1, 2, 3]}', 'out/.keep': '' } },
  );
  expect(result).toMatchObject({ exit_code: 0, timed_out: false, oom_killed: false, stdout: '10001 /work 6\n', stderr: '' });
  expect(result.files).toEqual({ 'out/report.txt': 'total=6' });
});

test('javascript and bash run too', async () => {
  expect((await run('console.log([1, 2, 3].map((n) => n * 2).join(","))', { language: 'javascript' })).stdout).toBe('2,4,6\n');
  expect(await run('echo "$((6 * 7))"; exit 3', { language: 'bash' })).toMatchObject({ stdout: '42\n', exit_code: 3 });
});

test('the network is unreachable', async () => {
  const result = await run(
    [
      'import socket',
      'for host, port in [("1.1.1.1", 53), ("127.0.0.1", 7233), ("pypi.org", 443)]:',
      '    try:',
      '        socket.create_connection((host, port), timeout=3)',
      '        print("CONNECTED", host)',
      '    except OSError as error:',
      '        print("blocked", host, type(error).__name__)',
      'print(sorted(name for _, name in socket.if_nameindex()))',
    ].join('\n'),
  );
  expect(result.exit_code).toBe(0);
  expect(result.stdout).not.toContain('CONNECTED');
  expect(result.stdout.match(/^blocked /gm)).toHaveLength(3);
  expect(result.stdout).toContain("['lo']");
});

test('writing outside the work directory fails: read-only root, nothing reaches the host', async () => {
  const marker = `orc-escape-${process.pid}`;
  const result = await run(
    [
      'import os',
      `for target in ["/etc/${marker}", "/${marker}", "/usr/${marker}", "/work/../${marker}"]:`,
      '    try:',
      '        open(target, "w").write("x")',
      '        print("WROTE", target)',
      '    except OSError as error:',
      '        print("refused", target, error.strerror)',
    ].join('\n'),
  );
  expect(result.stdout).not.toContain('WROTE');
  expect(result.stdout).toContain('Read-only file system');
  expect(result.stdout.match(/^refused /gm)).toHaveLength(4);
  expect(execFileSync('ls', ['/', '/etc', os.tmpdir()], { encoding: 'utf8' })).not.toContain(marker);
});

test('a fork bomb hits the pids limit and the host keeps working', async () => {
  const result = await run(':(){ :|:& };:\nsleep 2\necho survived', { language: 'bash', timeoutSeconds: 15 });
  expect(result.stderr).toMatch(/fork|Resource temporarily unavailable|retry/i);
  // The worker process can still start processes of its own.
  expect(execFileSync('echo', ['host fine'], { encoding: 'utf8' })).toBe('host fine\n');
});

test('allocating past the memory limit is killed and reported', async () => {
  const result = await run('chunks = []\nwhile True:\n    chunks.append(bytearray(16 * 1024 * 1024))', { memoryMb: 64 });
  expect(result.oom_killed).toBe(true);
  expect(result.exit_code).toBe(137);
  expect(result.timed_out).toBe(false);
});

test('an endless loop is stopped at the timeout', async () => {
  const result = await run('while True:\n    pass', { timeoutSeconds: 2 });
  expect(result).toMatchObject({ timed_out: true, exit_code: null });
  expect(result.duration_ms).toBeGreaterThanOrEqual(2000);
});

test('printing 100 MB keeps only the cap and says how much was cut', async () => {
  const result = await run('import sys\nchunk = "x" * (1024 * 1024)\nfor _ in range(100):\n    sys.stdout.write(chunk)\nprint("done", file=sys.stderr)', {
    timeoutSeconds: 60,
  });
  expect(result.exit_code).toBe(0);
  expect(result.stdout.length).toBeLessThan(1024 * 1024 + 200);
  expect(result.stdout).toMatch(/\[orc: output truncated, 103809024 more bytes not kept\]$/);
  expect(result.stderr).toBe('done\n');
});

test("the worker's environment, API keys included, is not visible", async () => {
  process.env.OPENAI_API_KEY = 'sk-test-secret-do-not-leak';
  try {
    const result = await run('import os\nprint(sorted(os.environ))\nprint(open("/proc/1/environ").read())');
    expect(result.exit_code).toBe(0);
    expect(result.stdout).not.toContain('sk-test-secret');
    expect(result.stdout).not.toContain('OPENAI_API_KEY');
    expect(result.stdout).toContain("'PATH'");
  } finally {
    delete process.env.OPENAI_API_KEY;
  }
});
