// Signals, queries and the task queue of the pipeline workflow; clients import these, never the strings.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ApprovalDecision, ApprovalResult, RunProgress } from './run-types';

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
export const WORKFLOW_TYPE = 'pipelineWorkflow';

/** No new step starts while paused; running steps finish. */
export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');
/** Each step's state, attempts, model and usage so far. */
export const statusQuery = defineQuery<RunProgress>('status');
/** Decides a waiting approval step; rejected (with the reason) for an unknown step, one not waiting, or one decided. */
export const approveUpdate = defineUpdate<ApprovalResult, [ApprovalDecision]>('approve');
