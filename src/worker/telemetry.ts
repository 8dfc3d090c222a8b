// What a worker tells the people who run it (spec section 13): Prometheus metrics, OpenTelemetry traces, JSON logs.
import { AsyncLocalStorage } from 'node:async_hooks';
import * as otel from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry';
import { DefaultLogger, type ActivityInterceptorsFactory, type LogEntry, type LogLevel, type RuntimeOptions, type WorkerOptions } from '@temporalio/worker';
import { defaultPayloadConverter } from '@temporalio/common';
import { PIPELINE_HEADER } from '../workflows/tracing-interceptors';
import { readSettings } from '../base/settings';


/** `--metrics-port`, else ORC_METRICS_PORT; undefined: no metrics endpoint. */
export function metricsPortFrom(flag: string | number | undefined): number | undefined {
  const value = flag ?? readSettings().metricsPort;
  if (value === undefined || value === '') return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`the metrics port must be a whole number from 1 to 65535, not '${value}'`);
  return port;
}

/**
 * Histogram buckets for step durations, in seconds: LLM steps take from under a second (local, cached) to minutes.
 * Temporal's own latency histograms keep their defaults.
 */
const STEP_DURATION_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

/** The worker runtime's logger and, with a port, its Prometheus endpoint (Temporal's metrics plus orc_*). */
export function runtimeOptions(level: LogLevel, metricsPort: number | undefined): RuntimeOptions {
  return {
    logger: readSettings().logFormat === 'json' ? new JsonLogger(level) : new QuietLogger(level),
    ...(metricsPort !== undefined
      ? {
          telemetryOptions: {
            metrics: {
              prometheus: {
                // Every interface: in docker-compose, Prometheus scrapes the workers from another container.
                bindAddress: `${readSettings().metricsHost}:${metricsPort}`,
                useSecondsForDurations: true,
                histogramBucketOverrides: { orc_step_duration_seconds: STEP_DURATION_BUCKETS },
              },
            },
          },
        }
      : {}),
  };
}

/** Dedicated queues (sandbox, providers) poll activities only: the SDK's warning that they poll no workflows is noise. */
class QuietLogger extends DefaultLogger {
  override log(level: LogLevel, message: string, meta?: Parameters<DefaultLogger['log']>[2]): void {
    if (message.startsWith('No workflows registered')) return;
    super.log(level, message, meta);
  }
}

/** `ORC_LOG_FORMAT=json`: one JSON object a line on stderr, with `run_id` and `step` when the line is about one. */
class JsonLogger extends QuietLogger {
  constructor(level: LogLevel) {
    super(level, (entry: LogEntry) => {
      const { workflowId, ...meta } = (entry.meta ?? {}) as Record<string, unknown>;
      const line = {
        time: new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString(),
        level: entry.level.toLowerCase(),
        message: entry.message,
        run_id: typeof workflowId === 'string' ? workflowId : null,
        step: typeof meta.step === 'string' ? meta.step : null,
        ...meta,
      };
      process.stderr.write(`${JSON.stringify(line, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value))}\n`);
    });
  }
}

/** The step an activity works for, read from its input: every step activity names it (`step.id` or `stepId`). */
interface StepLabels {
  step?: string;
  model?: string;
  pipeline?: string;
}

function labelsOf(args: unknown[], headers: Record<string, unknown>): StepLabels {
  const input = (args[0] ?? {}) as { step?: { id?: unknown }; stepId?: unknown; model?: unknown; pipelineName?: unknown };
  const step = typeof input.step?.id === 'string' ? input.step.id : typeof input.stepId === 'string' ? input.stepId : undefined;
  const model = typeof input.model === 'string' ? input.model : undefined;
  let pipeline = typeof input.pipelineName === 'string' ? input.pipelineName : undefined;
  const header = headers[PIPELINE_HEADER];
  if (pipeline === undefined && header) {
    try {
      const value = defaultPayloadConverter.fromPayload(header as Parameters<typeof defaultPayloadConverter.fromPayload>[0]);
      if (typeof value === 'string') pipeline = value;
    } catch {
      // Not ours: leave the attribute out.
    }
  }
  return { ...(step ? { step } : {}), ...(model ? { model } : {}), ...(pipeline ? { pipeline } : {}) };
}

/**
 * Labels each activity of a step: its log lines get `step`, its span (made by the OpenTelemetry interceptor around
 * this one) gets `orc.step`, `orc.model` and `orc.pipeline`.
 */
export const stepActivityInterceptors: ActivityInterceptorsFactory = () => {
  let labels: StepLabels = {};
  return {
    inbound: {
      async execute(input, next) {
        labels = labelsOf(input.args, input.headers);
        const span = otel.trace.getActiveSpan();
        if (span) {
          if (labels.step) span.setAttribute('orc.step', labels.step);
          if (labels.model) span.setAttribute('orc.model', labels.model);
          if (labels.pipeline) span.setAttribute('orc.pipeline', labels.pipeline);
        }
        const output = (await next(input)) as { model?: unknown } | undefined;
        // The model that answered (after aliases, selection and fallbacks) is what an operator looks for.
        if (span && typeof output?.model === 'string') span.setAttribute('orc.model', output.model);
        return output;
      },
    },
    outbound: {
      getLogAttributes(input, next) {
        return next({ ...input, ...(labels.step ? { step: labels.step } : {}) });
      },
    },
  };
};

/** Keeps the active OpenTelemetry context across awaits, so an activity's span is the child of its workflow's. */
class AsyncLocalStorageContextManager implements otel.ContextManager {
  private readonly storage = new AsyncLocalStorage<otel.Context>();

  active(): otel.Context {
    return this.storage.getStore() ?? otel.ROOT_CONTEXT;
  }

  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(context: otel.Context, fn: F, thisArg?: ThisParameterType<F>, ...args: A): ReturnType<F> {
    return this.storage.run(context, () => fn.call(thisArg, ...args));
  }

  bind<T>(context: otel.Context, target: T): T {
    if (typeof target !== 'function') return target;
    const manager = this;
    return function (this: unknown, ...args: unknown[]) {
      return manager.with(context, () => (target as (...inner: unknown[]) => unknown).apply(this, args));
    } as T;
  }

  enable(): this {
    return this;
  }

  disable(): this {
    this.storage.disable();
    return this;
  }
}

export interface Tracing {
  /**
   * For Worker.create: workflow spans (interceptors bundled into the workflow code, exported through a sink) and
   * activity spans, the OpenTelemetry ones outermost so that orc's labels land on the activity's span.
   */
  workerOptions: Pick<WorkerOptions, 'interceptors' | 'sinks'>;
  /** Sends the spans still buffered. */
  shutdown(): Promise<void>;
}

let tracing: Tracing | undefined;

/**
 * With OTEL_EXPORTER_OTLP_ENDPOINT set, spans go over OTLP/HTTP to it (the exporter reads the standard OTEL_*
 * variables: endpoint, headers, OTEL_SERVICE_NAME via the resource below). One tracer provider per process.
 */
export function tracingFromEnvironment(): Tracing | undefined {
  if (!readSettings().otelEndpoint) return undefined;
  if (tracing) return tracing;
  const resource = new Resource({ 'service.name': readSettings().otelServiceName ?? 'orc-worker' });
  const spanProcessor: SpanProcessor = new BatchSpanProcessor(new OTLPTraceExporter(), { scheduledDelayMillis: 1000 });
  const provider = new BasicTracerProvider({ resource, spanProcessors: [spanProcessor] });
  provider.register({ contextManager: new AsyncLocalStorageContextManager() });
  tracing = {
    workerOptions: {
      interceptors: {
        workflowModules: [require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors'), require.resolve('../workflows/tracing-interceptors')],
        activity: [
          (context) => ({ inbound: new OpenTelemetryActivityInboundInterceptor(context), outbound: new OpenTelemetryActivityOutboundInterceptor(context) }),
          stepActivityInterceptors,
        ],
      },
      sinks: { exporter: makeWorkflowExporter(spanProcessor, resource) },
    },
    shutdown: async () => {
      await provider.forceFlush();
    },
  };
  return tracing;
}
