// Values past Temporal's 2 MiB payload limit, through real runs on the shared dev server and the folder run store:
// runs complete, `orc run --json` prints full values, no history payload reaches 256 KiB, and the ceiling fails
// its step instead of hanging the run.
import * as os from 'node:os';
import * as path from 'node:path';
import { Orchestrator, type RunResult } from '../../src/client';
import { compileYaml } from '../helpers/compile';
import { orcEnvironment, runOrc, waitFor } from '../helpers/cli';
import {
  CEILING_PIPELINE,
  expectLargeValuesRun,
  firstReferencePayload,
  MB,
  referencedKeys,
  scanHistories,
  startLargeValueHarness,
  type LargeValueHarness,
} from '../helpers/large-values';
import { startCodecServer } from '../../src/store/codec-server';
import { STORED_PAYLOAD_THRESHOLD, storedValueKeyOf } from '../../src/store/stored-payloads';

const storeDirectory = path.join(os.tmpdir(), `orc-large-values-store-${process.pid}`);
let harness: LargeValueHarness;
let closedRunId: string;

beforeAll(async () => {
  harness = await startLargeValueHarness('large-values', storeDirectory);
});

afterAll(async () => {
  await harness?.close();
});

test('5 MB input and echo, 100 MB printed, 300 × 20 KB for_each and a 3 MB MCP answer: full values, small history', async () => {
  closedRunId = await expectLargeValuesRun(harness);
}, 300_000);

test('an open run: status and the codec server give full values, gc keeps them (not a closed run\'s), rerun reads its stored input', async () => {
  const orchestrator = new Orchestrator({ address: process.env.ORC_TEST_TEMPORAL_ADDRESS!, taskQueue: harness.taskQueue, worker: false });
  const previousStore = process.env.ORC_STORE_URL;
  process.env.ORC_STORE_URL = storeDirectory;
  const codec = await startCodecServer({ store: harness.store, allowedOrigins: ['http://localhost:8233'], token: 'secret' });
  try {
    const pipeline = compileYaml(`
name: held_large
config: { model: echo }
inputs:
  text: { type: string, required: true }
steps:
  - id: big
    action: "{{ text }}"
  - id: hold
    depends_on: [big]
    action: approval
    parameters: { prompt: "Keep going?" }
`);
    const text = 'H'.repeat(5 * MB);
    const { handle } = await orchestrator.start(pipeline, { text });
    let progress = await orchestrator.status(handle.workflowId).catch(() => null);
    for (let attempt = 0; attempt < 300 && (progress?.waiting.length ?? 0) === 0; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      progress = await orchestrator.status(handle.workflowId).catch(() => null);
    }
    // The status query's answer (over 5 MB) comes back whole.
    expect(progress!.waiting).toEqual([{ step: 'hold', prompt: 'Keep going?' }]);
    expect((progress!.steps.big!.result as string).length).toBeGreaterThanOrEqual(5 * MB);

    // The Web UI's codec-server call: a reference from the history comes back as the full payload.
    const reference = await firstReferencePayload(harness.client, handle.workflowId);
    const body = JSON.stringify({
      payloads: [{ metadata: Object.fromEntries(Object.entries(reference.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])), data: Buffer.from(reference.data!).toString('base64') }],
    });
    const refused = await fetch(`${codec.url}/decode`, { method: 'POST', body, headers: { 'Content-Type': 'application/json' } });
    expect(refused.status).toBe(401);
    const decoded = await fetch(`${codec.url}/decode`, {
      method: 'POST',
      body,
      headers: { 'Content-Type': 'application/json', Authorization: 'Bearer secret', Origin: 'http://localhost:8233', 'X-Namespace': 'default' },
    });
    expect(decoded.status).toBe(200);
    expect(decoded.headers.get('access-control-allow-origin')).toBe('http://localhost:8233');
    const [payload] = ((await decoded.json()) as { payloads: Array<{ data: string }> }).payloads;
    expect(Buffer.from(payload!.data, 'base64').length).toBeGreaterThanOrEqual(5 * MB);
    expect(storedValueKeyOf({ data: Buffer.from(payload!.data, 'base64'), metadata: {} })).toBeNull();

    // gc with a cutoff of now: the closed run's values go, the open run's stay.
    const openKeys = await referencedKeys(harness.client, handle.workflowId);
    const closedOnly = [...(await referencedKeys(harness.client, closedRunId))].filter((key) => !openKeys.has(key));
    expect(openKeys.size).toBeGreaterThan(0);
    expect(closedOnly.length).toBeGreaterThan(0);
    // gc learns which runs are open from visibility, which is eventually consistent: wait until it lists the
    // closed run as closed (under load it can lag behind the run's end).
    const listedOpen = async (): Promise<number> => {
      let count = 0;
      for await (const execution of harness.client.workflow.list({ query: `WorkflowId = '${closedRunId}' AND ExecutionStatus = 'Running'` })) count += execution ? 1 : 0;
      return count;
    };
    for (let attempt = 0; attempt < 100 && (await listedOpen()) > 0; attempt++) await new Promise((resolve) => setTimeout(resolve, 100));
    const gc = await runOrc(['gc', '--older-than', '1ms'], orcEnvironment({ TEMPORAL_ADDRESS: process.env.ORC_TEST_TEMPORAL_ADDRESS, ORC_STORE_URL: storeDirectory }));
    expect(gc.stderr).toBe('');
    expect(gc.stdout).toMatch(/^gc \(.*\): deleted \d+ value\(s\) .* kept \d+ value\(s\) referenced by \d+ open run\(s\)\n$/);
    for (const key of openKeys) expect(await harness.store.getValue(key)).not.toBeNull();
    const survivors: string[] = [];
    for (const key of closedOnly) if ((await harness.store.getValue(key)) !== null) survivors.push(key);
    expect({ survivors, gc: gc.stdout }).toEqual({ survivors: [], gc: gc.stdout });

    // orc rerun reads the old run's input (a stored 5 MB value) and reuses its completed step.
    await orchestrator.cancel(handle.workflowId);
    await handle.result().catch(() => undefined);
    const rerun = await orchestrator.rerun(handle.workflowId);
    expect(rerun.reused).toEqual(['big']);
    await orchestrator.cancel(rerun.handle.workflowId);
    const cancelled = (await rerun.handle.result().catch(() => orchestrator.status(rerun.handle.workflowId))) as RunResult;
    expect((cancelled.steps.big!.result as string).length).toBeGreaterThanOrEqual(5 * MB);
    process.stdout.write(`gc: ${gc.stdout}`);
  } finally {
    if (previousStore === undefined) delete process.env.ORC_STORE_URL;
    else process.env.ORC_STORE_URL = previousStore;
    await codec.close();
    await orchestrator.close();
  }
}, 180_000);

describe('the ceiling (ORC_MAX_VALUE_BYTES)', () => {
  let ceilingHarness: LargeValueHarness;

  beforeAll(async () => {
    ceilingHarness = await startLargeValueHarness('value-ceiling', path.join(os.tmpdir(), `orc-value-ceiling-store-${process.pid}`), { maxValueBytes: MB });
  });

  afterAll(async () => {
    await ceilingHarness?.close();
  });

  test('a step answering more fails with VALUE_TOO_LARGE naming the step, and orc run returns', async () => {
    const output = await ceilingHarness.runCli(CEILING_PIPELINE, { text: 'x'.repeat(3 * MB) });
    expect(output.code).toBe(1);
    const result = JSON.parse(output.stdout) as RunResult;
    expect(result.status).toBe('failed');
    expect(result.steps.small!.status).toBe('completed');
    expect(result.steps.huge!.status).toBe('failed');
    expect(result.steps.huge!.error).toContain("step 'huge' produced a value of");
    expect(result.steps.huge!.error).toContain('VALUE_TOO_LARGE');
    // Non-retryable: one attempt, not the step's retries.
    expect(result.steps.huge!.attempts).toBe(1);
    const scan = await scanHistories(ceilingHarness.client, result.run_id);
    expect(scan.largestPayload).toBeLessThan(STORED_PAYLOAD_THRESHOLD);
    process.stdout.write(`value ceiling: orc run returned in ${output.seconds.toFixed(1)} s\n`);
  }, 120_000);
});

describe('a run store that cannot be reached for a while', () => {
  let outageHarness: LargeValueHarness;
  let failing = true;
  let refusedWrites = 0;

  beforeAll(async () => {
    outageHarness = await startLargeValueHarness('store-outage', path.join(os.tmpdir(), `orc-store-outage-${process.pid}`), {
      workerStore: (store) => ({
        location: store.location,
        putValue: async (bytes) => {
          if (failing) {
            refusedWrites++;
            throw new Error('connect ECONNREFUSED (the store is down)');
          }
          return store.putValue(bytes);
        },
        getValue: (key) => store.getValue(key),
        getCacheEntry: (key, now) => store.getCacheEntry(key, now),
        putCacheEntry: (entry) => store.putCacheEntry(entry),
        getMemory: (key) => store.getMemory(key),
        putMemory: (key, entry) => store.putMemory(key, entry),
        clearCache: () => store.clearCache(),
        collectGarbage: (before, keep) => store.collectGarbage(before, keep),
        close: () => Promise.resolve(),
      }),
    });
  });

  afterAll(async () => {
    await outageHarness?.close();
  });

  test('the run waits (its workflow task is retried, not spun) and completes with full values once the store is back', async () => {
    // The workflow task that schedules the step must store the step's 3 MB input: it fails while the store is down.
    const running = outageHarness.runCli(CEILING_PIPELINE, { text: 'w'.repeat(3 * MB) });
    await waitFor(() => refusedWrites > 0, 60_000, 'the worker to meet the store outage');
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    const attemptsWhileDown = refusedWrites;
    failing = false;
    const output = await running;
    expect(output.code).toBe(0);
    const result = JSON.parse(output.stdout) as RunResult;
    expect(result.status).toBe('completed');
    expect((result.steps.huge!.result as string).length).toBeGreaterThanOrEqual(3 * MB);
    // A handful of retries in 10 s, not a busy loop.
    expect(attemptsWhileDown).toBeGreaterThan(0);
    expect(attemptsWhileDown).toBeLessThan(50);
    process.stdout.write(`store outage: ${attemptsWhileDown} refused writes in 10 s; orc run returned after ${output.seconds.toFixed(1)} s\n`);
  }, 120_000);
});
