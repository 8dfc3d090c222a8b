// Operating runs with a worker in its own process (`orc worker --metrics-port`, OTEL_EXPORTER_OTLP_ENDPOINT set):
// live tokens in `orc run` on a pseudo-terminal, Prometheus scraping the worker, spans over OTLP/HTTP.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { Orchestrator } from '../../src/client';
import { orcEnvironment, repositoryRoot, startOrc, waitFor } from '../helpers/cli';
import { FakeOpenAIServer } from '../helpers/fake-openai';
import { freePort } from '../helpers/ports';

const address = process.env.ORC_TEST_TEMPORAL_ADDRESS!;
const taskQueue = `operating-${process.pid}`;
const PIECES = ['alpha ', 'beta ', 'gamma ', 'delta ', 'epsilon ', 'zeta ', 'eta ', 'theta ', 'iota ', 'kappa'];

const fake = new FakeOpenAIServer();
let directory: string;
let worker: ReturnType<typeof startOrc>;
let prometheus: ChildProcess;
let prometheusUrl: string;
/** Every span the worker exported, as OTLP/HTTP JSON carries them. */
const spans: Array<{ name: string; attributes: Record<string, string> }> = [];
let receiver: http.Server;

function writePipeline(name: string, yaml: string): string {
  const file = path.join(directory, `${name}.yaml`);
  fs.writeFileSync(file, yaml);
  return file;
}

function orcEnvironmentFor(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return orcEnvironment({ TEMPORAL_ADDRESS: address, ORC_TASK_QUEUE: taskQueue, ORC_DATA_DIR: directory, ...extra });
}

async function startOtlpReceiver(): Promise<string> {
  receiver = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const parsed = JSON.parse(body || '{}') as {
        resourceSpans?: Array<{ scopeSpans?: Array<{ spans?: Array<{ name: string; attributes?: Array<{ key: string; value: { stringValue?: string } }> }> }> }>;
      };
      for (const resource of parsed.resourceSpans ?? []) {
        for (const scope of resource.scopeSpans ?? []) {
          for (const span of scope.spans ?? []) {
            spans.push({ name: span.name, attributes: Object.fromEntries((span.attributes ?? []).map((attribute) => [attribute.key, attribute.value.stringValue ?? ''])) });
          }
        }
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{}');
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => receiver.listen(port, '127.0.0.1', resolve));
  return `http://127.0.0.1:${port}`;
}

async function startPrometheus(metricsPort: number): Promise<void> {
  const port = await freePort();
  const config = path.join(directory, 'prometheus.yml');
  fs.writeFileSync(config, `global: { scrape_interval: 1s }\nscrape_configs:\n  - job_name: orc\n    static_configs: [{ targets: ['127.0.0.1:${metricsPort}'] }]\n`);
  prometheus = spawn('prometheus', [`--config.file=${config}`, `--storage.tsdb.path=${path.join(directory, 'tsdb')}`, `--web.listen-address=127.0.0.1:${port}`], {
    stdio: 'ignore',
  });
  prometheusUrl = `http://127.0.0.1:${port}`;
  for (let tries = 0; tries < 150; tries++) {
    try {
      if ((await fetch(`${prometheusUrl}/-/ready`)).ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error('prometheus did not become ready');
}

/** The value of an instant query's first series, or null when it has none. */
async function queryPrometheus(query: string): Promise<number | null> {
  const response = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(query)}`);
  const body = (await response.json()) as { data: { result: Array<{ value: [number, string] }> } };
  const first = body.data.result[0];
  return first ? Number(first.value[1]) : null;
}

async function untilQuery(query: string, accept: (value: number | null) => boolean): Promise<number | null> {
  let value: number | null = null;
  for (let tries = 0; tries < 120; tries++) {
    value = await queryPrometheus(query);
    if (accept(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return value;
}

beforeAll(async () => {
  directory = fs.mkdtempSync(path.join(os.tmpdir(), 'orc-operating-'));
  fake.delayMs = 100;
  fake.chunkDelayMs = 600;
  fake.chunksFor = (prompt) => (prompt.includes('SLOW') ? PIECES : [`done(${prompt})`]);
  const fakeUrl = await fake.start();
  const otlpUrl = await startOtlpReceiver();
  const metricsPort = await freePort();
  await startPrometheus(metricsPort);
  worker = startOrc(
    ['worker', '--metrics-port', String(metricsPort)],
    orcEnvironmentFor({
      OPENAI_API_KEY: 'sk-test-operating',
      OPENAI_BASE_URL: fakeUrl,
      OTEL_EXPORTER_OTLP_ENDPOINT: otlpUrl,
      ORC_METRICS_HOST: '127.0.0.1',
      ORC_LOG_FORMAT: 'json',
      ORC_LOG_LEVEL: 'DEBUG',
    }),
  );
  await waitFor(() => worker.output.stderr.includes('orc worker polling') || worker.exitCode !== null, 90_000, 'the worker to start');
  if (worker.exitCode !== null) throw new Error(`orc worker exited: ${worker.output.stderr}`);
}, 150_000);

afterAll(async () => {
  worker?.kill('SIGINT');
  await worker?.done;
  prometheus?.kill('SIGTERM');
  receiver?.close();
  await fake.stop();
  fs.rmSync(directory, { recursive: true, force: true });
});

test('orc run on a terminal shows a running step its answer before the step completes; --json prints only the result', async () => {
  const file = writePipeline(
    'live_tokens',
    `name: live_tokens
config: { model: "openai:gpt-4o-mini", timeout: 60 }
steps:
  - id: write
    action: "SLOW write a poem about {{ inputs.topic }}"
inputs: { topic: string }
`,
  );
  // util-linux `script` gives orc a pseudo-terminal, as a person at a terminal has.
  const command = `${process.execPath} ${path.join(repositoryRoot, 'bin', 'orc.js')} run ${file} -i topic=rivers`;
  const run = spawn('script', ['-qfec', command, '/dev/null'], { env: orcEnvironmentFor(), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let answeredWhenSeen: number | undefined | 'not seen' = 'not seen';
  run.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    if (answeredWhenSeen === 'not seen' && output.includes('gamma')) answeredWhenSeen = fake.calls.find((call) => call.prompt.includes('SLOW'))?.answeredAt;
  });
  const code = await new Promise<number | null>((resolve) => run.on('close', resolve));
  // The output is in the message when the run fails.
  expect(`exit ${code}\n${output}`).toMatch(/^exit 0\n/);
  // Part of the answer was on the terminal while the model was still streaming it.
  expect(answeredWhenSeen).toBeUndefined();
  expect(output).toMatch(/▸ write: .*alpha/);
  expect(output).toContain('✓ write');

  const json = spawn('script', ['-qfec', `${command} --json`, '/dev/null'], { env: orcEnvironmentFor(), stdio: ['ignore', 'pipe', 'pipe'] });
  let jsonOutput = '';
  json.stdout.on('data', (chunk: Buffer) => (jsonOutput += chunk.toString()));
  expect(await new Promise<number | null>((resolve) => json.on('close', resolve))).toBe(0);
  const result = JSON.parse(jsonOutput) as { status: string; steps: Record<string, { result: string }> };
  expect(result.status).toBe('completed');
  expect(result.steps.write!.result).toBe(PIECES.join(''));
});

test('Prometheus scraping orc worker --metrics-port sees model tokens, completed steps and Temporal SDK metrics; each step is a span; JSON logs', async () => {
  const orchestrator = new Orchestrator({ address, taskQueue, worker: false });
  let runId: string;
  try {
    const result = await orchestrator.executeYaml(
      `name: metrics_probe
config: { model: "openai:gpt-4o-mini" }
steps:
  - id: first
    action: "first step"
  - id: second
    action: "second step after {{ first.result }}"
  - id: third
    action: "third step"
    cache_results: true
`,
    );
    expect(result.status).toBe('completed');
    runId = result.run_id;
  } finally {
    await orchestrator.close();
  }
  // ORC_LOG_FORMAT=json: every log line of the worker is a JSON object; those of a step's activity name the run and step.
  const logLines = worker.output.stderr.split('\n').filter((line) => line.startsWith('{'));
  const logs = logLines.map((line) => JSON.parse(line) as { run_id: string | null; step: string | null; message: string });
  expect(logs.some((line) => line.run_id === runId && line.step === 'second' && /Activity completed/.test(line.message))).toBe(true);
  const steps = await untilQuery('sum(orc_steps_total{pipeline="metrics_probe",status="completed"})', (value) => value === 3);
  expect(steps).toBe(3);
  expect(await untilQuery('sum(orc_model_tokens_total{provider="openai",model="gpt-4o-mini"})', (value) => (value ?? 0) > 0)).toBeGreaterThan(0);
  expect(await untilQuery('count(orc_step_duration_seconds_count{pipeline="metrics_probe",action_kind="prompt"})', (value) => value !== null)).toBe(1);
  expect(await untilQuery('sum(orc_model_cost_usd_total{provider="openai",model="gpt-4o-mini"})', (value) => (value ?? 0) > 0)).toBeGreaterThan(0);
  expect(await untilQuery('sum(orc_cache_lookups_total{result="miss"})', (value) => (value ?? 0) > 0)).toBeGreaterThan(0);
  expect(await untilQuery('count({__name__=~"temporal_.+"})', (value) => (value ?? 0) > 0)).toBeGreaterThan(0);

  await waitFor(() => ['first', 'second', 'third'].every((step) => spans.some((span) => span.attributes['orc.step'] === step)), 30_000, 'a span for every step');
  const stepSpans = spans.filter((span) => span.attributes['orc.pipeline'] === 'metrics_probe' && span.attributes['orc.step']);
  expect(new Set(stepSpans.map((span) => span.attributes['orc.step']))).toEqual(new Set(['first', 'second', 'third']));
  expect(stepSpans.every((span) => span.attributes['orc.model'] === 'openai:gpt-4o-mini')).toBe(true);
  expect(spans.some((span) => span.name === 'RunWorkflow:pipelineWorkflow')).toBe(true);
});
