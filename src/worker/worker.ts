// A worker for the pipeline task queue: the generic workflow plus the activities, with their model dependencies.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { NativeConnection, Runtime, Worker, type LogLevel, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type PipelineActivities } from '../activities';
import { removeOrphanSandboxes } from '../activities/sandbox';
import { FileAutoValueCache } from '../activities/auto-cache';
import { RunStoreStepCache, type StepCache } from '../activities/step-cache';
import { openDefaultRunStore, type RunStore } from '../store/run-store';
import { storedPayloadsDataConverter } from '../store/stored-payloads';
import { valueCeilingInterceptor } from '../store/value-ceiling';
import { LocalModelServer } from '../models/local/local-server-process';
import { loadModelCatalog, type ModelCatalog } from '../models/catalog';
import { rateLimitedProvidersOf } from '../activities/model-choice';
import { providerQueues, type QueueWorkerOptions } from './provider-queues';
import { createModelResolver, type ModelResolver } from '../models/registry';
import { sandboxQueueFor } from '../base/task-queues';
import { readSettings } from '../base/settings';
import { TEMPORAL_CONNECT_TIMEOUT_MS, TemporalUnreachableError } from '../base/temporal-unreachable-error';
import { DEFAULT_NAMESPACE } from './dev-server';
import { dataDirectory, projectRoot } from '../base/paths';
import { modelMetrics } from '../activities/metrics';
import { wrapResolver } from '../models/middleware/wrap-model';
import { runMetricsSinks } from './run-metrics-sink';
import { runtimeOptions, stepActivityInterceptors, tracingFromEnvironment, type Tracing } from './telemetry';

/** AUTO values are remembered for ORC_AUTO_CACHE_TTL seconds (default a day; 0 turns the cache off). */
export function defaultAutoCache(): FileAutoValueCache {
  return new FileAutoValueCache(path.join(dataDirectory(), 'auto-cache'), readSettings().autoCacheTtlSeconds);
}

/** The durability test's hook: dying between the cache write and the activity's completion must lose nothing. */
function exitAfterCacheWrite(): boolean {
  return readSettings().testExitAfterCacheWrite;
}

export const WORKFLOW_BUNDLE_PATH = path.join(projectRoot, 'dist', 'workflow-bundle.js');

export interface PipelineWorkerOptions {
  address: string;
  namespace?: string;
  taskQueue?: string;
  /** Bundle the workflow from source (tests) instead of using the prebuilt bundle. */
  workflowsPath?: string;
  /** A workflow bundled already (tests that start several workers bundle once). */
  workflowBundle?: { code: string };
  maxConcurrentActivityTaskExecutions?: number;
  /** SDK log level; the step failures it logs at WARN are already in the run's result. */
  logLevel?: LogLevel;
  /** The models activities use; by default the real ones (local server, providers from the environment). */
  models?: ModelResolver;
  /** Models to select from and provider rate limits; by default the shipped models.yaml merged with the user's. */
  catalog?: ModelCatalog;
  /**
   * Where cached step results and values over 256 KiB are kept; by default the run store of ORC_STORE_URL (or the
   * data folder).
   */
  store?: RunStore;
  /** The ceiling on an activity's answer; by default ORC_MAX_VALUE_BYTES (64 MiB). */
  maxValueBytes?: number;
  /** Serve Prometheus metrics on this port (`orc worker --metrics-port`); only the first worker of a process can. */
  metricsPort?: number;
  /**
   * Worker Versioning (spec section 16): this worker is build `buildId` of the Worker Deployment `name`, and every
   * run it starts stays on that build. Absent: an unversioned worker.
   */
  deployment?: WorkerDeployment;
}

export interface WorkerDeployment {
  name: string;
  buildId: string;
}

/** Every worker of a versioned process is the same version: its workflows pinned to it, its queues part of it. */
function deploymentOptions(deployment: WorkerDeployment | undefined): Pick<WorkerOptions, 'workerDeploymentOptions'> {
  if (!deployment) return {};
  return {
    workerDeploymentOptions: {
      version: { deploymentName: deployment.name, buildId: deployment.buildId },
      useWorkerVersioning: true,
      defaultVersioningBehavior: 'PINNED',
    },
  };
}

export interface PipelineWorker {
  /** The worker of the pipeline task queue (workflows and most activities). */
  worker: Worker;
  /** Every worker of this process: the pipeline queue's and those of dedicated queues. */
  workers: Worker[];
  taskQueues: string[];
  /** Runs until shutdown() is called. */
  run(): Promise<void>;
  shutdown(): Promise<void>;
}

function workflowSource(options: PipelineWorkerOptions, tracing: Tracing | undefined): Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath'> {
  if (options.workflowBundle) return { workflowBundle: options.workflowBundle };
  if (options.workflowsPath) return { workflowsPath: options.workflowsPath };
  // The prebuilt bundle has no tracing interceptors: a tracing worker bundles the workflow with them as it starts.
  if (tracing) return { workflowsPath: require.resolve('../workflows') };
  if (fs.existsSync(WORKFLOW_BUNDLE_PATH)) return { workflowBundle: { codePath: WORKFLOW_BUNDLE_PATH } };
  return { workflowsPath: require.resolve('../workflows') };
}

let runtimeInstalled = false;

/** The SDK logs every worker state change at INFO; ORC_LOG_LEVEL overrides the level orc picks. */
function installRuntime(level: LogLevel, metricsPort: number | undefined): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install(runtimeOptions((readSettings().logLevel?.toUpperCase() as LogLevel | undefined) ?? level, metricsPort));
  } catch {
    // Already installed by the host process (tests, an embedding application): keep theirs.
  }
}

/** The worker's connection, or within a few seconds an error naming the address and what to check. */
async function connectWorker(address: string): Promise<NativeConnection> {
  const source = address === readSettings().temporalAddress ? 'TEMPORAL_ADDRESS' : 'the worker address';
  let timer: NodeJS.Timeout | undefined;
  const connecting = NativeConnection.connect({ address });
  // The native connection has no connect timeout of its own; a late success is closed rather than leaked.
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error('timed out')), TEMPORAL_CONNECT_TIMEOUT_MS);
  });
  try {
    return await Promise.race([connecting, timeout]);
  } catch (error) {
    connecting.then((late) => late.close(), () => undefined).catch(() => undefined);
    throw new TemporalUnreachableError(address, source, error);
  } finally {
    clearTimeout(timer);
  }
}

export async function createPipelineWorker(options: PipelineWorkerOptions): Promise<PipelineWorker> {
  installRuntime(options.logLevel ?? 'WARN', options.metricsPort);
  const tracing = tracingFromEnvironment();
  // Each activity's answer meets the ceiling (ORC_MAX_VALUE_BYTES) before anything else sees it.
  const ceiling = valueCeilingInterceptor(options.maxValueBytes ?? readSettings().maxValueBytes);
  const activityInterceptors = [...(tracing?.workerOptions.interceptors?.activity ?? [stepActivityInterceptors]), ceiling];
  const connection = await connectWorker(options.address);
  const localServer = new LocalModelServer();
  // A malformed user models.yaml stops the worker here, with file:line:column, before it takes any work.
  const catalog = options.catalog ?? loadModelCatalog();
  const models = wrapResolver(options.models ?? createModelResolver({ localServer, catalog }), () => [modelMetrics]);
  const autoCache = defaultAutoCache();
  const store = options.store ?? openDefaultRunStore();
  // Payloads over 256 KiB go to the run store, on every worker of the process (spec section 12).
  const dataConverter = storedPayloadsDataConverter(store);
  const stepCache = new RunStoreStepCache({ store, ...(exitAfterCacheWrite() ? { afterWrite: () => process.kill(process.pid, 'SIGKILL') } : {}) });
  const activities = createActivities({ models, autoCache, catalog, rateLimitedProviders: rateLimitedProvidersOf(catalog), stepCache, store });
  const worker = await Worker.create({
    connection,
    dataConverter,
    namespace: options.namespace ?? DEFAULT_NAMESPACE,
    taskQueue: options.taskQueue ?? readSettings().taskQueue,
    ...workflowSource(options, tracing),
    activities,
    interceptors: { ...tracing?.workerOptions.interceptors, activity: activityInterceptors },
    sinks: { ...tracing?.workerOptions.sinks, ...runMetricsSinks() },
    maxConcurrentActivityTaskExecutions: options.maxConcurrentActivityTaskExecutions ?? 20,
    ...deploymentOptions(options.deployment),
    // Heartbeats reach the server at least every 2 s, so a cancel reaches a running model call within ~2 s.
    maxHeartbeatThrottleInterval: '2 seconds',
  });
  // Work with its own limits runs on its own task queues, polled by workers of this same process.
  const queueWorkers: Worker[] = [];
  for (const queue of dedicatedQueues({ models, taskQueue: worker.options.taskQueue, activities, catalog, autoCache, stepCache })) {
    queueWorkers.push(
      await Worker.create({
        connection,
        dataConverter,
        namespace: options.namespace ?? DEFAULT_NAMESPACE,
        maxHeartbeatThrottleInterval: '2 seconds',
        interceptors: { activity: activityInterceptors },
        ...deploymentOptions(options.deployment),
        ...queue,
      }),
    );
  }
  const all = [worker, ...queueWorkers];
  let running: Promise<void> | undefined;
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await localServer.stop();
    await connection.close();
    // A store handed in belongs to the caller.
    if (!options.store) await store.close();
    await tracing?.shutdown();
  };
  return {
    worker,
    workers: all,
    taskQueues: all.map((each) => each.options.taskQueue),
    run: () => {
      // One worker stopping (a fatal poll error, a shutdown) stops them all.
      running ??= Promise.all(
        all.map((each) =>
          each.run().finally(() => {
            for (const other of all) if (other.getState() === 'RUNNING') other.shutdown();
          }),
        ),
      )
        .then(() => undefined)
        .finally(close);
      return running;
    },
    shutdown: async () => {
      for (const each of all) if (each.getState() === 'RUNNING') each.shutdown();
      if (running) await running;
      else await close();
    },
  };
}

interface QueueContext {
  models: ModelResolver;
  autoCache: FileAutoValueCache;
  /** The pipeline task queue this worker polls; dedicated queues are named after it. */
  taskQueue: string;
  activities: PipelineActivities;
  catalog: ModelCatalog;
  stepCache: StepCache;
}

/** Task queues besides the pipeline queue that every worker polls (sandboxed code; rate-limited providers). */
function dedicatedQueues(context: QueueContext): QueueWorkerOptions[] {
  const queues: QueueWorkerOptions[] = [];
  // Sandboxed code: containers are heavy, so few at a time per worker (ORC_SANDBOX_CONCURRENCY, default 2).
  void removeOrphanSandboxes().catch(() => undefined);
  queues.push({
    taskQueue: sandboxQueueFor(context.taskQueue),
    activities: { runCode: context.activities.runCode },
    maxConcurrentActivityTaskExecutions: readSettings().sandboxConcurrency,
  });
  // Rate-limited providers: their LLM calls are paced by the server across all workers (see provider-queues.ts).
  queues.push(...providerQueues({ taskQueue: context.taskQueue, catalog: context.catalog, models: context.models, autoCache: context.autoCache, stepCache: context.stepCache }));
  return queues;
}
