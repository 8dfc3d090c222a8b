// Signals, queries and the task queue of the pipeline workflow; clients import these, never the strings.
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { RunProgress } from './run-types';

export const TASK_QUEUE = 'orc-pipelines';
export const WORKFLOW_TYPE = 'pipelineWorkflow';

/** No new step starts while paused; running steps finish. */
export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');
/** Each step's state, attempts, model and usage so far. */
export const statusQuery = defineQuery<RunProgress>('status');
