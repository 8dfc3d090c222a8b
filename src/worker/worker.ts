// A worker for the pipeline task queue: the generic workflow plus the activities, with their model dependencies.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DefaultLogger, NativeConnection, Runtime, Worker, type LogLevel, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../activities';
import { FileAutoValueCache } from '../activities/auto-cache';
import { LocalModelServer } from '../models/local-server-process';
import { loadModelCatalog } from '../models/catalog';
import { createModelResolver, type ModelResolver } from '../models/registry';
import { TASK_QUEUE } from '../workflows/definitions';
import { DEFAULT_NAMESPACE } from './dev-server';
import { dataDirectory, projectRoot } from './paths';

/** AUTO values are remembered for ORC_AUTO_CACHE_TTL seconds (default a day; 0 turns the cache off). */
export function defaultAutoCache(): FileAutoValueCache {
  return new FileAutoValueCache(path.join(dataDirectory(), 'auto-cache'), Number(process.env.ORC_AUTO_CACHE_TTL ?? 86400));
}

export const WORKFLOW_BUNDLE_PATH = path.join(projectRoot, 'dist', 'workflow-bundle.js');

export interface PipelineWorkerOptions {
  address: string;
  namespace?: string;
  taskQueue?: string;
  /** Bundle the workflow from source (tests) instead of using the prebuilt bundle. */
  workflowsPath?: string;
  maxConcurrentActivityTaskExecutions?: number;
  /** SDK log level; the step failures it logs at WARN are already in the run's result. */
  logLevel?: LogLevel;
  /** The models activities use; by default the real ones (local server, providers from the environment). */
  models?: ModelResolver;
}

export interface PipelineWorker {
  worker: Worker;
  /** Runs until shutdown() is called. */
  run(): Promise<void>;
  shutdown(): Promise<void>;
}

function workflowSource(options: PipelineWorkerOptions): Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath'> {
  if (options.workflowsPath) return { workflowsPath: options.workflowsPath };
  if (fs.existsSync(WORKFLOW_BUNDLE_PATH)) return { workflowBundle: { codePath: WORKFLOW_BUNDLE_PATH } };
  return { workflowsPath: require.resolve('../workflows') };
}

let runtimeInstalled = false;

/** The SDK logs every worker state change at INFO; ORC_LOG_LEVEL overrides the level orc picks. */
function installRuntime(level: LogLevel): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({ logger: new DefaultLogger((process.env.ORC_LOG_LEVEL?.toUpperCase() as LogLevel | undefined) ?? level) });
  } catch {
    // Already installed by the host process (tests, an embedding application): keep theirs.
  }
}

export async function createPipelineWorker(options: PipelineWorkerOptions): Promise<PipelineWorker> {
  installRuntime(options.logLevel ?? 'WARN');
  const connection = await NativeConnection.connect({ address: options.address });
  const localServer = new LocalModelServer();
  // A malformed user models.yaml stops the worker here, with file:line:column, before it takes any work.
  const models = options.models ?? createModelResolver({ localServer, catalog: loadModelCatalog() });
  const worker = await Worker.create({
    connection,
    namespace: options.namespace ?? DEFAULT_NAMESPACE,
    taskQueue: options.taskQueue ?? process.env.ORC_TASK_QUEUE ?? TASK_QUEUE,
    ...workflowSource(options),
    activities: createActivities({ models, autoCache: defaultAutoCache() }),
    maxConcurrentActivityTaskExecutions: options.maxConcurrentActivityTaskExecutions ?? 20,
    // Heartbeats reach the server at least every 2 s, so a cancel reaches a running model call within ~2 s.
    maxHeartbeatThrottleInterval: '2 seconds',
  });
  let running: Promise<void> | undefined;
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await localServer.stop();
    await connection.close();
  };
  return {
    worker,
    run: () => {
      running ??= worker.run().finally(close);
      return running;
    },
    shutdown: async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      if (running) await running;
      else await close();
    },
  };
}
