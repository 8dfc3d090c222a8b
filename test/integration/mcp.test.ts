// mcp steps in real runs: the reference MCP server from npm (@modelcontextprotocol/server-everything), started
// over stdio by the activity or run over Streamable HTTP by the test; the shared dev server; an in-process worker.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import type { Orchestrator, RunResult } from '../../src/client';
import { waitFor } from '../helpers/cli';
import { compileYaml } from '../helpers/compile';
import { sharedServerOrchestrator } from '../helpers/orchestrator';
import { freePort } from '../helpers/ports';

const serverBin = path.join(path.dirname(require.resolve('@modelcontextprotocol/server-everything/package.json')), 'dist', 'index.js');
const taskQueue = `mcp-test-${process.pid}`;
let orchestrator: Orchestrator;

beforeAll(async () => {
  orchestrator = sharedServerOrchestrator(taskQueue);
  await orchestrator.connect();
});

afterAll(async () => {
  await orchestrator?.close();
});

/** A stdio server spec for `mcp_servers`; the marker (ignored by the server) lets the test find its process. */
function everything(marker: string, extra = ''): string {
  return `{ command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(serverBin)}, stdio, ${marker}]${extra} }`;
}

/** Processes whose command line holds the marker: the stdio servers a run started and has not stopped. */
function serverProcesses(marker: string): number[] {
  const found: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').includes(marker)) found.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}

function uniqueMarker(name: string): string {
  return `orc-mcp-test-${name}-${process.pid}-${Date.now()}`;
}

test("an mcp step calls a tool of a real MCP server over stdio, and later steps use its answer", async () => {
  const marker = uniqueMarker('stdio');
  const result = await orchestrator.executeYaml(
    `
name: mcp_stdio
inputs:
  a: { type: number, required: true }
config: { model: echo }
mcp_servers:
  everything: ${everything(marker)}
steps:
  - id: sum
    action: mcp
    parameters: { server: everything, tool: get-sum, arguments: { a: "{{ inputs.a }}", b: 5 } }
  - id: weather
    action: mcp
    parameters: { server: everything, tool: get-structured-content, arguments: { location: Chicago } }
  - id: report
    action: "Tool said: {{ sum.result.text }} Weather: {{ weather.result.structured.conditions }}, {{ weather.result.structured.temperature }}F."
  - id: repeat
    action: mcp
    parameters: { server: everything, tool: echo, arguments: { message: "{{ report.result }}" } }
outputs:
  sum: "{{ sum.result.text }}"
  echoed: "{{ repeat.result.text }}"
`,
    { a: 37 },
  );
  expect(result.status).toBe('completed');
  expect(result.steps.sum).toMatchObject({
    status: 'completed',
    model: null,
    result: { text: 'The sum of 37 and 5 is 42.', structured: null, content: [{ type: 'text', text: 'The sum of 37 and 5 is 42.' }] },
  });
  expect(result.steps.weather!.result).toMatchObject({ structured: { temperature: 36, conditions: 'Light rain / drizzle', humidity: 82 } });
  expect(result.steps.report!.result).toBe('Tool said: The sum of 37 and 5 is 42. Weather: Light rain / drizzle, 36F.');
  expect(result.outputs).toEqual({
    sum: 'The sum of 37 and 5 is 42.',
    echoed: 'Echo: Tool said: The sum of 37 and 5 is 42. Weather: Light rain / drizzle, 36F.',
  });
  // Each call started its own server and stopped it when the call was done.
  expect(serverProcesses(marker)).toEqual([]);
});

test('the example pipelines/mcp_tools.yaml runs end to end with the local model', async () => {
  const result = await orchestrator.executeYamlFile('pipelines/mcp_tools.yaml', { a: 19, b: 23 });
  expect(result.status).toBe('completed');
  expect(result.outputs.tool_answer).toBe('The sum of 19 and 23 is 42.');
  expect(result.steps.explain!.model).toMatch(/^local/);
  expect(String(result.outputs.explanation).trim()).not.toBe('');
});

test("a tool's error fails the step with the tool's own message, without retrying", async () => {
  const result = await orchestrator.executeYaml(
    `
name: mcp_tool_error
config: { model: echo, max_retries: 2 }
mcp_servers:
  everything: ${everything(uniqueMarker('error'))}
steps:
  - id: add
    action: mcp
    parameters: { server: everything, tool: get-sum, arguments: { a: "not a number", b: 2 } }
`,
    {},
  );
  expect(result.status).toBe('failed');
  expect(result.steps.add).toMatchObject({ status: 'failed', attempts: 1, result: null });
  expect(result.steps.add!.error).toMatch(/^step 'add': tool 'get-sum' on MCP server 'everything' \(.+\) returned an error: .*Input validation error: .*expected number, received string/);
});

test('an unknown tool fails at once, naming the tools the server has', async () => {
  const result = await orchestrator.executeYaml(
    `
name: mcp_unknown_tool
config: { model: echo, max_retries: 2 }
mcp_servers:
  everything: ${everything(uniqueMarker('unknown'))}
steps:
  - id: call
    action: mcp
    parameters: { server: everything, tool: ecko, arguments: { message: hi } }
`,
    {},
  );
  expect(result.steps.call).toMatchObject({ status: 'failed', attempts: 1 });
  expect(result.steps.call!.error).toMatch(/^step 'call': MCP server 'everything' \(.+\) has no tool 'ecko' \(did you mean 'echo'\?\); its tools: echo, .*get-sum/);
});

test('a server that cannot be started is retried, then fails saying what to check', async () => {
  const result = await orchestrator.executeYaml(
    `
name: mcp_no_server
config: { model: echo, max_retries: 1 }
steps:
  - id: call
    action: mcp
    parameters: { server: "orc-no-such-mcp-server --flag", tool: echo }
`,
    {},
  );
  expect(result.steps.call).toMatchObject({ status: 'failed', attempts: 2 });
  expect(result.steps.call!.error).toBe(
    "step 'call': cannot start MCP server 'orc-no-such-mcp-server --flag': spawn orc-no-such-mcp-server ENOENT; check that 'orc-no-such-mcp-server' is installed on the worker and on its PATH",
  );
});

test("a server that exits at start is reported with what it wrote to stderr", async () => {
  const result = await orchestrator.executeYaml(
    `
name: mcp_crashing_server
config: { model: echo, max_retries: 0 }
mcp_servers:
  broken: { command: ${JSON.stringify(process.execPath)}, args: [-e, "console.error('missing API token'); process.exit(3)"] }
steps:
  - id: call
    action: mcp
    parameters: { server: broken, tool: echo }
`,
    {},
  );
  expect(result.steps.call!.error).toMatch(/^step 'call': cannot start MCP server 'broken' \(.+\): MCP error -32000: Connection closed; it wrote: missing API token; check the command/);
});

describe("the worker's environment", () => {
  const secrets = { ORC_TEST_SECRET: `orc-secret-${Date.now()}`, OPENAI_API_KEY: `sk-orc-test-${Date.now()}` };
  const saved: Record<string, string | undefined> = {};

  beforeAll(() => {
    for (const [name, value] of Object.entries(secrets)) {
      saved[name] = process.env[name];
      process.env[name] = value;
    }
  });

  afterAll(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  test("does not reach a stdio server: it sees the safe basics and its own env, not the worker's keys", async () => {
    const result = await orchestrator.executeYaml(
      `
name: mcp_env
config: { model: echo }
mcp_servers:
  everything: ${everything(uniqueMarker('env'), ', env: { GIVEN_BY_PIPELINE: "yes", PORT: 3001 }')}
steps:
  - id: env
    action: mcp
    parameters: { server: everything, tool: get-env }
`,
      {},
    );
    expect(result.status).toBe('completed');
    const text = (result.steps.env!.result as { text: string }).text;
    const seen = JSON.parse(text) as Record<string, string>;
    // The tool does show the server's environment: what the spec gives and the SDK's safe defaults are there.
    expect(seen).toMatchObject({ GIVEN_BY_PIPELINE: 'yes', PORT: '3001', PATH: process.env.PATH });
    expect(Object.keys(seen)).not.toContain('ORC_TEST_SECRET');
    expect(Object.keys(seen)).not.toContain('OPENAI_API_KEY');
    for (const value of Object.values(secrets)) expect(text).not.toContain(value);
  });
});

test('${env:NAME} hands a worker secret to a server without it entering the run', async () => {
  process.env.ORC_TEST_MCP_TOKEN = `token-${Date.now()}`;
  try {
    const pipeline = compileYaml(`
name: mcp_secret
mcp_servers:
  everything: ${everything(uniqueMarker('secret'), ', env: { SERVICE_TOKEN: "Bearer ${env:ORC_TEST_MCP_TOKEN}" }')}
steps:
  - id: env
    action: mcp
    parameters: { server: everything, tool: get-env }
`);
    // The run's input holds the reference, not the value.
    expect(JSON.stringify(pipeline)).toContain('${env:ORC_TEST_MCP_TOKEN}');
    expect(JSON.stringify(pipeline)).not.toContain(process.env.ORC_TEST_MCP_TOKEN);
    const result = await orchestrator.execute(pipeline, {});
    const seen = JSON.parse((result.steps.env!.result as { text: string }).text) as Record<string, string>;
    expect(seen.SERVICE_TOKEN).toBe(`Bearer ${process.env.ORC_TEST_MCP_TOKEN}`);

    delete process.env.ORC_TEST_MCP_TOKEN;
    const missing = await orchestrator.execute(pipeline, {});
    expect(missing.steps.env!.error).toBe(
      "step 'env': MCP server 'everything' asks for ${env:ORC_TEST_MCP_TOKEN}, and the worker has no ORC_TEST_MCP_TOKEN in its environment: set it where the worker runs",
    );
  } finally {
    delete process.env.ORC_TEST_MCP_TOKEN;
  }
});

test('a run cancelled while a tool runs stops the stdio server', async () => {
  const marker = uniqueMarker('cancel');
  const { handle } = await orchestrator.start(
    compileYaml(`
name: mcp_cancelled
mcp_servers:
  everything: ${everything(marker)}
steps:
  - id: slow
    action: mcp
    timeout: 5m
    parameters: { server: everything, tool: trigger-long-running-operation, arguments: { duration: 120, steps: 120 } }
`),
    {},
  );
  await waitFor(() => serverProcesses(marker).length > 0, 20_000, 'the MCP server to start');
  await new Promise((resolve) => setTimeout(resolve, 1500));
  await orchestrator.cancel(handle.workflowId);
  const result = await orchestrator.follow(handle);
  expect(result.status).toBe('cancelled');
  expect(result.steps.slow!.status).toBe('cancelled');
  // The heartbeat carries the cancel to the activity within a few seconds; closing the client stops the server.
  await waitFor(() => serverProcesses(marker).length === 0, 20_000, 'the MCP server to be stopped');
});

describe('Streamable HTTP', () => {
  let server: ChildProcess;
  let url: string;
  let serverOutput = '';

  beforeAll(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}/mcp`;
    server = spawn(process.execPath, [serverBin, 'streamableHttp'], { env: { PATH: process.env.PATH, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
    server.stdout!.on('data', (chunk: Buffer) => (serverOutput += chunk.toString()));
    server.stderr!.on('data', (chunk: Buffer) => (serverOutput += chunk.toString()));
    await waitFor(() => serverOutput.includes(`listening on port ${port}`), 20_000, 'the Streamable HTTP server to listen');
  });

  afterAll(async () => {
    if (server.exitCode === null) {
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGINT');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(resolve, 5000)))]);
      clearTimeout(timer);
      if (server.exitCode === null) server.kill('SIGKILL');
    }
  });

  test('a step calls a tool by URL and by a named server with headers, and ends its session', async () => {
    const result: RunResult = await orchestrator.executeYaml(
      `
name: mcp_http
config: { model: echo }
mcp_servers:
  remote: { url: "${url}", headers: { X-Orc-Test: "1" } }
steps:
  - id: by_url
    action: mcp
    parameters: { server: "${url}", tool: echo, arguments: { message: over http } }
  - id: by_name
    action: mcp
    parameters: { server: remote, tool: get-sum, arguments: { a: 2, b: 3 } }
  - id: use
    action: "{{ by_url.result.text }} / {{ by_name.result.text }}"
`,
      {},
    );
    expect(result.status).toBe('completed');
    expect(result.steps.use!.result).toBe('Echo: over http / The sum of 2 and 3 is 5.');
    // Each call ends its session (HTTP DELETE), so the server keeps none behind.
    expect(serverOutput.match(/Received session termination request/g)).toHaveLength(2);
  });

  test('headers reach the server, and a 401 fails at once pointing at them', async () => {
    const seen: Array<string | undefined> = [];
    const guard = http.createServer((request, response) => {
      seen.push(request.headers.authorization);
      response.writeHead(401, { 'content-type': 'text/plain' }).end('missing or wrong token');
    });
    await new Promise<void>((resolve) => guard.listen(0, '127.0.0.1', resolve));
    const guarded = `http://127.0.0.1:${(guard.address() as AddressInfo).port}/mcp`;
    try {
      const result = await orchestrator.executeYaml(
        `
name: mcp_http_unauthorized
config: { model: echo, max_retries: 2 }
mcp_servers:
  guarded: { url: "${guarded}", headers: { Authorization: "Bearer orc-test-token" } }
steps:
  - id: call
    action: mcp
    parameters: { server: guarded, tool: echo, arguments: { message: hi } }
`,
        {},
      );
      expect(result.steps.call).toMatchObject({ status: 'failed', attempts: 1 });
      expect(result.steps.call!.error).toMatch(/^step 'call': MCP server 'guarded' \(http:.+\) answered HTTP 401: .*missing or wrong token; check the `headers` it needs/);
      expect(seen.length).toBeGreaterThan(0);
      expect(new Set(seen)).toEqual(new Set(['Bearer orc-test-token']));
    } finally {
      await new Promise((resolve) => guard.close(resolve));
    }
  });

  test('nothing listening at the URL is retried, then fails saying what to check', async () => {
    const closed = `http://127.0.0.1:${await freePort()}/mcp`;
    const result = await orchestrator.executeYaml(
      `
name: mcp_http_refused
config: { model: echo, max_retries: 1 }
steps:
  - id: call
    action: mcp
    parameters: { server: "${closed}", tool: echo, arguments: { message: hi } }
`,
      {},
    );
    expect(result.steps.call).toMatchObject({ status: 'failed', attempts: 2 });
    expect(result.steps.call!.error).toBe(
      `step 'call': cannot reach MCP server '${closed}': fetch failed (connect ECONNREFUSED 127.0.0.1:${closed.split(':')[2]!.split('/')[0]}); nothing listens there: check that the server is running and the host and port are right`,
    );
  });
});
