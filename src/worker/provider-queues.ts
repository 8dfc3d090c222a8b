// The task queues of rate-limited providers (`providers.NAME.rate_limits` in models.yaml) and how a worker polls them.
import type { WorkerOptions } from '@temporalio/worker';
import type { AutoValueCache } from '../activities/auto-cache';
import { createAutoResolveActivities } from '../activities/auto-resolve';
import { createGenerateActivities } from '../activities/generate';
import type { StepCache } from '../activities/step-cache';
import { rateLimitedProvidersOf } from '../activities/model-choice';
import type { ModelCatalog, ModelProvider } from '../models/catalog';
import { TokenRateLimiter, tokenLimit } from '../models/middleware/token-limit';
import { wrapResolver } from '../models/middleware/wrap-model';
import type { ModelResolver } from '../models/registry';
import { providerQueueFor } from '../base/task-queues';

/** Calls a worker runs at once on a provider's queue when `concurrent_requests` is not given. */
export const DEFAULT_PROVIDER_CONCURRENCY = 20;

export interface ProviderQueueContext {
  /** The pipeline task queue; provider queues are named after it. */
  taskQueue: string;
  catalog: ModelCatalog;
  models: ModelResolver;
  autoCache?: AutoValueCache;
  /** The step result cache of the worker's run store. */
  stepCache?: StepCache;
  /** Where outcomes of selected models are added up (the data folder's file by default). */
  selectionStatsFile?: string;
}

/** Options of a worker for one dedicated task queue. */
export type QueueWorkerOptions = Pick<WorkerOptions, 'taskQueue' | 'activities'> & Partial<WorkerOptions>;

/**
 * One queue per rate-limited provider, carrying its LLM steps and AUTO resolutions:
 * - `requests_per_minute` becomes `maxTaskQueueActivitiesPerSecond`, which the Temporal server enforces for the
 *   queue as a whole, however many workers poll it;
 * - `concurrent_requests` becomes `maxConcurrentActivityTaskExecutions`, per worker;
 * - `tokens_per_minute` is a token bucket in this worker, which calls wait on before they go out.
 */
export function providerQueues(context: ProviderQueueContext): QueueWorkerOptions[] {
  return [...rateLimitedProvidersOf(context.catalog)].map((provider) => {
    const limits = context.catalog.providers[provider as ModelProvider]?.rate_limits ?? {};
    const limiter = limits.tokens_per_minute ? new TokenRateLimiter(limits.tokens_per_minute) : undefined;
    const models = limiter ? wrapResolver(context.models, () => [tokenLimit(limiter)]) : context.models;
    const generate = createGenerateActivities({
      models,
      ...(context.selectionStatsFile ? { selectionStatsFile: context.selectionStatsFile } : {}),
      ...(context.stepCache ? { stepCache: context.stepCache } : {}),
    });
    const autoResolve = createAutoResolveActivities({ models, ...(context.autoCache ? { autoCache: context.autoCache } : {}) });
    return {
      taskQueue: providerQueueFor(context.taskQueue, provider),
      activities: { executeLlmStep: generate.executeLlmStep, resolveAutoTags: autoResolve.resolveAutoTags },
      maxConcurrentActivityTaskExecutions: limits.concurrent_requests ?? DEFAULT_PROVIDER_CONCURRENCY,
      ...(limits.requests_per_minute !== undefined ? { maxTaskQueueActivitiesPerSecond: limits.requests_per_minute / 60 } : {}),
    };
  });
}
