// The Temporal Web UI of the embedded server shows a finished run's steps (headless Debian chromium through
// playwright-core); search attributes find runs by pipeline and outcome; `orc graph` output renders with mermaid.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { defaultPayloadConverter } from '@temporalio/common';
import { chromium, type Browser } from 'playwright-core';
import { Orchestrator } from '../../src/client';
import { startDevServer, type DevServer } from '../../src/worker/dev-server';
import { temporalCliPath } from '../../src/base/paths';
import { orcEnvironment, repositoryRoot, runOrc } from '../helpers/cli';
import { FakeOpenAIServer } from '../helpers/fake-openai';
import { freePort } from '../helpers/ports';

const taskQueue = `web-ui-${process.pid}`;
const supportReply = path.join(repositoryRoot, 'pipelines', 'support_reply.yaml');
let server: DevServer;
let orchestrator: Orchestrator;
let browser: Browser;
const fake = new FakeOpenAIServer();

beforeAll(async () => {
  // The failing run's model answers 401, as a provider does for a revoked key: the run fails for good at once.
  fake.unauthorizedModels.add('revoked-model');
  process.env.OPENAI_BASE_URL = await fake.start();
  process.env.OPENAI_API_KEY = 'sk-test-web-ui';
  const port = await freePort();
  server = await startDevServer({ port, ui: true, uiPort: await freePort(), databaseFile: null, reuseExisting: false });
  orchestrator = new Orchestrator({ address: server.address, taskQueue, worker: true, workflowsPath: require.resolve('../../src/workflows'), logLevel: 'ERROR' });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await orchestrator?.close();
  await server?.stop();
  await fake.stop();
});

/** What the page functions below use of the browser (the suite is type-checked without the DOM library). */
interface BrowserGlobals {
  document: { body: { innerText: string } };
  mermaid: { initialize(options: object): void; render(id: string, text: string): Promise<{ svg: string }> };
}

function temporalList(query: string): string[] {
  const output = execFileSync(temporalCliPath(), ['workflow', 'list', '--address', server.address, '--query', query, '--output', 'json'], { encoding: 'utf8' });
  const parsed = JSON.parse(output.trim() === '' ? '[]' : output) as Array<{ execution: { workflowId: string } }>;
  return parsed.map((entry) => entry.execution.workflowId);
}

async function untilAnswering(url: string): Promise<void> {
  for (let tries = 0; tries < 150; tries++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`the Web UI at ${url} does not answer`);
}

/** Visibility is eventually consistent: the run's last upsert may land a moment after its result. */
async function untilListed(query: string, runId: string): Promise<string[]> {
  let found: string[] = [];
  for (let tries = 0; tries < 50 && !found.includes(runId); tries++) {
    found = temporalList(query);
    if (!found.includes(runId)) await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return found;
}

test("a finished run's page names every step; search attributes find runs by pipeline and status; orc graph renders", async () => {
  const pipeline = orchestrator.compile(fs.readFileSync(supportReply, 'utf8'), supportReply);
  const { handle } = await orchestrator.start(pipeline, { message: 'I was charged twice.' }, { dryRun: true, runId: `support_reply-ui-${process.pid}` });
  const result = await orchestrator.follow(handle);
  expect(result.status).toBe('completed');
  // The Input panel shows the compiled pipeline without source positions.
  const started = (await handle.fetchHistory()).events?.[0]?.workflowExecutionStartedEventAttributes;
  const input = defaultPayloadConverter.fromPayload<{ pipeline: { inputs: Record<string, object> } }>(started!.input!.payloads![0]!);
  expect(Object.keys(input.pipeline.inputs)).toEqual(['message', 'company']);
  expect(JSON.stringify(input)).not.toContain('declaredAt');

  const failing = await orchestrator.executeYaml(
    `name: revoked_key
steps:
  - id: ask
    action: "Say hello"
    model: openai:revoked-model
`,
    {},
    { runId: `revoked_key-ui-${process.pid}` },
  );
  expect(failing.status).toBe('failed');

  expect(await untilListed("OrcPipeline='support_reply' AND OrcStatus='completed'", result.run_id)).toContain(result.run_id);
  expect(await untilListed("OrcStatus='failed'", failing.run_id)).toContain(failing.run_id);
  expect(temporalList("OrcPipeline='support_reply' AND OrcStatus='failed'")).not.toContain(result.run_id);
  const listed = JSON.parse((await runOrc(['list', '--pipeline', 'revoked_key', '--json'], orcEnvironment({ TEMPORAL_ADDRESS: server.address }))).stdout) as Array<{
    run_id: string;
    status: string;
  }>;
  expect(listed).toEqual([expect.objectContaining({ run_id: failing.run_id, status: 'failed' })]);

  // The UI server comes up beside the frontend, not necessarily before it answers.
  await untilAnswering(server.uiUrl!);
  const page = await browser.newPage();
  const { runId } = await handle.describe();
  await page.goto(`${server.uiUrl}/namespaces/default/workflows/${encodeURIComponent(result.run_id)}/${runId}/history`);
  // Each step's activities are labelled `<step id> · <model>` in the timeline and the event history.
  for (const step of pipeline.steps) {
    await page.waitForFunction((id) => (globalThis as unknown as BrowserGlobals).document.body.innerText.includes(`${id} · `), step.id, { timeout: 30_000 });
  }

  const graph = await runOrc(['graph', supportReply, '--run', result.run_id], orcEnvironment({ TEMPORAL_ADDRESS: server.address }));
  expect(graph.code).toBe(0);
  await page.setContent('<html><body><div id="out"></div></body></html>');
  await page.addScriptTag({ path: require.resolve('mermaid/dist/mermaid.min.js') });
  const svg = await page.evaluate(async (text) => {
    const mermaid = (globalThis as unknown as BrowserGlobals).mermaid;
    mermaid.initialize({ startOnLoad: false });
    return (await mermaid.render('graph', text)).svg;
  }, graph.stdout);
  expect(svg).toContain('triage');
  expect(svg).toContain('reply');
  // Coloured by the run: both steps carry the `completed` class.
  expect(svg.match(/class="node [^"]*\bcompleted\b/g)?.length).toBe(2);
  await page.close();
}, 120_000);
