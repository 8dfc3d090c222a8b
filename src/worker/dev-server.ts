// The embedded Temporal dev server (Temporal CLI `server start-dev`, from setup's venv), started and stopped by orc.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { ORC_SEARCH_ATTRIBUTES, searchAttributeFlag } from '../base/search-attributes';
import { dataDirectory, temporalCliPath } from '../base/paths';
import { readSettings } from '../base/settings';
import { TEMPORAL_CONNECT_TIMEOUT_MS } from '../base/temporal-unreachable-error';

export const DEFAULT_NAMESPACE = 'default';

export interface DevServer {
  address: string;
  uiUrl: string | null;
  /** False when an already running server was reused (then stop() leaves it alone). */
  owned: boolean;
  stop(): Promise<void>;
}

export function isPortOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.setTimeout(1000, () => {
      socket.destroy();
      resolve(false);
    });
  });
}

export function defaultDevServerPort(): number {
  return readSettings().devServerPort;
}

async function waitUntilServing(address: string, child: ChildProcess, logFile: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await connection.workflowService.describeNamespace({ namespace: DEFAULT_NAMESPACE });
        return;
      } finally {
        await connection.close();
      }
    } catch (error) {
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  const log = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8').split('\n').slice(-15).join('\n') : '';
  child.kill('SIGKILL');
  throw new Error(
    `The Temporal dev server did not start on ${address} (${child.exitCode !== null ? `it exited with code ${child.exitCode}` : `no answer within ${timeoutMs / 1000}s`}).` +
      `${lastError instanceof Error ? ` Last error: ${lastError.message}.` : ''} Log ${logFile}:\n${log}`,
  );
}

/** The orc search attributes the namespace lacks (none on a server orc started; a cluster needs them created once). */
export async function missingSearchAttributes(connection: Connection, namespace: string): Promise<string[]> {
  const response = await connection.operatorService.listSearchAttributes({ namespace });
  const known = new Set(Object.keys(response.customAttributes ?? {}));
  return ORC_SEARCH_ATTRIBUTES.filter((key) => !known.has(key.name)).map((key) => key.name);
}

/**
 * The dev server has one history shard, and each of its queues (transfer: a workflow task to hand out after an
 * activity ends; timer; visibility) reads new tasks at most 20 times a second by default. A chain of steps then
 * waited about 40 ms for every workflow task, whatever the worker did: 55 ms a step where the server's own work takes
 * 12 (issue 24: "something waits for a fixed time"). One process's server can read its queues as often as tasks come.
 */
export const HISTORY_QUEUE_POLL_RATES: Readonly<Record<string, number>> = {
  'history.transferProcessorMaxPollRPS': 1000,
  'history.timerProcessorMaxPollRPS': 1000,
  'history.visibilityProcessorMaxPollRPS': 1000,
};

/** Creates the orc search attributes a reused dev server lacks (a server orc starts gets them as flags). */
export async function registerSearchAttributes(address: string, namespace = DEFAULT_NAMESPACE): Promise<void> {
  const connection = await Connection.connect({ address, connectTimeout: TEMPORAL_CONNECT_TIMEOUT_MS });
  try {
    const missing = new Set(await missingSearchAttributes(connection, namespace));
    if (missing.size === 0) return;
    const searchAttributes = Object.fromEntries(
      ORC_SEARCH_ATTRIBUTES.filter((key) => missing.has(key.name)).map((key) => [key.name, temporal.api.enums.v1.IndexedValueType[`INDEXED_VALUE_TYPE_${key.type}`]]),
    );
    await connection.operatorService.addSearchAttributes({ namespace, searchAttributes });
  } finally {
    await connection.close();
  }
}

export interface DevServerOptions {
  port?: number;
  ui?: boolean;
  uiPort?: number;
  /** SQLite file that keeps runs across restarts; omit for an in-memory server. */
  databaseFile?: string | null;
  /** Reuse a server already listening on the port instead of failing. */
  reuseExisting?: boolean;
  /** The Web UI decodes payloads through this codec server (`orc codec-server`), so stored values show in full. */
  codecEndpoint?: string;
}

export async function startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  const port = options.port ?? defaultDevServerPort();
  const uiPort = options.uiPort ?? port + 1000;
  const address = `127.0.0.1:${port}`;
  const ui = options.ui ?? true;
  if (await isPortOpen(port)) {
    if (options.reuseExisting === false) throw new Error(`Port ${port} is already in use; set ORC_DEV_SERVER_PORT to another port.`);
    // A server started by an older orc, or by hand: give it the search attributes runs set (best effort).
    await registerSearchAttributes(address).catch(() => undefined);
    return { address, uiUrl: ui ? `http://localhost:${uiPort}` : null, owned: false, stop: async () => {} };
  }
  const databaseFile = options.databaseFile === undefined ? path.join(dataDirectory(), 'temporal.db') : options.databaseFile;
  const logFile = path.join(dataDirectory(), `temporal-dev-server-${port}.log`);
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--log-level', 'warn', '--namespace', DEFAULT_NAMESPACE];
  // One partition per task queue: the server divides a queue's rate limit among its partitions (default 4), so a
  // provider's requests_per_minute would arrive in bursts of four. One process needs no partitions for throughput.
  for (const key of ['matching.numTaskqueueReadPartitions', 'matching.numTaskqueueWritePartitions']) args.push('--dynamic-config-value', `${key}=1`);
  for (const [key, value] of Object.entries(HISTORY_QUEUE_POLL_RATES)) args.push('--dynamic-config-value', `${key}=${value}`);
  for (const key of ORC_SEARCH_ATTRIBUTES) args.push('--search-attribute', searchAttributeFlag(key));
  if (ui) {
    args.push('--ui-port', String(uiPort), '--ui-ip', '127.0.0.1');
    if (options.codecEndpoint) args.push('--ui-codec-endpoint', options.codecEndpoint);
  } else args.push('--headless');
  if (databaseFile) args.push('--db-filename', databaseFile);
  const log = fs.openSync(logFile, 'w');
  const child = spawn(temporalCliPath(), args, { stdio: ['ignore', log, log] });
  fs.closeSync(log);
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  await waitUntilServing(address, child, logFile, 60_000);
  return {
    address,
    uiUrl: ui ? `http://localhost:${uiPort}` : null,
    owned: true,
    stop: async () => {
      process.removeListener('exit', killOnExit);
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
