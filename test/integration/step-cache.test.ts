// The step result cache (spec section 9) in real runs on the shared dev server: the wire-protocol OpenAI fake
// counts model requests, a folder run store counts lookups, real Docker runs code, a real MCP server runs a tool,
// and a worker process killed right after its cache write shows the retried attempt takes the stored answer.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from '@temporalio/worker';
import { Orchestrator, type RunResult } from '../../src/client';
import type { CompiledPipeline } from '../../src/compiler';
import { FileRunStore } from '../../src/store/file-run-store';
import { orcEnvironment, runOrc, startOrc } from '../helpers/cli';
import { freePort } from '../helpers/ports';
import { compileYaml } from '../helpers/compile';
import { FakeOpenAIServer } from '../helpers/fake-openai';
import { sharedServerOrchestrator } from '../helpers/orchestrator';
import { runMetricsSinks } from '../../src/worker/run-metrics-sink';

/** The folder store, counting the cache lookups made through it. */
class CountingStore extends FileRunStore {
  lookups = 0;
  override getCacheEntry(key: string, now: Date) {
    this.lookups++;
    return super.getCacheEntry(key, now);
  }
}

const fake = new FakeOpenAIServer();
const taskQueue = `step-cache-${process.pid}`;
let storeDirectory: string;
let store: CountingStore;
let orchestrator: Orchestrator;

beforeAll(async () => {
  fake.delayMs = 10;
  process.env.OPENAI_BASE_URL = await fake.start();
  process.env.OPENAI_API_KEY = 'sk-test-step-cache';
  storeDirectory = fs.mkdtempSync(path.join(os.tmpdir(), 'orc-step-cache-'));
  store = new CountingStore(storeDirectory);
  orchestrator = sharedServerOrchestrator(taskQueue, { store });
  await orchestrator.connect();
});

afterAll(async () => {
  await orchestrator?.close();
  await fake.stop();
  fs.rmSync(storeDirectory, { recursive: true, force: true });
});

const STEPS = ['one', 'two', 'three', 'four', 'five'];

/** A chain of five cached steps, each reading the one before; `fourth` is the fourth step's own words. */
function fiveSteps(name: string, fourth = 'FOUR'): CompiledPipeline {
  const action = (id: string, index: number): string => {
    const words = id === 'four' ? fourth : id.toUpperCase();
    return index === 0 ? `${words} about {{ inputs.topic }}` : `${words} after {{ ${STEPS[index - 1]}.result }}`;
  };
  return compileYaml(`
name: ${name}
inputs: { topic: string }
config: { model: "openai:fake-model", cache_results: true }
steps:
${STEPS.map((id, index) => `  - id: ${id}\n    action: "${action(id, index)}"\n`).join('')}
outputs:
  last: "{{ five.result }}"
`);
}

function prompts(from: number): string[] {
  return fake.calls.slice(from).map((call) => call.prompt);
}

let firstRun: RunResult;
let cachedRun: RunResult;

test('a 5-step pipeline run twice: the second run sends no request, and every step is a hit that cost nothing', async () => {
  const before = fake.calls.length;
  firstRun = await orchestrator.execute(fiveSteps('five_cached'), { topic: 'tea' });
  expect(firstRun.status).toBe('completed');
  expect(fake.calls.length - before).toBe(5);
  for (const id of STEPS) {
    expect(firstRun.steps[id]!.cache).toEqual({ hit: false, key: expect.stringMatching(/^sha256:[0-9a-f]{64}$/), stored_at: expect.any(String) });
    expect(firstRun.steps[id]!.usage).toMatchObject({ input_tokens: 10, output_tokens: 5 });
  }
  expect(new Set(STEPS.map((id) => firstRun.steps[id]!.cache!.key)).size).toBe(5);

  const lookupsBefore = store.lookups;
  const again = fake.calls.length;
  cachedRun = await orchestrator.execute(fiveSteps('five_cached'), { topic: 'tea' });
  expect(cachedRun.status).toBe('completed');
  expect(fake.calls.length - again).toBe(0);
  for (const id of STEPS) {
    expect(cachedRun.steps[id]!.cache).toEqual({ ...firstRun.steps[id]!.cache, hit: true });
    expect(cachedRun.steps[id]!.result).toEqual(firstRun.steps[id]!.result);
    expect(cachedRun.steps[id]!.model).toBe('openai:fake-model');
    expect(cachedRun.steps[id]!.usage).toEqual({ input_tokens: 0, output_tokens: 0, cost_usd: 0 });
  }
  expect(cachedRun.usage).toEqual({ input_tokens: 0, output_tokens: 0, cost_usd: 0 });
  expect(cachedRun.outputs).toEqual(firstRun.outputs);
  // One lookup per step, made by its activity.
  expect(store.lookups - lookupsBefore).toBe(5);
});

test('replaying the history of a run with hits makes no lookup and replays cleanly', async () => {
  const history = await (await orchestrator.connect()).workflow.getHandle(cachedRun.run_id).fetchHistory();
  const lookupsBefore = store.lookups;
  await Worker.runReplayHistory({ workflowsPath: require.resolve('../../src/workflows'), sinks: runMetricsSinks() }, history, cachedRun.run_id);
  expect(store.lookups).toBe(lookupsBefore);
});

test("another pipeline with the 4th step's prompt changed: only steps 4 and 5 call the model; steps 1-3 share the first pipeline's entries", async () => {
  const before = fake.calls.length;
  const edited = await orchestrator.execute(fiveSteps('five_edited', 'FOUR CHANGED'), { topic: 'tea' });
  expect(edited.status).toBe('completed');
  expect(prompts(before)).toEqual([`FOUR CHANGED after ${firstRun.steps.three!.result as string}`, `FIVE after done(FOUR CHANGED after ${firstRun.steps.three!.result as string})`]);
  expect(STEPS.map((id) => edited.steps[id]!.cache!.hit)).toEqual([true, true, true, false, false]);
  expect(edited.steps.one!.cache!.key).toBe(firstRun.steps.one!.cache!.key);
  expect(edited.usage).toMatchObject({ input_tokens: 20, output_tokens: 10 });
});

test('noCache (orc run --no-cache) reads no entry, calls every model again and stores the new answers', async () => {
  const before = fake.calls.length;
  const lookupsBefore = store.lookups;
  const fresh = await orchestrator.execute(fiveSteps('five_cached'), { topic: 'tea' }, { noCache: true });
  expect(fresh.status).toBe('completed');
  expect(fake.calls.length - before).toBe(5);
  expect(store.lookups).toBe(lookupsBefore);
  for (const id of STEPS) {
    expect(fresh.steps[id]!.cache).toMatchObject({ hit: false, key: firstRun.steps[id]!.cache!.key });
    expect(Date.parse(fresh.steps[id]!.cache!.stored_at!)).toBeGreaterThan(Date.parse(firstRun.steps[id]!.cache!.stored_at!));
  }
  const after = await orchestrator.execute(fiveSteps('five_cached'), { topic: 'tea' });
  expect(STEPS.map((id) => after.steps[id]!.cache!.stored_at)).toEqual(STEPS.map((id) => fresh.steps[id]!.cache!.stored_at));
});

test('run_code and mcp steps hit too: the second run runs no container and starts no tool server', async () => {
  const serverBin = path.join(path.dirname(require.resolve('@modelcontextprotocol/server-everything/package.json')), 'dist', 'index.js');
  const starts = path.join(storeDirectory, 'mcp-starts.log');
  // The stdio server is started by a shell that first notes the start: one line per tool run.
  const launcher = `echo started >> ${starts}; exec ${process.execPath} ${serverBin} stdio`;
  const pipeline = compileYaml(`
name: tools_cached
config: { model: echo, cache_results: true }
mcp_servers:
  everything: { command: sh, args: ["-c", ${JSON.stringify(launcher)}] }
steps:
  - id: code
    action: run_code
    parameters: { language: python, code: "import random; print(random.random())" }
  - id: tool
    action: mcp
    parameters: { server: everything, tool: echo, arguments: { message: "{{ code.result.stdout }}" } }
`);
  const first = await orchestrator.execute(pipeline, {});
  expect(first.status).toBe('completed');
  expect(first.steps.code!.cache).toMatchObject({ hit: false, stored_at: expect.any(String) });
  expect(first.steps.code!.result).not.toHaveProperty('cache');
  expect(first.steps.tool!.cache).toMatchObject({ hit: false, stored_at: expect.any(String) });
  const second = await orchestrator.execute(pipeline, {});
  expect(second.status).toBe('completed');
  // A new container would have printed another random number.
  expect(second.steps.code!.result).toEqual(first.steps.code!.result);
  expect(second.steps.code!.cache).toEqual({ ...first.steps.code!.cache, hit: true });
  expect(second.steps.tool!.result).toEqual(first.steps.tool!.result);
  expect(second.steps.tool!.cache).toEqual({ ...first.steps.tool!.cache, hit: true });
  expect(fs.readFileSync(starts, 'utf8').trim().split('\n')).toHaveLength(1);
}, 120_000);

test('a worker killed (SIGKILL) right after its cache write loses nothing: the retried attempt hits, the model saw one request; the CLI shows hits', async () => {
  const queue = `step-cache-kill-${process.pid}`;
  const killStore = fs.mkdtempSync(path.join(os.tmpdir(), 'orc-step-cache-kill-'));
  const environment = (extra: Record<string, string>) =>
    orcEnvironment({
      TEMPORAL_ADDRESS: process.env.ORC_TEST_TEMPORAL_ADDRESS!,
      ORC_TASK_QUEUE: queue,
      OPENAI_API_KEY: 'sk-test-step-cache',
      OPENAI_BASE_URL: process.env.OPENAI_BASE_URL!,
      ORC_STORE_URL: killStore,
      ...extra,
    });
  const client = new Orchestrator({ address: process.env.ORC_TEST_TEMPORAL_ADDRESS!, taskQueue: queue, worker: false });
  const prompt = `KILL test ${Date.now()}`;
  const pipeline = compileYaml(`
name: killed_after_write
config: { model: gpt-4o-mini, cache_results: true, timeout: 4s }
steps:
  - id: only
    action: "${prompt}"
`);
  try {
    const dying = startOrc(['worker'], environment({ ORC_TEST_EXIT_AFTER_CACHE_WRITE: '1' }));
    const { handle } = await client.start(pipeline, {});
    const died = await dying.done;
    expect(died.code).toBeNull(); // ended by a signal, not by itself
    expect(fake.callsFor(prompt)).toHaveLength(1);
    expect(fs.readdirSync(path.join(killStore, 'cache'), { recursive: true }).filter((file) => String(file).endsWith('.json'))).toHaveLength(1);

    const metricsPort = await freePort();
    const worker = startOrc(['worker', '--metrics-port', String(metricsPort)], environment({ ORC_METRICS_HOST: '127.0.0.1' }));
    try {
      const result = await client.follow(handle);
      expect(result.status).toBe('completed');
      expect(result.steps.only).toMatchObject({ result: `done(${prompt})`, attempts: 2, cache: { hit: true }, usage: { input_tokens: 0, output_tokens: 0 } });
      expect(fake.callsFor(prompt)).toHaveLength(1);

      // The same pipeline from the command line: its progress marks the hit; --no-cache asks the model again.
      const file = path.join(killStore, 'killed.yaml');
      fs.writeFileSync(file, `name: killed_after_write\nconfig: { model: gpt-4o-mini, cache_results: true }\nsteps:\n  - id: only\n    action: "${prompt}"\n`);
      const cached = await runOrc(['run', file], environment({}));
      expect(cached.code === 0 ? '' : cached.stderr).toBe('');
      expect(cached.stderr).toMatch(/✓ only completed [\d.]+s openai:gpt-4o-mini \(cached\)\n/);
      const uncached = await runOrc(['run', file, '--no-cache', '--json'], environment({}));
      expect(JSON.parse(uncached.stdout)).toMatchObject({ status: 'completed', steps: { only: { cache: { hit: false } } } });
      expect(fake.callsFor(prompt)).toHaveLength(2);
      // This worker looked twice (the retried attempt, the cached orc run), and found an entry both times.
      const hits = async (): Promise<number> => {
        const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
        return Number(/^orc_cache_lookups_total\{[^}]*result="hit"[^}]*\} (\d+)/m.exec(text)?.[1] ?? 0);
      };
      let seen = await hits();
      for (let tries = 0; seen !== 2 && tries < 50; tries++) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        seen = await hits();
      }
      expect(seen).toBe(2);
    } finally {
      worker.kill('SIGINT');
      await worker.done;
    }
    // `orc cache clear` empties that store and says how much it held.
    const cleared = await runOrc(['cache', 'clear'], environment({}));
    expect(cleared).toMatchObject({ code: 0, stdout: `Cleared 1 cache entry from ${killStore}\n` });
    expect(fs.readdirSync(path.join(killStore, 'cache'), { recursive: true }).filter((file) => String(file).endsWith('.json'))).toHaveLength(0);
  } finally {
    await client.close();
    fs.rmSync(killStore, { recursive: true, force: true });
  }
}, 120_000);
