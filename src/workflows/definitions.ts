// Signals, queries, updates and search attributes of the pipeline workflow; clients import these, never the strings.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ApprovalDecision, ApprovalResult, RunProgress, StepAnswer } from '../base/run-types';

// Task-queue names live in the ground floor; workflow code keeps importing them from here.
export { TASK_QUEUE, sandboxQueueFor, providerQueueFor } from '../base/task-queues';

export const WORKFLOW_TYPE = 'pipelineWorkflow';
/** The `orc test` workflow: one child run of WORKFLOW_TYPE per case (spec section 14). */
export const TEST_WORKFLOW_TYPE = 'pipelineTestWorkflow';

/** No new step starts while paused; running steps finish. */
export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');
/** Each step's state, attempts, model and usage so far. */
export const statusQuery = defineQuery<RunProgress>('status');
/** Decides a waiting approval step; rejected (with the reason) for an unknown step, one not waiting, or one decided. */
export const approveUpdate = defineUpdate<ApprovalResult, [ApprovalDecision]>('approve');
/** Answers a waiting user-prompt, approval-gate or feedback-collection tool step; rejected for any other step. */
export const answerUpdate = defineUpdate<StepAnswer, [StepAnswer]>('answer');

// The run's custom search attributes (spec section 13) live in the ground floor; the workflow upserts them only when
// `RunOptions.searchAttributes` says the server has them registered.
export { ORC_SEARCH_ATTRIBUTES, OrcCostUsd, OrcPipeline, OrcStatus, OrcTokens } from '../base/search-attributes';
