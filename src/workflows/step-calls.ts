// How the workflows call activities: per-step timeouts and retries, and usage arithmetic (deterministic).
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { PipelineActivities } from '../activities';
import type { ExecuteStepInput, ExecuteStepOutput } from '../activities/types';
import { sandboxQueueFor } from './definitions';
import type { Usage } from './run-types';

/** Rendering outputs and conditions, loading child pipelines: quick, local work. */
export const templateActivities = proxyActivities<PipelineActivities>({
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 3 },
});

/**
 * Choosing a step's model and queue reads only the worker's own configuration (and, for a requirement, a small
 * file): a local activity, run by the worker that runs the workflow, with no round trip through the server.
 */
export const modelChoiceActivities = proxyLocalActivities<PipelineActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 3 },
});

/**
 * A step's timeout is the activity's start-to-close timeout; its max_retries the retries after the first
 * attempt. Step activities heartbeat every second: a cancel reaches a running model call (and aborts its
 * request), and a step whose worker died is retried after at most 15 s, not after its whole timeout.
 * `taskQueue`: a rate-limited provider's own queue (null: the run's queue). A call waiting there for its turn
 * has not started, so the wait does not count against the step's timeout.
 */
export function stepActivities(timeoutSeconds: number, maxRetries: number, taskQueue: string | null = null) {
  return proxyActivities<PipelineActivities>({
    startToCloseTimeout: Math.max(1, Math.round(timeoutSeconds * 1000)),
    heartbeatTimeout: Math.max(1000, Math.round(Math.min(timeoutSeconds, 15) * 1000)),
    retry: { maximumAttempts: maxRetries + 1, initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute' },
    ...(taskQueue !== null ? { taskQueue } : {}),
  });
}

export function callStepModel(input: ExecuteStepInput, taskQueue: string | null = null): Promise<ExecuteStepOutput> {
  return stepActivities(input.step.timeoutSeconds, input.step.maxRetries, taskQueue).executeLlmStep(input);
}

export function zeroUsage(): Usage {
  return { input_tokens: 0, output_tokens: 0, cost_usd: 0 };
}

export function addUsage(total: Usage, more: Usage): void {
  total.input_tokens += more.input_tokens;
  total.output_tokens += more.output_tokens;
  total.cost_usd += more.cost_usd;
}

export interface ItemsOutcome {
  results: unknown[];
  usage: Usage;
  attempts: number;
  model: string | null;
}

/** One model call per item, at most `maxParallel` at once, results in item order. */
export async function callForItems(
  base: ExecuteStepInput,
  items: unknown[],
  offset: number,
  maxParallel: number,
  taskQueue: string | null = null,
): Promise<ItemsOutcome> {
  const outcome: ItemsOutcome = { results: new Array<unknown>(items.length).fill(null), usage: zeroUsage(), attempts: 0, model: null };
  let next = 0;
  const lanes = Array.from({ length: Math.min(maxParallel, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      const output = await callStepModel({ ...base, context: { ...base.context, item: items[index], index: offset + index } }, taskQueue);
      outcome.results[index] = output.result;
      addUsage(outcome.usage, output.usage);
      outcome.model = output.model;
      outcome.attempts = Math.max(outcome.attempts, output.attempt);
    }
  });
  await Promise.all(lanes);
  return outcome;
}


/**
 * The activity kills the container at the code's own timeout and reports it; the activity timeout leaves room to
 * create and remove the container. Infrastructure errors (engine unreachable) are retried like any step.
 */
export function sandboxActivities(pipelineQueue: string, codeTimeoutSeconds: number, stepTimeoutSeconds: number) {
  return proxyActivities<PipelineActivities>({
    taskQueue: sandboxQueueFor(pipelineQueue),
    startToCloseTimeout: Math.round((Math.max(codeTimeoutSeconds, stepTimeoutSeconds) + 60) * 1000),
    heartbeatTimeout: 15_000,
    retry: { maximumAttempts: 3, initialInterval: '1s', backoffCoefficient: 2 },
  });
}
