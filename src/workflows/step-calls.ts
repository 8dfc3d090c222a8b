// How the workflows call activities: per-step timeouts, retries and Web UI labels, and usage arithmetic (deterministic).
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { PipelineActivities } from '../activities';
import type { ExecuteStepInput, ExecuteStepOutput, TransportedStepInput } from '../activities/types';
import { compactStep } from '../base/compact-pipeline';
import type { CompiledStep } from '../base/compiled-pipeline';
import { sandboxQueueFor } from './definitions';

/** Temporal allows 2,000 pending activities per workflow; steps (and for_each items) in flight stay well below. */
export const MAX_IN_FLIGHT = 1000;

/** Rendering outputs and conditions, loading child pipelines: quick, local work. */
export const templateActivities = proxyActivities<PipelineActivities>({
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 3 },
});

/** The same quick work with a label the Web UI shows on the activity (absent: runs from before labels). */
export function templateActivitiesLabelled(summary: string | undefined) {
  if (summary === undefined) return templateActivities;
  return proxyActivities<PipelineActivities>({ startToCloseTimeout: '1 minute', retry: { maximumAttempts: 3 }, summary });
}

/**
 * Choosing a step's model and queue reads only the worker's own configuration (and, for a requirement, a small
 * file): a local activity, run by the worker that runs the workflow, with no round trip through the server.
 */
export const modelChoiceActivities = proxyLocalActivities<PipelineActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 3 },
});

export function modelChoiceActivitiesLabelled(summary: string | undefined) {
  if (summary === undefined) return modelChoiceActivities;
  return proxyLocalActivities<PipelineActivities>({ startToCloseTimeout: '30 seconds', retry: { maximumAttempts: 3 }, summary });
}

/**
 * A step's timeout is the activity's start-to-close timeout; its max_retries the retries after the first
 * attempt. Step activities heartbeat every second: a cancel reaches a running model call (and aborts its
 * request), and a step whose worker died is retried after at most 15 s, not after its whole timeout.
 * `taskQueue`: a rate-limited provider's own queue (null: the run's queue). A call waiting there for its turn
 * has not started, so the wait does not count against the step's timeout. `summary`: the Web UI's label.
 */
export function stepActivities(timeoutSeconds: number, maxRetries: number, taskQueue: string | null = null, summary?: string) {
  return proxyActivities<PipelineActivities>({
    startToCloseTimeout: Math.max(1, Math.round(timeoutSeconds * 1000)),
    heartbeatTimeout: Math.max(1000, Math.round(Math.min(timeoutSeconds, 15) * 1000)),
    retry: { maximumAttempts: maxRetries + 1, initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute' },
    ...(taskQueue !== null ? { taskQueue } : {}),
    ...(summary !== undefined ? { summary } : {}),
  });
}

export function callStepModel(input: ExecuteStepInput, taskQueue: string | null = null, summary?: string): Promise<ExecuteStepOutput> {
  return stepActivities(input.step.timeoutSeconds, input.step.maxRetries, taskQueue, summary).executeLlmStep(transportedStepInput(input));
}

/** The call's input as it travels (and stays in history): the step compacted, null fields left out. */
export function transportedStepInput(input: ExecuteStepInput): TransportedStepInput {
  const { step, pipelineDescription, temperature, maxTokens, ...rest } = input;
  return {
    ...rest,
    step: compactStep(step),
    ...(pipelineDescription !== null ? { pipelineDescription } : {}),
    ...(temperature !== null ? { temperature } : {}),
    ...(maxTokens !== null ? { maxTokens } : {}),
  };
}

/**
 * The code's own timeout kills the container (and is reported); the activity timeout leaves room to create and
 * remove it. Failures of the engine (unreachable, image missing) are retried up to the step's max_retries.
 */
export function sandboxActivities(pipelineQueue: string, codeTimeoutSeconds: number, step: CompiledStep, summary?: string) {
  return proxyActivities<PipelineActivities>({
    taskQueue: sandboxQueueFor(pipelineQueue),
    startToCloseTimeout: Math.round((Math.max(codeTimeoutSeconds, step.timeoutSeconds) + 60) * 1000),
    heartbeatTimeout: 15_000,
    retry: { maximumAttempts: step.maxRetries + 1, initialInterval: '1s', backoffCoefficient: 2 },
    ...(summary !== undefined ? { summary } : {}),
  });
}

/** The Web UI label of a step's activity: `draft · openai:gpt-4o-mini`, `summaries · item 7`, `triage · AUTO`. */
export function activityLabel(stepId: string, what: string): string {
  return `${stepId} · ${what}`;
}

/** A step's activity stubs, labelled with its id when the run labels activities (see `step-metadata`). */
export interface ActivityProxies {
  /** Rendering, conditions, loading a child pipeline: quick work, 3 attempts. */
  template(what: string): ReturnType<typeof templateActivitiesLabelled>;
  /** A model or tool call with the step's timeout and max_retries, on `taskQueue` (null: the run's). */
  step(what: string, taskQueue?: string | null): ReturnType<typeof stepActivities>;
  /** The sandbox queue, for code that may run `codeTimeoutSeconds`. */
  sandbox(what: string, codeTimeoutSeconds: number): ReturnType<typeof sandboxActivities>;
  /** The label for `what`, or undefined in a run from before labels. */
  label(what: string): string | undefined;
}

export function activityProxiesFor(step: CompiledStep, workflowQueue: string, labelled: boolean): ActivityProxies {
  const label = (what: string): string | undefined => (labelled ? activityLabel(step.id, what) : undefined);
  return {
    label,
    template: (what) => templateActivitiesLabelled(label(what)),
    step: (what, taskQueue = null) => stepActivities(step.timeoutSeconds, step.maxRetries, taskQueue, label(what)),
    sandbox: (what, codeTimeoutSeconds) => sandboxActivities(workflowQueue, codeTimeoutSeconds, step, label(what)),
  };
}

