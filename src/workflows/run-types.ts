// What a run takes and gives back (spec section 6); shared by the workflow, the client and the API.
import type { CacheRecord, ModelSelectionRecord, ResolvedAutoTag } from '../activities/types';
import type { CompiledPipeline } from '../compiler/types';

export type RunStatus = 'running' | 'paused' | 'completed' | 'failed' | 'cancelled' | 'budget_exceeded' | 'partially_completed';
export type StepStatus = 'pending' | 'running' | 'completed' | 'failed' | 'skipped' | 'cancelled' | 'waiting';

export interface Usage {
  input_tokens: number;
  output_tokens: number;
  cost_usd: number;
}

export interface StepRecord {
  status: StepStatus;
  result: unknown;
  error: string | null;
  attempts: number;
  model: string | null;
  usage: Usage;
  started_at: string | null;
  completed_at: string | null;
  /** With fallback models: each model tried, in order, and why it failed (null for the one that answered). */
  model_attempts?: Array<{ model: string; error: string | null }>;
  /** With a requirement (`model: { tasks, ... }`): the model selection chose, among which, and why. */
  model_selection?: ModelSelectionRecord;
  /** A cached step (spec section 9): whether its answer came from the cache, under which key, stored when. */
  cache?: CacheRecord;
  /** The model was asked again because its first answer was degenerate (a loop, an echo), and why. */
  retries?: number;
  reason?: string;
}

export interface AutoResolution {
  path: string;
  description: string;
  value: unknown;
  model: string;
  /** A dry run's placeholder, not a model's decision. */
  placeholder?: boolean;
  /** Reused from an earlier run with the same model, prompt and schema. */
  cached?: boolean;
  /** The model was asked again because its first answer was degenerate (a loop, an echo), and why. */
  retries?: number;
  reason?: string;
}

export interface RunResult {
  run_id: string;
  pipeline: string;
  status: RunStatus;
  outputs: Record<string, unknown>;
  steps: Record<string, StepRecord>;
  usage: Usage;
  auto_resolutions: AutoResolution[];
  error: string | null;
}

export interface RunOptions {
  /** Run every LLM step with the `echo` model. */
  dryRun?: boolean;
  /** Use this model for every LLM step that names none (and for the pipeline default). */
  defaultModel?: string;
  /** `orc run --no-cache`: cached steps read no entry (they still write one). */
  noCache?: boolean;
  /** `orc rerun`: results of an earlier run's completed steps, taken as they are instead of running again. */
  reuse?: Record<string, StepRecord>;
  /** Set by the workflow itself when it continues as new: everything the run had decided so far. */
  carry?: CarriedState;
}

/** What a run hands to its continuation when its history grows long (continue-as-new). */
export interface CarriedState {
  steps: Record<string, StepRecord>;
  autoResolutions: AutoResolution[];
  autoUsage: Usage;
  /** AUTO values already decided for steps that had not started yet. */
  resolvedTags: Record<string, ResolvedAutoTag[]>;
  failuresHandled: number;
  handlerTriggers: Record<string, string>;
  decisions: Record<string, ApprovalDecision>;
  paused: boolean;
  /** How many times this run has continued as new. */
  continuations: number;
}

export interface PipelineRunInput {
  pipeline: CompiledPipeline;
  inputs: Record<string, unknown>;
  options?: RunOptions;
}

/** What the `status` query answers while a run goes on. */
export interface RunProgress extends RunResult {
  paused: boolean;
  running: string[];
  /** Approval steps waiting for a person, with what they ask. */
  waiting: Array<{ step: string; prompt: string }>;
}

/** What `orc approve` (the `approve` update) sends. */
export interface ApprovalDecision {
  step: string;
  approved: boolean;
  comment?: string;
  by?: string;
}

/** An approval step's result. */
export interface ApprovalResult {
  approved: boolean;
  comment: string | null;
  by: string | null;
}
