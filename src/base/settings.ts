// Every environment variable orc reads, with its default: the one place that knows their names.
import { HOSTED_PROVIDERS, type HostedProvider } from './providers';
import { TASK_QUEUE } from './task-queues';

export type Environment = Readonly<Record<string, string | undefined>>;

/** An unset or empty variable counts as not given. */
function text(environment: Environment, name: string): string | undefined {
  const value = environment[name];
  return value === undefined || value === '' ? undefined : value;
}

function number(environment: Environment, name: string, fallback: number): number {
  const value = text(environment, name);
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < 0) throw new Error(`${name}=${value}: expected a non-negative number`);
  return parsed;
}

function positiveWholeNumber(environment: Environment, name: string, fallback: number): number {
  const value = text(environment, name);
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed) || parsed <= 0) throw new Error(`${name}=${value}: expected a whole number of bytes above 0 (default ${fallback})`);
  return parsed;
}

function optionalCount(environment: Environment, name: string): number | undefined {
  const value = text(environment, name);
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed) || parsed <= 0) throw new Error(`${name}=${value}: expected a whole number above 0`);
  return parsed;
}

export interface Settings {
  /** TEMPORAL_ADDRESS: a Temporal server to use instead of the embedded dev server. */
  temporalAddress: string | undefined;
  /** TEMPORAL_NAMESPACE. */
  temporalNamespace: string | undefined;
  /** ORC_TASK_QUEUE: the pipeline task queue of clients and workers. */
  taskQueue: string;
  /** ORC_DEV_SERVER_PORT: the embedded dev server's gRPC port (its Web UI is on port + 1000). */
  devServerPort: number;
  /** ORC_DATA_DIR: the data folder; `<checkout>/.orc` when unset. */
  dataDirectory: string | undefined;
  /** ORC_TEMPORAL_BIN, ORC_TEMPORAL_TEST_SERVER_BIN: binaries to use instead of the ones setup installed. */
  temporalBinary: string | undefined;
  temporalTestServerBinary: string | undefined;
  /** ORC_LOCAL_MODEL_PATH: a GGUF file instead of the SmolLM2 installed by setup. */
  localModelPath: string | undefined;
  /** ORC_LOCAL_MODEL_URL: an OpenAI-compatible server (Ollama, vLLM, ...) that answers `local` models instead. */
  localModelUrl: string | undefined;
  /** ORC_LOCAL_MODEL_THREADS: llama.cpp's math threads in the local model server (default: one fewer than the cores). */
  localModelThreads: number | undefined;
  /** ORC_MODELS_FILE: the user's models.yaml, instead of `./models.yaml`. */
  modelsFile: string | undefined;
  /** ORC_AUTO_CACHE_TTL: seconds an AUTO value is reused (0: not at all). */
  autoCacheTtlSeconds: number;
  /** ORC_LOG_LEVEL: the Temporal SDK's log level in workers. */
  logLevel: string | undefined;
  /** ORC_SANDBOX_CONCURRENCY: sandboxed programs at once per worker. */
  sandboxConcurrency: number;
  /** ORC_SANDBOX_OUTPUT_BYTES: stdout and stderr kept of a sandboxed program, each. */
  sandboxOutputBytes: number;
  /** ORC_SANDBOX_CPUS: CPUs a sandboxed program may use. */
  sandboxCpus: number;
  /** ORC_SANDBOX_IMAGE: the Docker image sandboxed code runs in, instead of the one setup built. */
  sandboxImage: string | undefined;
  /** ORC_STORE_URL: the run store (`postgres://…`, `file:///dir` or a path); the data folder's `store` when unset. */
  storeUrl: string | undefined;
  /** ORC_METRICS_PORT: serve Prometheus metrics on this port (as text: `orc worker --metrics-port` checks it). */
  metricsPort: string | undefined;
  /** ORC_METRICS_HOST: the interface the metrics endpoint binds; every interface when unset. */
  metricsHost: string;
  /** ORC_LOG_FORMAT: `json` for one JSON object a line. */
  logFormat: string | undefined;
  /** OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_SERVICE_NAME: export runs and steps as OpenTelemetry spans. */
  otelEndpoint: string | undefined;
  otelServiceName: string | undefined;
  /** ORC_TEST_EXIT_AFTER_CACHE_WRITE=1, for the durability test only: the worker dies right after a cache write. */
  testExitAfterCacheWrite: boolean;
  /** ORC_CIRCUIT_FAILURES, ORC_CIRCUIT_OPEN_SECONDS: a hosted model's circuit breaker. */
  circuitFailures: number;
  circuitOpenSeconds: number;
  /** ORC_MAX_VALUE_BYTES: the ceiling on one step's value (VALUE_TOO_LARGE above it); 64 MiB. */
  maxValueBytes: number;
  /** ORC_CODEC_TOKEN: the bearer token `orc codec-server` requires when it listens beyond loopback. */
  codecToken: string | undefined;
  /** ORC_SEARCH_URL: a SearxNG instance whose JSON API the web-search tool asks (unset: web-search is unavailable). */
  searchUrl: string | undefined;
  /** ORC_NET_ALLOW: hosts, IPs and CIDRs (comma-separated) network tools may reach although private, loopback or link-local. */
  netAllow: string[];
  /** ORC_SANDBOX_NETWORK=1: a terminal or python-executor step that asks for the network (`network: true`) gets it. */
  sandboxNetwork: boolean;
  /** A hosted provider's API key (OPENAI_API_KEY, ...), from the provider table. */
  apiKey(provider: HostedProvider): string | undefined;
  /** A hosted provider's endpoint (OPENAI_BASE_URL, ...), else its public one. */
  baseUrl(provider: HostedProvider): string;
}

/** The settings as the environment holds them now (the process's own unless a caller or test hands in another). */
export function readSettings(environment: Environment = process.env): Settings {
  return {
    temporalAddress: text(environment, 'TEMPORAL_ADDRESS'),
    temporalNamespace: text(environment, 'TEMPORAL_NAMESPACE'),
    taskQueue: text(environment, 'ORC_TASK_QUEUE') ?? TASK_QUEUE,
    devServerPort: number(environment, 'ORC_DEV_SERVER_PORT', 7233),
    dataDirectory: text(environment, 'ORC_DATA_DIR'),
    temporalBinary: text(environment, 'ORC_TEMPORAL_BIN'),
    temporalTestServerBinary: text(environment, 'ORC_TEMPORAL_TEST_SERVER_BIN'),
    localModelPath: text(environment, 'ORC_LOCAL_MODEL_PATH'),
    localModelUrl: text(environment, 'ORC_LOCAL_MODEL_URL'),
    localModelThreads: optionalCount(environment, 'ORC_LOCAL_MODEL_THREADS'),
    modelsFile: text(environment, 'ORC_MODELS_FILE'),
    autoCacheTtlSeconds: number(environment, 'ORC_AUTO_CACHE_TTL', 86400),
    logLevel: text(environment, 'ORC_LOG_LEVEL'),
    sandboxConcurrency: number(environment, 'ORC_SANDBOX_CONCURRENCY', 2),
    sandboxOutputBytes: number(environment, 'ORC_SANDBOX_OUTPUT_BYTES', 1024 * 1024),
    sandboxCpus: number(environment, 'ORC_SANDBOX_CPUS', 1),
    sandboxImage: text(environment, 'ORC_SANDBOX_IMAGE'),
    storeUrl: text(environment, 'ORC_STORE_URL'),
    metricsPort: text(environment, 'ORC_METRICS_PORT'),
    metricsHost: text(environment, 'ORC_METRICS_HOST') ?? '0.0.0.0',
    logFormat: text(environment, 'ORC_LOG_FORMAT'),
    otelEndpoint: text(environment, 'OTEL_EXPORTER_OTLP_ENDPOINT'),
    otelServiceName: text(environment, 'OTEL_SERVICE_NAME'),
    testExitAfterCacheWrite: environment.ORC_TEST_EXIT_AFTER_CACHE_WRITE === '1',
    circuitFailures: number(environment, 'ORC_CIRCUIT_FAILURES', 5),
    circuitOpenSeconds: number(environment, 'ORC_CIRCUIT_OPEN_SECONDS', 30),
    maxValueBytes: positiveWholeNumber(environment, 'ORC_MAX_VALUE_BYTES', 64 * 1024 * 1024),
    codecToken: text(environment, 'ORC_CODEC_TOKEN'),
    searchUrl: text(environment, 'ORC_SEARCH_URL'),
    netAllow: (text(environment, 'ORC_NET_ALLOW') ?? '').split(',').map((entry) => entry.trim()).filter((entry) => entry !== ''),
    sandboxNetwork: environment.ORC_SANDBOX_NETWORK === '1',
    apiKey: (provider) => text(environment, HOSTED_PROVIDERS[provider].keyVariable),
    baseUrl: (provider) => text(environment, HOSTED_PROVIDERS[provider].baseUrlVariable) ?? HOSTED_PROVIDERS[provider].defaultBaseUrl,
  };
}
