// The large-value runs (spec section 12), shared by the folder-store and PostgreSQL test files: one `orc run`
// through the CLI against the shared dev server, a worker of this process, and a scan of every history it made.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import type { RunResult } from '../../src/client';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { createPipelineWorker, type PipelineWorker } from '../../src/worker/worker';
import { openRunStore, type RunStore } from '../../src/store/run-store';
import { STORED_PAYLOAD_THRESHOLD, storedValueKeyOf } from '../../src/store/stored-payloads';
import type { Payload } from '@temporalio/common';
import { orcEnvironment, startOrc, type CommandResult } from './cli';
import { randomUUID } from 'node:crypto';

const everythingServer = path.join(path.dirname(require.resolve('@modelcontextprotocol/server-everything/package.json')), 'dist', 'index.js');

export const MB = 1_000_000;

/** Every large case in one run: 5 MB input and echo, 100 MB printed, 300 × 20 KB for_each, a 3 MB MCP answer. */
export const LARGE_PIPELINE = `
name: large_values
config: { model: echo, max_parallel: 20 }
inputs:
  text: { type: string, required: true }
  message: { type: string, required: true }
  items: { type: array, required: true }
  pad: { type: string, required: true }
mcp_servers:
  everything: { command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(everythingServer)}, stdio] }
steps:
  - id: echo_big
    action: "{{ text }}"
  - id: flood
    action: run_code
    parameters:
      language: python
      timeout: 180
      code: |
        import sys
        sys.stdout.write("{{ text[:60] }}\\n")
        line = "y" * 1023 + "\\n"
        for _ in range(100 * 1024):
            sys.stdout.write(line)
  - id: each
    action: "{{ item }}:{{ pad }}"
    for_each: "{{ items }}"
  - id: tool
    action: mcp
    parameters: { server: everything, tool: echo, arguments: { message: "{{ message }}" } }
outputs:
  echoed_length: "{{ echo_big.result | length }}"
`;

export const CEILING_PIPELINE = `
name: over_ceiling
config: { model: echo }
inputs:
  text: { type: string, required: true }
steps:
  - id: small
    action: "short"
  - id: huge
    action: "{{ text }}"
`;

export interface LargeInputs {
  text: string;
  message: string;
  items: string[];
  pad: string;
}

/**
 * Stored values are named by their content, and every test file's runs share one dev server: without a mark of
 * its own, another file's open run holding the same 5 MB text would keep this file's values from `orc gc`.
 */
const CONTENT_MARK = `${process.pid}-${randomUUID()}`;

export function largeInputs(): LargeInputs {
  return {
    text: `${CONTENT_MARK} ${'T'.repeat(5 * MB)}`,
    message: `${CONTENT_MARK} ${'M'.repeat(3 * MB)}`,
    items: Array.from({ length: 300 }, (_, index) => `item-${index}`),
    pad: `${CONTENT_MARK} ${'p'.repeat(20_000)}`.slice(0, 20_000),
  };
}

export interface LargeValueHarness {
  directory: string;
  store: RunStore;
  worker: PipelineWorker;
  workerRun: Promise<void>;
  taskQueue: string;
  client: Client;
  connection: Connection;
  /** `orc run FILE --input-file INPUTS --json` on the shared server, on this harness's queue and store. */
  runCli(pipelineYaml: string, inputs: object, extra?: Record<string, string>): Promise<CommandResult & { seconds: number; inputBytes: number }>;
  close(): Promise<void>;
}

let bundled: Promise<{ code: string }> | undefined;

/** The workflow bundled from source once per test file: every worker of the file runs the same code. */
export function workflowBundle(): Promise<{ code: string }> {
  bundled ??= bundleWorkflowCode({ workflowsPath: require.resolve('../../src/workflows'), logger: new DefaultLogger('WARN') });
  return bundled;
}

/** A worker of this process on its own queue and the given store (ORC_STORE_URL), plus a client for histories. */
export async function startLargeValueHarness(
  name: string,
  storeUrl: string,
  options: { maxValueBytes?: number; /** What the worker uses instead of the store itself (a store that fails, say). */ workerStore?: (store: RunStore) => RunStore } = {},
): Promise<LargeValueHarness> {
  const address = process.env.ORC_TEST_TEMPORAL_ADDRESS!;
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), `orc-${name}-`));
  const taskQueue = `${name}-${process.pid}`;
  const store = openRunStore(storeUrl, directory);
  const worker = await createPipelineWorker({
    address,
    taskQueue,
    workflowBundle: await workflowBundle(),
    store: options.workerStore ? options.workerStore(store) : store,
    ...(options.maxValueBytes !== undefined ? { maxValueBytes: options.maxValueBytes } : {}),
  });
  const workerRun = worker.run();
  // 300 items of 20 KB in and 20 KB out make a 12 MB history: more than gRPC's default 4 MB message.
  const connection = await Connection.connect({ address, channelArgs: { 'grpc.max_receive_message_length': 128 * 1024 * 1024 } });
  const client = new Client({ connection });
  return {
    directory,
    store,
    worker,
    workerRun,
    taskQueue,
    client,
    connection,
    async runCli(pipelineYaml, inputs, extra = {}) {
      const pipelineFile = path.join(directory, `${name}.yaml`);
      const inputFile = path.join(directory, `${name}-inputs.json`);
      fs.writeFileSync(pipelineFile, pipelineYaml);
      fs.writeFileSync(inputFile, JSON.stringify(inputs));
      const started = Date.now();
      const child = startOrc(
        ['run', pipelineFile, '--input-file', inputFile, '--json'],
        orcEnvironment({ TEMPORAL_ADDRESS: address, ORC_TASK_QUEUE: taskQueue, ORC_STORE_URL: storeUrl, ORC_DATA_DIR: directory, ...extra }),
      );
      const output = await child.done;
      return { ...output, seconds: (Date.now() - started) / 1000, inputBytes: fs.statSync(inputFile).size };
    },
    async close() {
      await worker.shutdown();
      await workerRun.catch(() => undefined);
      await connection.close();
      await store.close();
      fs.rmSync(directory, { recursive: true, force: true });
    },
  };
}

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** The bytes a payload takes in history: its data and metadata. */
function payloadBytes(payload: Payload): number {
  let bytes = payload.data?.length ?? 0;
  for (const [key, value] of Object.entries(payload.metadata ?? {})) bytes += key.length + value.length;
  return bytes;
}

/** Every payload under a history event, found by shape (an object with `data` bytes and `metadata`). */
function payloadsIn(node: unknown, found: Payload[] = []): Payload[] {
  if (node === null || typeof node !== 'object' || node instanceof Uint8Array) return found;
  const candidate = node as { data?: unknown; metadata?: unknown };
  if (candidate.data instanceof Uint8Array && typeof candidate.metadata === 'object') found.push(candidate as Payload);
  else for (const value of Object.values(node)) payloadsIn(value, found);
  return found;
}

async function historyPayloads(client: Client, workflowId: string): Promise<Payload[]> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? []).flatMap((event) => payloadsIn(event));
}

export interface HistoryScan {
  workflows: number;
  events: number;
  payloads: number;
  largestPayload: number;
}

/** Reads the raw history of a run and of every child workflow and continued run it started. */
export async function scanHistories(client: Client, workflowId: string): Promise<HistoryScan> {
  const scan: HistoryScan = { workflows: 0, events: 0, payloads: 0, largestPayload: 0 };
  const pending: Array<{ workflowId: string; runId?: string }> = [{ workflowId }];
  while (pending.length > 0) {
    const next = pending.shift()!;
    const history = await client.workflow.getHandle(next.workflowId, next.runId).fetchHistory();
    scan.workflows++;
    for (const event of (history.events ?? []) as HistoryEvent[]) {
      scan.events++;
      const sizes = payloadsIn(event).map(payloadBytes);
      scan.payloads += sizes.length;
      scan.largestPayload = Math.max(scan.largestPayload, ...sizes);
      const child = event.childWorkflowExecutionStartedEventAttributes?.workflowExecution;
      if (child?.workflowId) pending.push({ workflowId: child.workflowId, ...(child.runId ? { runId: child.runId } : {}) });
      const continued = event.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
      if (continued) pending.push({ workflowId: next.workflowId, runId: continued });
    }
  }
  return scan;
}

/** The run-store keys a run's history references (its own, not its children's). */
export async function referencedKeys(client: Client, workflowId: string): Promise<Set<string>> {
  return new Set((await historyPayloads(client, workflowId)).map(storedValueKeyOf).filter((key): key is string => key !== null));
}

/** A reference payload of a run's history (the first one), as the Web UI would send it to a codec server. */
export async function firstReferencePayload(client: Client, workflowId: string): Promise<Payload> {
  const found = (await historyPayloads(client, workflowId)).find((payload) => storedValueKeyOf(payload) !== null);
  if (!found) throw new Error(`no reference payload in the history of ${workflowId}`);
  return found;
}

/** Runs the large pipeline through the CLI and checks what a user and the history see. */
export async function expectLargeValuesRun(harness: LargeValueHarness): Promise<string> {
  const inputs = largeInputs();
  const output = await harness.runCli(LARGE_PIPELINE, inputs, {});
  if (output.code !== 0) throw new Error(`orc run failed (${output.code}): ${output.stderr.slice(-2000)} ${output.stdout.replace(/[TMpy]{200,}/g, '…')}`);
  const result = JSON.parse(output.stdout) as RunResult;
  expect(result.status).toBe('completed');
  const echoed = result.steps.echo_big!.result as string;
  expect(echoed.length).toBeGreaterThanOrEqual(5 * MB);
  expect(echoed).toContain(inputs.text);
  const flood = result.steps.flood!.result as { stdout: string };
  expect(flood.stdout.length).toBeGreaterThanOrEqual(1024 * 1024);
  expect(flood.stdout).toContain('orc: output truncated');
  const each = result.steps.each!.result as string[];
  expect(each).toHaveLength(300);
  expect(each[299]).toBe(`item-299:${inputs.pad}`);
  const tool = result.steps.tool!.result as { text: string };
  expect(tool.text.length).toBeGreaterThanOrEqual(3 * MB);
  expect(tool.text).toContain(inputs.message);
  expect(result.outputs.echoed_length).toBe(String(echoed.length));

  const scan = await scanHistories(harness.client, result.run_id);
  expect(scan.payloads).toBeGreaterThan(300);
  expect(scan.largestPayload).toBeLessThan(STORED_PAYLOAD_THRESHOLD);
  process.stdout.write(
    `large values (${harness.store.location}): input file ${(output.inputBytes / MB).toFixed(1)} MB, result ${(output.stdout.length / MB).toFixed(1)} MB, ` +
      `orc run ${output.seconds.toFixed(1)} s; history: ${scan.workflows} workflow(s), ${scan.events} events, ${scan.payloads} payloads, largest ${scan.largestPayload} bytes\n`,
  );
  return result.run_id;
}
