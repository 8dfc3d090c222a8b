// toolsb's tools through real Temporal runs (the runTool activity in a real worker): DuckDB, Chromium, Vega,
// ffmpeg and PostgreSQL real; the OpenAI images/chat/audio protocol and SearxNG by stand-ins that speak them.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Orchestrator } from '../../src/client';
import { FakeOpenAIMediaServer, TINY_PNG } from '../helpers/fake-openai-media';
import { sharedServerOrchestrator } from '../helpers/orchestrator';
import { freePort } from '../helpers/ports';
import { startPostgres, type PostgresServer } from '../helpers/postgres';
import { startSearxStandIn, type SearxStandIn } from '../helpers/searxng';
import { compileToolYaml } from '../helpers/tool-pipelines';

const taskQueue = `tools-b-${process.pid}`;
const media = new FakeOpenAIMediaServer();
let orchestrator: Orchestrator;
let workspace: string;
let postgres: PostgresServer;
let searx: SearxStandIn;
let site: http.Server;
let sitePort: number;

beforeAll(async () => {
  [postgres, searx, sitePort] = await Promise.all([startPostgres(), startSearxStandIn(), freePort()]);
  site = http.createServer((request, response) => {
    if (request.url === '/hop') return void response.writeHead(302, { location: `http://169.254.169.254/latest/meta-data/` }).end();
    response.writeHead(200, { 'content-type': 'text/html' }).end('<title>Harvest</title><p>Nine pears today.</p><a href="/more">More</a>');
  });
  await new Promise<void>((resolve) => site.listen(sitePort, resolve));
  // The worker of this test runs in this process: its environment is the tools' environment.
  Object.assign(process.env, {
    OPENAI_API_KEY: 'sk-worker',
    OPENAI_BASE_URL: await media.start(),
    ORC_DATABASE_URL: postgres.url,
    ORC_SEARCH_URL: searx.url,
    ORC_NET_ALLOW: 'localhost',
  });
  orchestrator = sharedServerOrchestrator(taskQueue);
  await orchestrator.connect();
}, 120_000);

afterAll(async () => {
  await orchestrator?.close();
  await Promise.all([postgres?.stop(), searx?.close(), media.stop(), new Promise((resolve) => site?.close(resolve))]);
});

beforeEach(() => {
  workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'orc-workspace-'));
});

function run(yaml: string) {
  return orchestrator.execute(compileToolYaml(yaml), {}, { workspace });
}

test('data-processing, visualization and pdf-compiler: a CSV aggregated, charted and printed', async () => {
  fs.writeFileSync(path.join(workspace, 'sales.csv'), 'region,revenue\nnorth,120\nsouth,80\nnorth,30\n');
  const result = await run(`
name: report
steps:
  - id: totals
    tool: data-processing
    action: aggregate
    parameters: { path: sales.csv, group_by: [region], aggregations: { revenue: { column: revenue, function: sum } }, output_path: out/totals.json }
  - id: charts
    tool: visualization
    action: create_charts
    parameters: { path: out/totals.json, chart_types: [bar, pie], output_dir: out/charts }
    depends_on: [totals]
  - id: pdf
    tool: pdf-compiler
    action: compile
    parameters:
      markdown_content: "# Revenue\\n\\n{{ totals.row_count }} regions; charts: {{ charts.count }}"
      output_path: out/report.pdf
  - id: escape
    tool: data-processor
    action: query
    parameters: { query: "SELECT * FROM read_csv('/etc/passwd')" }
    on_failure: continue
`);
  expect(result.steps.totals!.result).toMatchObject({ processed_data: { action: 'aggregate', data: [{ region: 'north', revenue: 150 }, { region: 'south', revenue: 80 }] }, success: true });
  expect(result.steps.charts!.result).toMatchObject({ charts: ['out/charts/bar.png', 'out/charts/pie.png'], count: 2 });
  expect(result.steps.pdf!.result).toMatchObject({ output_path: 'out/report.pdf', file_size: fs.statSync(path.join(workspace, 'out/report.pdf')).size });
  expect(result.steps.escape).toMatchObject({ status: 'failed', error_type: 'PATH_OUTSIDE_WORKSPACE', attempts: 1 });
  expect(result.files).toEqual(['out/totals.json', 'out/charts/bar.png', 'out/charts/pie.png', 'out/report.pdf']);
});

test('headless-browser and web-scraper: a page read; a redirect to the metadata address refused', async () => {
  const result = await run(`
name: browse
steps:
  - id: page
    tool: headless-browser
    action: scrape
    parameters: { url: "http://localhost:${sitePort}/" }
  - id: check
    tool: web-scraper
    action: verify
    parameters: { url: "http://localhost:${sitePort}/", expect_text: nine pears }
  - id: hop
    tool: headless-browser
    action: scrape
    parameters: { url: "http://localhost:${sitePort}/hop" }
    on_failure: continue
`);
  expect(result.steps.page!.result).toMatchObject({ title: 'Harvest', text: 'Nine pears today.\n\nMore', word_count: 4, links: [{ text: 'More', url: `http://localhost:${sitePort}/more` }] });
  expect(result.steps.check!.result).toMatchObject({ ok: true, found: true });
  expect(result.steps.hop).toMatchObject({ status: 'failed', error_type: 'NETWORK_REFUSED', attempts: 1 });
});

test('image-generation, image-analysis, speech-to-text and audio-processing against the OpenAI protocol and ffmpeg', async () => {
  execFileSync('ffmpeg', ['-nostdin', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'sine=duration=1', path.join(workspace, 'memo.wav')]);
  media.requests.length = 0;
  const result = await run(`
name: media
steps:
  - id: draw
    tool: image-generation
    action: generate
    parameters: { prompt: a pear, output_path: pear.png }
  - id: look
    tool: image-analysis
    action: analyze
    parameters: { image: "{{ draw.images[0].path }}" }
  - id: hear
    tool: speech-to-text
    action: transcribe
    parameters: { audio: memo.wav }
  - id: shrink
    tool: audio-processing
    action: convert
    parameters: { input: memo.wav, output_path: memo.mp3 }
`);
  expect(result.status).toBe('completed');
  expect(fs.readFileSync(path.join(workspace, 'pear.png'))).toEqual(TINY_PNG);
  expect(result.steps.look!.result).toMatchObject({ analysis: 'a red square on white' });
  expect(result.steps.hear!.result).toMatchObject({ transcription: 'hello from the recording' });
  expect(result.steps.shrink!.result).toMatchObject({ output_path: 'memo.mp3', format: 'mp3' });
  expect(media.requests.map((request) => request.path).sort()).toEqual(['/audio/transcriptions', '/chat/completions', '/images/generations']);
  // The key came from the worker's environment, not from the pipeline or the run's history.
  expect(media.requests.every((request) => request.authorization === 'Bearer sk-worker')).toBe(true);
  expect(JSON.stringify(result)).not.toContain('sk-worker');
});

test('database, fact-checker and git: PostgreSQL queried; a claim searched and judged by the model; git unavailable with its reason', async () => {
  const result = await run(`
name: facts
config: { model: echo }
steps:
  - id: setup
    tool: database
    action: execute
    parameters: { query: "CREATE TABLE IF NOT EXISTS crops (name text, tons int); INSERT INTO crops VALUES ('pear', 9)" }
  - id: count
    tool: database
    action: query
    parameters: { query: "SELECT name, tons FROM crops WHERE tons > $1", params: [1] }
    depends_on: [setup]
  - id: claim
    tool: fact-checker
    action: check
    parameters: { claim: "{{ count.rows[0].name }} harvest was {{ count.rows[0].tons }} tons", model: echo }
  - id: fetch_repo
    tool: git
    action: clone
    parameters: { url: "https://93.184.215.14/team/tool.git" }
    on_failure: continue
`);
  // The sandbox image (sandbox/image.json) has no git: the step fails with the reason, and the run goes on.
  expect(result.steps.fetch_repo).toMatchObject({ status: 'failed', error_type: 'TOOL_UNAVAILABLE', attempts: 1 });
  expect(result.steps.fetch_repo!.error).toContain('add "git" to the packages of sandbox/image.json');
  expect(result.steps.count!.result).toMatchObject({ rows: [{ name: 'pear', tons: 9 }], row_count: 1 });
  expect(searx.queries).toContain('pear harvest was 9 tons');
  const checked = result.steps.claim!.result as { claims: Array<{ verdict: string; explanation: string; sources: unknown[] }>; model: string };
  expect(checked.model).toBe('echo');
  expect(checked.claims[0]!.sources).toHaveLength(4);
  // The echo model answers with its prompt: the search results reached the model.
  expect(checked.claims[0]!.explanation).toContain('What page 1 says about pear harvest was 9 tons.');
});

test("validation.extract_structured: the model's answer held to the schema and checked; infer_schema and quality_check; a dry run asks the echo model", async () => {
  media.analysis = JSON.stringify({ name: 'John Doe', age: 30, email: 'john@example.com' });
  const pipeline = `
name: extract
steps:
  - id: extract_info
    tool: validation
    action: extract_structured
    parameters:
      text: "John Doe, age 30, email: john@example.com"
      schema: { type: object, properties: { name: { type: string }, age: { type: integer }, email: { type: string, format: email } }, required: [name, email] }
      model: openai:gpt-4o-mini
  - id: shape
    tool: validation
    parameters: { action: infer_schema, data: "{{ extract_info.data | tojson }}" }
  - id: quality
    tool: validation
    action: quality_check
    parameters:
      threshold: 0.9
      data: [{ name: Ann, email: ann@example.com, start_date: "2024-01-05" }, { name: Bo, email: not-an-email, start_date: "" }]
`;
  const result = await run(pipeline);
  expect(result.status).toBe('completed');
  expect(result.steps.extract_info!.result).toMatchObject({ valid: true, errors: [], data: { name: 'John Doe', age: 30, email: 'john@example.com' }, model_used: 'openai:gpt-4o-mini' });
  const asked = media.requests.filter((request) => request.path === '/chat/completions').at(-1)!.json!;
  // The model was held to the schema and given the text.
  expect(JSON.stringify(asked.response_format)).toContain('"email"');
  expect(JSON.stringify(asked.messages)).toContain('John Doe, age 30');
  expect(result.steps.shape!.result).toMatchObject({
    schema: { type: 'object', properties: { name: { type: 'string' }, age: { type: 'integer' }, email: { type: 'string', format: 'email' } }, required: ['name', 'age', 'email'] },
    data_type: 'dict',
  });
  // 5 of 6 fields filled, 4 of those 5 plausible (one email is not an address), every field of one type.
  expect(result.steps.quality!.result).toMatchObject({ completeness: 0.833, accuracy: 0.8, consistency: 1, overall_score: 0.878, valid: false, records: 2 });

  // An answer that breaks the schema is reported, not passed on as valid.
  media.analysis = JSON.stringify({ name: 'John Doe', email: 'not an address' });
  const broken = await run(pipeline);
  expect(broken.steps.extract_info!.result).toMatchObject({ valid: false, errors: [expect.stringContaining('/email must match format "email"')] });

  const calls = media.requests.length;
  const dry = await orchestrator.execute(compileToolYaml(pipeline), {}, { workspace, dryRun: true });
  expect(dry.status).toBe('completed');
  // The echo model's placeholder has the schema's shape (its text need not be an email address).
  expect(dry.steps.extract_info!.result).toMatchObject({ model_used: 'echo', data: { name: expect.any(String), email: expect.any(String) } });
  expect(media.requests.length).toBe(calls);
});
