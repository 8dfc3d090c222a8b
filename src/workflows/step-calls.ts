// How the workflows call activities: per-step timeouts and retries, and usage arithmetic (deterministic).
import { proxyActivities } from '@temporalio/workflow';
import type { PipelineActivities } from '../activities';
import type { ExecuteStepInput, ExecuteStepOutput } from '../activities/types';
import type { Usage } from './run-types';

/** Rendering outputs and conditions, loading child pipelines: quick, local work. */
export const templateActivities = proxyActivities<PipelineActivities>({
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 3 },
});

/**
 * A step's timeout is the activity's start-to-close timeout; its max_retries the retries after the first
 * attempt. Step activities heartbeat every second: a cancel reaches a running model call (and aborts its
 * request), and a step whose worker died is retried after at most 15 s, not after its whole timeout.
 */
export function stepActivities(timeoutSeconds: number, maxRetries: number) {
  return proxyActivities<PipelineActivities>({
    startToCloseTimeout: Math.max(1, Math.round(timeoutSeconds * 1000)),
    heartbeatTimeout: Math.max(1000, Math.round(Math.min(timeoutSeconds, 15) * 1000)),
    retry: { maximumAttempts: maxRetries + 1, initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute' },
  });
}

export function callStepModel(input: ExecuteStepInput): Promise<ExecuteStepOutput> {
  return stepActivities(input.step.timeoutSeconds, input.step.maxRetries).executeLlmStep(input);
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
export async function callForItems(base: ExecuteStepInput, items: unknown[], offset: number, maxParallel: number): Promise<ItemsOutcome> {
  const outcome: ItemsOutcome = { results: new Array<unknown>(items.length).fill(null), usage: zeroUsage(), attempts: 0, model: null };
  let next = 0;
  const lanes = Array.from({ length: Math.min(maxParallel, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      const output = await callStepModel({ ...base, context: { ...base.context, item: items[index], index: offset + index } });
      outcome.results[index] = output.result;
      addUsage(outcome.usage, output.usage);
      outcome.model = output.model;
      outcome.attempts = Math.max(outcome.attempts, output.attempt);
    }
  });
  await Promise.all(lanes);
  return outcome;
}
