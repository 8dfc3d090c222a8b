// The large-value run of large-values.test.ts with ORC_STORE_URL=s3://… on a real S3-compatible server (moto): the
// CLI and the worker share the values through it. Then the store goes away (a relay in front of the server drops
// every connection) while a run needs it: the run waits, and completes once the store is back.
import * as path from 'node:path';
import type { RunResult } from '../../src/client';
import { S3RunStore } from '../../src/store/s3-run-store';
import { waitFor } from '../helpers/cli';
import { CEILING_PIPELINE, expectLargeValuesRun, MB, scanHistories, startLargeValueHarness, type LargeValueHarness } from '../helpers/large-values';
import { startRelay, startS3Server, type Relay, type S3Server } from '../helpers/s3';
import { STORED_PAYLOAD_THRESHOLD } from '../../src/store/stored-payloads';

let s3: S3Server;
let relay: Relay;

beforeAll(async () => {
  s3 = await startS3Server();
  relay = await startRelay(s3.endpoint);
}, 120_000);

afterAll(async () => {
  await relay?.close();
  await s3?.stop();
});

describe('values in S3', () => {
  let harness: LargeValueHarness;
  beforeAll(async () => {
    harness = await startLargeValueHarness('large-values-s3', s3.url('large'));
  }, 120_000);
  afterAll(async () => {
    await harness?.close();
  });

  test('5 MB input and echo, 100 MB printed, 300 × 20 KB for_each, a 3 MB MCP answer: full values, small history', async () => {
    await expectLargeValuesRun(harness);
    expect(harness.store.location).toBe(`s3://${s3.bucket}/large/`);
  }, 300_000);
});

describe('an S3 store that cannot be reached for a while', () => {
  let harness: LargeValueHarness;
  let workerStore: S3RunStore;
  beforeAll(async () => {
    // The CLI reaches the server itself; the worker reaches it through the relay, which the test takes down.
    harness = await startLargeValueHarness('store-outage-s3', s3.url('outage'), {
      workerStore: () => (workerStore = new S3RunStore(s3.url('outage'), { endpoint: relay.endpoint })),
    });
  }, 120_000);
  afterAll(async () => {
    await harness?.close();
    await workerStore?.close();
  });

  test('the run waits while the store is down and completes with full values once it is back', async () => {
    relay.down();
    // The workflow task that schedules the step must store the step's 3 MB input: it fails while the store is down.
    const running = harness.runCli(CEILING_PIPELINE, { text: 'w'.repeat(3 * MB) });
    await waitFor(() => relay.refused > 0, 60_000, 'the worker to meet the store outage');
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    const refusedWhileDown = relay.refused;
    relay.up();
    const output = await running;
    expect(output.code).toBe(0);
    const result = JSON.parse(output.stdout) as RunResult;
    expect(result.status).toBe('completed');
    expect((result.steps.huge!.result as string).length).toBeGreaterThanOrEqual(3 * MB);
    const scan = await scanHistories(harness.client, result.run_id);
    expect(scan.largestPayload).toBeLessThan(STORED_PAYLOAD_THRESHOLD);
    process.stdout.write(`S3 store outage: ${refusedWhileDown} refused connections in 10 s; orc run returned after ${output.seconds.toFixed(1)} s (${path.basename(s3.endpoint)})\n`);
  }, 180_000);
});
