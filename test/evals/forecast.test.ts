// The cost forecast (spec section 15): what it counts (replicates, for_each items, AUTO decisions, judge checks,
// agent turns) and says it assumed; `orc compile --estimate`; and a real run's result holding `forecast` beside
// `usage` (also in `orc status --json`), learned from the run before it.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RunResult } from '../../src/base/run-types';
import { compilePipelineFile } from '../../src/compiler';
import { childPipelineOf, compileChildFile, PAST_RUNS_READING_MS, pastStepUsage, rememberCompletedRun } from '../../src/client/forecast-history';
import type { Orchestrator } from '../../src/client/orchestrator';
import type { Client } from '@temporalio/client';
import { forecastRun, lengthHint } from '../../src/client/forecast';
import { orcEnvironment, runOrc } from '../helpers/cli';
import { compileYaml } from '../helpers/compile';
import { sharedServerOrchestrator } from '../helpers/orchestrator';
import { resolverFor, ScriptedModel } from '../helpers/scripted-model';

const prices = { priceOf: (model: string, usage: { input_tokens: number; output_tokens: number }) => (model === 'paid' ? (usage.input_tokens + usage.output_tokens) / 1000 : model === 'local' ? 0 : undefined) };

test('replicates, for_each items, AUTO decisions, judge checks and agent turns are counted, and each assumption is named', () => {
  const pipeline = compileYaml(`
name: counted
inputs: { topics: array, text: string }
config: { model: paid, max_tokens: 100 }
agents:
  helper: { system: You help. }
steps:
  - id: vote
    action: "Say yes or no: {{ inputs.text }}"
    replicates: 3
    expect:
      - judge: { rubric: "Is it yes or no?" }
  - id: each
    action: "Write about {{ item }} in one sentence"
    for_each: "{{ inputs.topics }}"
  - id: picked
    action: "Answer {{ vote.result }}"
    parameters: { tone: <AUTO choices="warm|cold">the tone</AUTO> }
    model: mystery
  - id: agent
    action: agent
    parameters: { agent: helper, prompt: "Help with {{ inputs.text }}", max_turns: 6 }
`);
  const forecast = forecastRun(pipeline, { topics: ['a', 'b', 'c', 'd'], text: 'is the sky blue?' }, prices);
  const step = (id: string) => forecast.steps.find((candidate) => candidate.id === id)!;
  // 3 replicates and their judge; 4 items; one AUTO decision and the answer; 1-6 agent turns.
  expect(step('vote').calls).toEqual({ low: 4, expected: 4, high: 4 });
  expect(step('each').calls).toEqual({ low: 4, expected: 4, high: 4 });
  expect(step('picked').calls).toEqual({ low: 2, expected: 2, high: 2 });
  expect(step('agent').calls).toEqual({ low: 1, expected: 2, high: 6 });
  expect(step('each').output_tokens.expected).toBe(4 * 30);
  for (const id of ['vote', 'each', 'picked', 'agent']) {
    const tokens = step(id);
    expect(tokens.input_tokens.low).toBeLessThanOrEqual(tokens.input_tokens.expected);
    expect(tokens.input_tokens.expected).toBeLessThanOrEqual(tokens.input_tokens.high);
  }
  expect(forecast.tokens.expected).toBe(forecast.input_tokens.expected + forecast.output_tokens.expected);
  expect(step('vote').cost_usd.expected).toBeCloseTo((step('vote').input_tokens.expected + step('vote').output_tokens.expected) / 1000);
  expect(forecast.assumptions).toEqual(
    expect.arrayContaining([
      "step 'agent': an agent takes 1–6 turns (max_turns), 2 expected; each turn re-reads the conversation",
      "step 'each': its prompt asks for a short answer: ~30 tokens expected",
      'no list price for mystery in models.yaml: counted as $0',
    ]),
  );
  expect(forecastRun(pipeline, { text: 'x' }, prices).assumptions).toContain("step 'each': for_each over a list known only at run time: 1–10 items, 3 expected");
  expect(lengthHint('Write a title of at most eight words.')).toBe(14);
});

test("a loop's block is counted once per item, or between one and max_iterations iterations for while", () => {
  const pipeline = compileYaml(`
name: looped
inputs: { topics: array }
config: { model: paid, max_tokens: 100 }
steps:
  - id: each
    for_each: "{{ inputs.topics }}"
    steps:
      - id: draft
        action: "Write about {{ item }} in one sentence"
      - id: review
        action: "Review {{ draft.result }} in one sentence"
  - id: polish
    while: "{{ polish.iteration < 2 }}"
    max_iterations: 4
    steps:
      - id: pass
        action: "Polish the text in one sentence"
`);
  const forecast = forecastRun(pipeline, { topics: ['a', 'b', 'c'] }, prices);
  const step = (id: string) => forecast.steps.find((candidate) => candidate.id === id)!;
  // Two calls per item, three items; one call per iteration, 1-4 iterations, 2 expected.
  expect(step('each').calls).toEqual({ low: 6, expected: 6, high: 6 });
  expect(step('each').output_tokens.expected).toBe(6 * 30);
  expect(step('polish').calls).toEqual({ low: 1, expected: 2, high: 4 });
  expect(step('each').basis).toBe('its block of 2 step(s) × 3/3/3 iterations');
  expect(forecast.input_tokens.expected).toBe(step('each').input_tokens.expected + step('polish').input_tokens.expected);
  expect(forecast.assumptions).toContain("step 'polish': a while loop runs 1–4 iterations (max_iterations), 2 expected");
  expect(forecast.assumptions.join('\n')).not.toMatch(/not counted yet/);
});

test("a child pipeline's own calls are counted when its file is known before the run", () => {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'orc-forecast-child-'));
  fs.writeFileSync(
    path.join(folder, 'child.yaml'),
    'name: child\ninputs: { topic: string }\nconfig: { model: paid, max_tokens: 100 }\nsteps:\n  - id: outline\n    action: "Outline {{ inputs.topic }} in one sentence"\n  - id: draft\n    action: "Draft {{ outline.result }} in one sentence"\n',
  );
  fs.writeFileSync(
    path.join(folder, 'parent.yaml'),
    'name: parent\ninputs: { name: string }\nconfig: { model: paid }\nsteps:\n  - id: known\n    action: pipeline\n    parameters: { file: child.yaml, inputs: { topic: tides } }\n  - id: unknown\n    action: pipeline\n    parameters: { file: "{{ inputs.name }}.yaml" }\n',
  );
  const parent = compilePipelineFile(path.join(folder, 'parent.yaml'));
  if (!parent.ok) throw new Error(JSON.stringify(parent.diagnostics));
  const forecast = forecastRun(parent.pipeline, { name: 'child' }, { ...prices, childPipeline: childPipelineOf });
  const known = forecast.steps.find((step) => step.id === 'known')!;
  expect(known).toMatchObject({ calls: { low: 2, expected: 2, high: 2 }, basis: "child pipeline 'child'" });
  expect(known.output_tokens.expected).toBe(2 * 30);
  expect(known.cost_usd.expected).toBeCloseTo((known.input_tokens.expected + known.output_tokens.expected) / 1000);
  expect(forecast.steps.find((step) => step.id === 'unknown')!.calls.expected).toBe(0);
  expect(forecast.assumptions).toContain("step 'unknown': a child pipeline whose file is known only at run time: its own calls are not counted");
  fs.rmSync(folder, { recursive: true, force: true });
});

test("a child pipeline file is compiled once while it is unchanged, and again once it changes", () => {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'orc-forecast-child-cache-'));
  try {
    const childFile = path.join(folder, 'child.yaml');
    const child = (name: string): string => `name: ${name}\nconfig: { model: paid, max_tokens: 100 }\nsteps:\n  - id: outline\n    action: "Outline tides in one sentence"\n`;
    fs.writeFileSync(childFile, child('first'));
    fs.writeFileSync(path.join(folder, 'parent.yaml'), 'name: parent\nconfig: { model: paid }\nsteps:\n  - id: known\n    action: pipeline\n    parameters: { file: child.yaml }\n');
    const parent = compilePipelineFile(path.join(folder, 'parent.yaml'));
    if (!parent.ok) throw new Error(JSON.stringify(parent.diagnostics));
    const step = parent.pipeline.steps[0]!;

    const first = childPipelineOf(step, parent.pipeline)!;
    expect(first.pipeline.name).toBe('first');
    // Unchanged: the same compiled pipeline, not a new compilation.
    expect(childPipelineOf(step, parent.pipeline)!.pipeline).toBe(first.pipeline);
    expect(compileChildFile(childFile)).toBe(compileChildFile(childFile));

    // Changed (new content, new modification time): compiled again.
    fs.writeFileSync(childFile, child('second'));
    const later = new Date(Date.now() + 60_000);
    fs.utimesSync(childFile, later, later);
    const second = childPipelineOf(step, parent.pipeline)!;
    expect(second.pipeline).not.toBe(first.pipeline);
    expect(second.pipeline.name).toBe('second');
    expect(childPipelineOf(step, parent.pipeline)!.pipeline).toBe(second.pipeline);

    // Touched only (same content, new modification time): compiled again too, as the file may have changed.
    const touched = new Date(Date.now() + 120_000);
    fs.utimesSync(childFile, touched, touched);
    const third = childPipelineOf(step, parent.pipeline)!;
    expect(third.pipeline).not.toBe(second.pipeline);
    expect(third.pipeline).toEqual(second.pipeline);

    // Gone: no child, and nothing stale served.
    fs.rmSync(childFile);
    expect(childPipelineOf(step, parent.pipeline)).toBeUndefined();
  } finally {
    fs.rmSync(folder, { recursive: true, force: true });
  }
});

test("past runs are listed once per reading: runs this process saw end count at once, other runs from the next reading", async () => {
  const usage = (tokens: number) => ({ input_tokens: tokens, output_tokens: 1, cost_usd: 0 });
  const resultOf = (runId: string, tokens: number): RunResult =>
    ({ run_id: runId, pipeline: 'p', status: 'completed', steps: { s: { status: 'completed', usage: usage(tokens) } } }) as unknown as RunResult;
  const stored: Record<string, RunResult> = { old: resultOf('old', 7) };
  let listed = ['old'];
  const list = jest.fn(async () => listed.map((run_id) => ({ run_id })));
  const orchestrator = { list } as unknown as Orchestrator;
  const client = { workflow: { getHandle: (id: string) => ({ result: async () => stored[id] }) } } as unknown as Client;
  const tokensSeen = async (now: number) => (await pastStepUsage(orchestrator, client, 'p', now)).get('s')?.map((each) => each.input_tokens);

  expect(await tokensSeen(0)).toEqual([7]);
  // A run of this process ends: the next start learns from it without asking the server.
  rememberCompletedRun(orchestrator, resultOf('mine', 20));
  expect(await tokensSeen(1_000)).toEqual([20, 7]);
  expect(list).toHaveBeenCalledTimes(1);
  // A run another process completed is seen once the reading is older than PAST_RUNS_READING_MS.
  stored.theirs = resultOf('theirs', 30);
  listed = ['theirs', 'mine', 'old'];
  expect(await tokensSeen(PAST_RUNS_READING_MS - 1)).toEqual([20, 7]);
  expect(await tokensSeen(PAST_RUNS_READING_MS)).toEqual([30, 20, 7]);
  expect(list).toHaveBeenCalledTimes(2);
  // A failed run is no example of what the pipeline uses.
  rememberCompletedRun(orchestrator, { ...resultOf('broken', 99), status: 'failed' } as RunResult);
  expect(await tokensSeen(PAST_RUNS_READING_MS + 1)).toEqual([30, 20, 7]);
});

test('orc compile --estimate prints low/expected/high per step and for the run, and its assumptions', async () => {
  const result = await runOrc(['compile', 'pipelines/summarize.yaml', '--estimate', '--json', '--input-file', 'pipelines/inputs/summarize.json'], orcEnvironment({ ORC_DEV_SERVER_PORT: '1' }));
  expect(result.code).toBe(0);
  const { forecast } = JSON.parse(result.stdout) as { forecast: RunResult['forecast'] & object };
  expect(forecast.steps.map((step) => step.id)).toEqual(['summary', 'keywords', 'title']);
  expect(forecast.tokens.low).toBeLessThan(forecast.tokens.expected);
  expect(forecast.tokens.expected).toBeLessThan(forecast.tokens.high);
  expect(forecast.assumptions).toContain('no past runs of this pipeline: figures come from the rendered prompts and max_tokens');
  const text = await runOrc(['compile', 'pipelines/summarize.yaml', '--estimate'], orcEnvironment({ ORC_DEV_SERVER_PORT: '1' }));
  expect(text.stdout).toMatch(/^summary\s+1\/1\/1/m);
  expect(text.stdout).toContain('inputs not given (text)');
});

describe('a run', () => {
  const model = new ScriptedModel(() => ({ text: 'a short answer' }));
  const taskQueue = `forecast-${process.pid}`;
  const orchestrator = sharedServerOrchestrator(taskQueue, { models: resolverFor(model), logLevel: 'ERROR' });
  afterAll(() => orchestrator.close());

  test('holds its forecast beside its usage, in orc status --json too; the next run learns from it', async () => {
    const name = `forecast_${process.pid}`;
    const pipeline = compileYaml(`
name: ${name}
config: { max_tokens: 50 }
steps:
  - id: answer
    action: "Answer in one sentence: why is the sky blue?"
`);
    const first = await orchestrator.execute(pipeline, {}, { defaultModel: 'fake:scripted' });
    expect(first.forecast!.steps[0]).toMatchObject({ id: 'answer', basis: 'rendered prompt and max_tokens' });
    expect(Object.keys(first)).toEqual(expect.arrayContaining(['usage', 'forecast']));
    const status = await runOrc(['status', first.run_id, '--json'], orcEnvironment({ TEMPORAL_ADDRESS: process.env.ORC_TEST_TEMPORAL_ADDRESS! }));
    const shown = JSON.parse(status.stdout) as RunResult;
    expect(shown.usage).toEqual({ input_tokens: 10, output_tokens: 5, cost_usd: 0 });
    expect(shown.forecast!.tokens.expected).toBe(first.forecast!.tokens.expected);
    const second = await orchestrator.execute(pipeline, {}, { defaultModel: 'fake:scripted' });
    expect(second.forecast!.steps[0]).toMatchObject({ basis: 'past runs (1)', input_tokens: expect.objectContaining({ expected: 10 }), output_tokens: expect.objectContaining({ expected: 5 }) });
  }, 120_000);
});
