// docker-compose.yml's topology as processes (no registry images here): a Temporal dev server, three `orc worker`
// processes sharing one PostgreSQL run store, 30 concurrent runs, and one worker killed with SIGKILL mid-way.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { Orchestrator } from '../../src/client';
import type { RunProgress } from '../../src/base/run-types';
import { orcEnvironment, startOrc, waitFor } from '../helpers/cli';
import { FakeOpenAIServer } from '../helpers/fake-openai';
import { startPostgres, type PostgresServer } from '../helpers/postgres';

const RUNS = 30;
const STEPS = ['draft', 'refine', 'final'] as const;
const address = process.env.ORC_TEST_TEMPORAL_ADDRESS!;
const taskQueue = `cluster-${process.pid}`;
const yaml = `name: fleet
inputs: { n: integer }
config: { model: "openai:gpt-4o-mini", timeout: 5s, max_retries: 5 }
steps:
  - id: draft
    action: "DRAFT {{ inputs.n }}"
    cache_results: true
  - id: refine
    action: "REFINE {{ draft.result }}"
  - id: final
    action: "FINAL {{ refine.result }}"
`;

const fake = new FakeOpenAIServer();
let postgres: PostgresServer;
let directory: string;
const workers: Array<ReturnType<typeof startOrc>> = [];

/** The prompt each step of run `n` sends (the fake answers `done(<prompt>)`). */
function promptsOf(n: number): Record<(typeof STEPS)[number], string> {
  const draft = `DRAFT ${n}`;
  const refine = `REFINE done(${draft})`;
  return { draft, refine, final: `FINAL done(${refine})` };
}

beforeAll(async () => {
  directory = fs.mkdtempSync(path.join(os.tmpdir(), 'orc-cluster-'));
  fake.delayMs = 700;
  const fakeUrl = await fake.start();
  postgres = await startPostgres();
  for (let index = 0; index < 3; index++) {
    const dataDirectory = path.join(directory, `worker-${index}`);
    workers.push(
      startOrc(
        ['worker'],
        orcEnvironment({
          TEMPORAL_ADDRESS: address,
          ORC_TASK_QUEUE: taskQueue,
          ORC_STORE_URL: postgres.url,
          ORC_DATA_DIR: dataDirectory,
          OPENAI_API_KEY: 'sk-test-cluster',
          OPENAI_BASE_URL: fakeUrl,
        }),
      ),
    );
  }
  await waitFor(() => workers.every((worker) => worker.output.stderr.includes('orc worker polling') || worker.exitCode !== null), 120_000, 'three workers to start');
  for (const worker of workers) if (worker.exitCode !== null) throw new Error(`orc worker exited: ${worker.output.stderr}`);
}, 180_000);

afterAll(async () => {
  for (const worker of workers) {
    if (worker.exitCode === null && worker.signalCode === null) worker.kill('SIGINT');
    await worker.done;
  }
  await postgres?.stop();
  await fake.stop();
  fs.rmSync(directory, { recursive: true, force: true });
});

test('30 concurrent runs on three workers sharing PostgreSQL all complete after one worker is killed; no completed step calls its model twice', async () => {
  const orchestrator = new Orchestrator({ address, taskQueue, worker: false });
  try {
    const pipeline = orchestrator.compile(yaml);
    const handles = await Promise.all(
      Array.from({ length: RUNS }, async (_, n) => (await orchestrator.start(pipeline, { n }, { runId: `fleet-${process.pid}-${n}` })).handle),
    );
    // Mid-way: some steps have answered, and most of the work is still to do.
    await waitFor(() => fake.calls.filter((call) => call.answeredAt).length >= 20, 120_000, 'twenty model answers');
    const before = await Promise.all(handles.map((handle) => handle.query<RunProgress>('status')));
    workers[0]!.kill('SIGKILL');
    const completedBeforeKill = before.flatMap((progress, n) =>
      STEPS.filter((step) => progress.steps[step]?.status === 'completed').map((step) => promptsOf(n)[step]),
    );
    expect(completedBeforeKill.length).toBeGreaterThan(0);
    expect(completedBeforeKill.length).toBeLessThan(RUNS * STEPS.length);

    const results = await Promise.all(handles.map((handle) => orchestrator.follow(handle)));
    expect(results.map((result) => result.status)).toEqual(Array.from({ length: RUNS }, () => 'completed'));
    results.forEach((result, n) => expect(result.steps.final!.result).toBe(`done(${promptsOf(n).final})`));
    // A step whose result the workflow had recorded is never asked again, whichever worker replays the run.
    for (const prompt of completedBeforeKill) expect({ prompt, calls: fake.callsFor(prompt).length }).toEqual({ prompt, calls: 1 });
    // The workers shared one store: every run's cached `draft` step has its entry in PostgreSQL.
    const client = new Client({ connectionString: postgres.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ count: string }>('SELECT count(*) FROM orc_cache_entries');
      expect(Number(rows[0]!.count)).toBe(RUNS);
    } finally {
      await client.end();
    }
  } finally {
    await orchestrator.close();
  }
}, 300_000);
