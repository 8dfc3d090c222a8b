// The HTML report in headless Chromium: `orc report RUN --html` of a real run (replicates, checks, a skipped step)
// and a report with an agent transcript render offline with no console error, showing every step id, every check,
// the evidence bundle's replicates and the agent's tool calls.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import type { RunResult } from '../../src/base/run-types';
import { renderHtmlReport } from '../../src/client/html-report';
import { orcEnvironment, runOrc } from '../helpers/cli';
import { compileYaml } from '../helpers/compile';
import { sharedServerOrchestrator } from '../helpers/orchestrator';
import { resolverFor, ScriptedModel } from '../helpers/scripted-model';

const model = new ScriptedModel();
const taskQueue = `html-report-${process.pid}`;
const orchestrator = sharedServerOrchestrator(taskQueue, { models: resolverFor(model), logLevel: 'ERROR' });
const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'orc-html-'));
let browser: Browser;

beforeAll(async () => {
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await orchestrator.close();
  fs.rmSync(directory, { recursive: true, force: true });
});

interface PageView {
  text: string;
  errors: string[];
  requests: string[];
  replicateRows: number;
}

/** Opens the file offline and reads what a person sees; console errors, page errors and any request are collected. */
async function view(file: string): Promise<PageView> {
  const context = await browser.newContext({ offline: true });
  const page = await context.newPage();
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('request', (request) => {
    if (!request.url().startsWith('file:')) requests.push(request.url());
  });
  await page.goto(`file://${file}`);
  // Open every run's details so their text is laid out.
  await page.evaluate('document.querySelectorAll("details").forEach(function (d) { d.open = true; })');
  const text = (await page.evaluate('document.body.innerText')) as string;
  const replicateRows = (await page.evaluate('document.querySelectorAll(".evidence tbody tr").length')) as number;
  await context.close();
  return { text, errors, requests, replicateRows };
}

test('orc report --html of a real run renders in Chromium: every step id, every check, the replicates, no console error', async () => {
  let classified = 0;
  model.reset((prompt) => {
    if (prompt.startsWith('Rubric:')) return { json: { score: 0.8, reason: 'plausible' } };
    if (prompt.startsWith('CLASSIFY')) return { json: { label: ++classified % 3 === 0 ? 'feature' : 'bug' } };
    return { text: 'We are sorry about the crash.' };
  });
  const pipeline = compileYaml(`
name: report_demo
steps:
  - id: classify
    action: "CLASSIFY the ticket: the app crashes"
    output_schema: { type: object, properties: { label: { enum: [bug, feature] } }, required: [label] }
    replicates: 3
    expect:
      - equals: { path: label, value: bug }
      - judge: { rubric: "Is the label right for a crash?", threshold: 0.5 }
    on_expect_fail: warn
  - id: reply
    action: "REPLY to a {{ classify.result.label }} ticket"
    expect:
      - contains: sorry
      - max_tokens: 2
    on_expect_fail: warn
  - id: escalate
    action: "ESCALATE it"
    when: "{{ classify.result.label == 'feature' }}"
`);
  const result = await orchestrator.execute(pipeline, {}, { defaultModel: 'fake:scripted' });
  expect(result.status).toBe('completed');
  const file = path.join(directory, 'run.html');
  const report = await runOrc(['report', result.run_id, '--html', file], orcEnvironment({ TEMPORAL_ADDRESS: process.env.ORC_TEST_TEMPORAL_ADDRESS! }));
  expect(report.stderr).toContain(`wrote ${file}`);
  expect(report.code).toBe(0);
  const page = await view(file);
  expect(page.errors).toEqual([]);
  expect(page.requests).toEqual([]);
  for (const id of ['classify', 'reply', 'escalate']) expect(page.text).toContain(id);
  for (const check of ['equals(label)', 'judge', 'contains', 'max_tokens']) expect(page.text).toContain(check);
  expect(page.text).toContain('skipped');
  expect(page.replicateRows).toBe(3);
  expect(page.text).toMatch(/feature × 1/);
}, 120_000);

test('an agent transcript with its tool calls renders in Chromium with no console error', async () => {
  const result: RunResult = {
    run_id: 'agent-run',
    pipeline: 'agent_demo',
    status: 'completed',
    outputs: { answer: '42' },
    usage: { input_tokens: 30, output_tokens: 12, cost_usd: 0.0001 },
    auto_resolutions: [],
    error: null,
    steps: {
      add: {
        status: 'completed',
        result: {
          answer: '42',
          turns: 2,
          transcript: [
            { agent: 'calculator', role: 'assistant', content: '', tool_call: { name: 'everything.get-sum', arguments: { a: 19, b: 23 } } },
            { agent: 'calculator', role: 'tool', content: '', tool_result: 'The sum of 19 and 23 is 42.' },
            { agent: 'calculator', role: 'assistant', content: 'The answer is 42 <script>alert(1)</script>' },
          ],
        },
        error: null,
        attempts: 1,
        model: 'local:smollm2-135m',
        usage: { input_tokens: 30, output_tokens: 12, cost_usd: 0.0001 },
        started_at: '2026-12-04T10:00:00.000Z',
        completed_at: '2026-12-04T10:00:03.000Z',
      },
    },
  };
  const file = path.join(directory, 'agent.html');
  fs.writeFileSync(file, renderHtmlReport({ title: 'agent demo', runs: [{ label: 'agent-run', result, pipeline: null }] }));
  const page = await view(file);
  expect(page.errors).toEqual([]);
  expect(page.text).toContain('everything.get-sum');
  expect(page.text).toContain('The sum of 19 and 23 is 42.');
  // Text from a model is shown, never run.
  expect(page.text).toContain('<script>alert(1)</script>');
}, 60_000);
