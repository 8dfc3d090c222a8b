// Network tools in real runs: http-client refuses loopback, private and link-local addresses (after redirects
// too) unless ORC_NET_ALLOW lists them; web-search asks a SearxNG stand-in and gives the dialect's shape.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Orchestrator } from '../../src/client';
import { sharedServerOrchestrator } from '../helpers/orchestrator';
import { startSearxStandIn, type SearxStandIn } from '../helpers/searxng';
import { compileToolYaml } from '../helpers/tool-pipelines';

const taskQueue = `tools-network-${process.pid}`;
let orchestrator: Orchestrator;
let server: http.Server;
let base: string;
let searx: SearxStandIn;
const hits: string[] = [];

beforeAll(async () => {
  server = http.createServer((request, response) => {
    hits.push(request.url ?? '');
    if (request.url === '/hello') return void response.writeHead(200, { 'content-type': 'application/json' }).end('{"greeting":"hello"}');
    if (request.url === '/to-private') return void response.writeHead(302, { location: 'http://10.20.30.40/internal' }).end();
    if (request.url === '/to-metadata') return void response.writeHead(301, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
    if (request.url === '/big') return void response.writeHead(200).end('x'.repeat(5000));
    response.writeHead(404).end('no such page');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  searx = await startSearxStandIn();
  orchestrator = sharedServerOrchestrator(taskQueue);
  await orchestrator.connect();
});

afterAll(async () => {
  await orchestrator?.close();
  await searx?.close();
  await new Promise((resolve) => server?.close(resolve));
  delete process.env.ORC_NET_ALLOW;
  delete process.env.ORC_SEARCH_URL;
});

// The worker runs in this process: its environment is process.env when each activity starts.
function withWorkerEnvironment(values: Record<string, string | undefined>): void {
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
}

const fetchStep = (id: string, url: string, extra = '') => `
  - id: ${id}
    tool: http-client
    action: get
    parameters: { url: "${url}"${extra} }
    on_failure: continue`;

test('loopback, a loopback name and the cloud metadata address are refused before any connection', async () => {
  withWorkerEnvironment({ ORC_NET_ALLOW: undefined });
  const before = hits.length;
  const result = await orchestrator.execute(
    compileToolYaml(`
name: refused
steps:${fetchStep('metadata', 'http://169.254.169.254/latest/meta-data/')}${fetchStep('loopback', `${base}/hello`)}${fetchStep('loopback_name', `${base.replace('127.0.0.1', 'localhost')}/hello`)}${fetchStep('private', 'http://192.168.1.1/')}
`),
  );
  for (const id of ['metadata', 'loopback', 'loopback_name', 'private']) {
    expect(result.steps[id]).toMatchObject({ status: 'failed', error_type: 'NETWORK_REFUSED', attempts: 1 });
    expect(result.steps[id]!.error).toMatch(/is a loopback, private or link-local address; network tools reach only public addresses .*ORC_NET_ALLOW/);
  }
  expect(result.steps.metadata!.error).toMatch(/^refused to reach http:\/\/169\.254\.169\.254\/latest\/meta-data\//);
  expect(hits.length).toBe(before);
});

test('with ORC_NET_ALLOW listing 127.0.0.1 the first hop is reached, and a redirect into a private range is still refused', async () => {
  withWorkerEnvironment({ ORC_NET_ALLOW: '127.0.0.1' });
  const result = await orchestrator.execute(
    compileToolYaml(`
name: redirects
steps:${fetchStep('hello', `${base}/hello`)}${fetchStep('to_private', `${base}/to-private`)}${fetchStep('to_metadata', `${base}/to-metadata`)}${fetchStep('too_big', `${base}/big`, ', max_bytes: 1000')}${fetchStep('missing', `${base}/nothing`)}
  - id: use
    action: "The server said {{ hello.json.greeting }} with status {{ hello.result.status }}"
    depends_on: [hello]
    model: echo
`),
  );
  expect(result.steps.hello!.result).toMatchObject({ status: 200, content: '{"greeting":"hello"}', json: { greeting: 'hello' }, success: true, redirects: [] });
  expect(result.steps.use!.result).toBe('The server said hello with status 200');
  expect(result.steps.to_private).toMatchObject({ status: 'failed', error_type: 'NETWORK_REFUSED' });
  expect(result.steps.to_private!.error).toMatch(/^refused to reach http:\/\/10\.20\.30\.40\/internal: /);
  expect(result.steps.to_metadata).toMatchObject({ status: 'failed', error_type: 'NETWORK_REFUSED' });
  expect(result.steps.to_metadata!.error).toMatch(/^refused to reach http:\/\/169\.254\.169\.254\/latest\/meta-data\/: /);
  expect(result.steps.too_big).toMatchObject({ status: 'failed', error_type: 'TOOL_FAILED' });
  expect(result.steps.too_big!.error).toMatch(/answered more than 1000 bytes/);
  // An HTTP error is an answer: the step completes with success false, for the pipeline to read.
  expect(result.steps.missing).toMatchObject({ status: 'completed', result: { status: 404, success: false, error: expect.stringMatching(/^HTTP 404/) } });
});

test('web-search asks the SearxNG JSON API and gives results in the dialect shape; without ORC_SEARCH_URL it is unavailable', async () => {
  withWorkerEnvironment({ ORC_SEARCH_URL: searx.url });
  const pipeline = compileToolYaml(`
name: search
inputs:
  topic: { type: string }
steps:
  - id: search
    tool: web-search
    action: search
    parameters: { query: "{{ inputs.topic }} overview", max_results: "3" }
  - id: cite
    action: "First: {{ search.results[0].title }} ({{ search.result.results[0].url }}), {{ search.total_results }} results"
    model: echo
`);
  const result = await orchestrator.execute(pipeline, { topic: 'durable workflows' });
  expect(result.status).toBe('completed');
  expect(searx.queries).toEqual(['durable workflows overview']);
  expect(result.steps.search!.result).toMatchObject({
    query: 'durable workflows overview',
    total_results: 3,
    backend: 'searxng',
    success: true,
    results: [
      { title: 'durable workflows overview — result 1', url: 'https://example.org/durable%20workflows%20overview/1', snippet: 'What page 1 says about durable workflows overview.', source: 'wikipedia', relevance: 3.5, rank: 1 },
      { rank: 2, source: 'duckduckgo' },
      { rank: 3 },
    ],
  });
  expect(result.steps.cite!.result).toBe('First: durable workflows overview — result 1 (https://example.org/durable%20workflows%20overview/1), 3 results');

  withWorkerEnvironment({ ORC_SEARCH_URL: undefined });
  const without = await orchestrator.execute(pipeline, { topic: 'x' });
  expect(without.steps.search).toMatchObject({ status: 'failed', error_type: 'TOOL_UNAVAILABLE' });
  expect(without.steps.search!.error).toMatch(/tool 'web-search' is not available on this worker: ORC_SEARCH_URL is not set: point it at a SearxNG instance/);
});
