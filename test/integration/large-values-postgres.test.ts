// The large-value run of large-values.test.ts with ORC_STORE_URL pointing at a real PostgreSQL server: the CLI and
// two workers, each with its own data directory and its own connection pool, share the values through it.
import type { RunStore } from '../../src/store/run-store';
import { openRunStore } from '../../src/store/run-store';
import { createPipelineWorker, type PipelineWorker } from '../../src/worker/worker';
import { expectLargeValuesRun, startLargeValueHarness, workflowBundle, type LargeValueHarness } from '../helpers/large-values';
import { startPostgres, type PostgresServer } from '../helpers/postgres';

let postgres: PostgresServer;
let harness: LargeValueHarness;
let secondStore: RunStore;
let secondWorker: PipelineWorker;
let secondRun: Promise<void>;

beforeAll(async () => {
  postgres = await startPostgres();
  harness = await startLargeValueHarness('large-values-postgres', postgres.url);
  // A second worker on the same task queue: activities land on either worker, so each reads values the other wrote.
  secondStore = openRunStore(postgres.url, `${harness.directory}/second-worker`);
  secondWorker = await createPipelineWorker({
    address: process.env.ORC_TEST_TEMPORAL_ADDRESS!,
    taskQueue: harness.taskQueue,
    workflowBundle: await workflowBundle(),
    store: secondStore,
  });
  secondRun = secondWorker.run();
}, 120_000);

afterAll(async () => {
  await secondWorker?.shutdown();
  await secondRun?.catch(() => undefined);
  await secondStore?.close();
  await harness?.close();
  await postgres?.stop();
});

test('the large-value run completes with its values in PostgreSQL, shared by the CLI and two workers', async () => {
  await expectLargeValuesRun(harness);
  expect(harness.store.location).toMatch(/^postgres:\/\/orc@127\.0\.0\.1:\d+\/postgres$/);
}, 300_000);
