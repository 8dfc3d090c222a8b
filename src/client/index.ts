// The TypeScript API of orchestrator.
export { Orchestrator, newRunId, type OrchestratorOptions, type ExecuteOptions, type RunListing, type TokenListener } from './orchestrator';
export { compilePipeline, compilePipelineFile, PipelineValidationError, type CompiledPipeline } from '../compiler';
export type { RunResult, RunProgress, StepRecord, RunStatus, StepStatus, ApprovalDecision, ApprovalResult } from '../base/run-types';
export { approveUpdate, pauseSignal, resumeSignal, statusQuery } from '../workflows/definitions';
export { TASK_QUEUE } from '../base/task-queues';
