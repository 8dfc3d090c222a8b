// Signals, queries and the task queue of the pipeline workflow; clients import these, never the strings.
import { defineSearchAttributeKey } from '@temporalio/common';
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

/**
 * The run's custom search attributes (spec section 13), upserted only when `RunOptions.searchAttributes` says the
 * server has them registered: upserting an unregistered attribute fails the workflow task until it is.
 */
export const orcPipelineKey = defineSearchAttributeKey('OrcPipeline', 'KEYWORD');
export const orcStatusKey = defineSearchAttributeKey('OrcStatus', 'KEYWORD');
export const orcCostUsdKey = defineSearchAttributeKey('OrcCostUsd', 'DOUBLE');
export const orcTokensKey = defineSearchAttributeKey('OrcTokens', 'INT');
export const ORC_SEARCH_ATTRIBUTES = [orcPipelineKey, orcStatusKey, orcCostUsdKey, orcTokensKey] as const;
