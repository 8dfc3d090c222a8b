// Task-queue names: the pipeline queue and the dedicated queues named after it (workers, clients and workflow agree).

/** The default task queue; ORC_TASK_QUEUE (read by clients and workers, never by the workflow) overrides it. */
export const TASK_QUEUE = 'orc-pipelines';

/** Sandboxed code runs on its own task queue (own concurrency limit), named after the pipeline queue. */
export function sandboxQueueFor(pipelineQueue: string): string {
  return `${pipelineQueue}.sandbox`;
}

/**
 * Calls to a rate-limited provider run on its own task queue, named after the pipeline queue, so the Temporal
 * server can pace them across every worker.
 */
export function providerQueueFor(pipelineQueue: string, provider: string): string {
  return `${pipelineQueue}.provider.${provider}`;
}
