// What a run takes and gives back (spec section 6); shared by the workflow, the activities, the client and the API.
import type { TransportedPipeline } from './compact-pipeline';
import type { Budget, CompiledPipeline } from './compiled-pipeline';

export type RunStatus = 'running' | 'paused' | 'completed' | 'failed' | 'cancelled' | 'budget_exceeded' | 'partially_completed';
/** A run that reached its end: every step done, or failures handled by on_failure ("partially_completed"). */
export function isCompletedRun(status: RunStatus): boolean {
  return status === 'completed' || status === 'partially_completed';
}

export type StepStatus = 'pending' | 'running' | 'completed' | 'failed' | 'skipped' | 'cancelled' | 'waiting';

/** Tokens and cost of one call, a step, or a whole run: the one shape every part adds up. */
export interface Usage {
  input_tokens: number;
  output_tokens: number;
  cost_usd: number;
}

export function zeroUsage(): Usage {
  return { input_tokens: 0, output_tokens: 0, cost_usd: 0 };
}

/** Adds `more` into `total` (in place: totals are kept in records that live through the run). */
export function addUsage(total: Usage, more: Usage): void {
  total.input_tokens += more.input_tokens;
  total.output_tokens += more.output_tokens;
  total.cost_usd += more.cost_usd;
}

/** The sum of several calls' usage, as a new object. */
export function sumUsage(...parts: Usage[]): Usage {
  const total = zeroUsage();
  for (const part of parts) addUsage(total, part);
  return total;
}

/** Tokens in and out together: what token budgets and token counts count. */
export function totalTokens(usage: Pick<Usage, 'input_tokens' | 'output_tokens'>): number {
  return usage.input_tokens + usage.output_tokens;
}

/** What one of `count` calls used on average (`total` itself when there were none). */
export function averageUsage(total: Usage, count: number): Usage {
  if (count <= 0) return total;
  return { input_tokens: total.input_tokens / count, output_tokens: total.output_tokens / count, cost_usd: total.cost_usd / count };
}

/** Why `usage` is over a step's own budget (`budget:` on the step), or null: the one rule for every kind of step. */
export function overStepBudget(budget: Budget | null | undefined, usage: Usage): string | null {
  const tokens = totalTokens(usage);
  if (budget?.tokens !== undefined && tokens > budget.tokens) return `used ${tokens} tokens, over its budget of ${budget.tokens}`;
  if (budget?.costUsd !== undefined && usage.cost_usd > budget.costUsd) return `cost $${usage.cost_usd.toFixed(6)}, over its budget of $${budget.costUsd}`;
  return null;
}

/** What a cached step records (`cache` in its step record); the activity returns it beside its output. */
export interface CacheRecord {
  hit: boolean;
  key: string;
  /** When the entry used (hit) or written (miss) was stored. */
  stored_at: string | null;
}

/** How a requirement (`model: { tasks, ... }`) was resolved for a step; kept in the step's result as `model_selection`. */
export interface ModelSelectionRecord {
  /** The requirement as the pipeline wrote it. */
  requirement: Record<string, unknown>;
  policy: string;
  /** `provider:model` of the model chosen. */
  chosen: string;
  /** Every model that met the requirement and could be called by the worker. */
  candidates: string[];
  /** The models that did not, and why. */
  rejected: Array<{ model: string; reasons: string[] }>;
  reason: string;
  /** The prompt size (~4 characters a token) that context windows were checked against. */
  estimated_prompt_tokens: number;
}

/** One AUTO tag's decided value, as the resolving activity returns it and a continued run carries it. */
export interface ResolvedAutoTag {
  path: string;
  value: unknown;
  model: string;
  usage: Usage;
  /** Taken from the (model, prompt, schema) cache rather than asked. */
  cached?: boolean;
  /** The model was asked again because its first answer was degenerate (a loop, an echo of the schema or prompt). */
  retries?: number;
  /** Why it was asked again. */
  reason?: string;
}

export interface StepRecord {
  status: StepStatus;
  result: unknown;
  error: string | null;
  /** The failure's type (src/base/failure-types.ts: TOOL_UNAVAILABLE, PATH_OUTSIDE_WORKSPACE, ...) when it had one. */
  error_type?: string;
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
  /** A replicated step (spec section 10): every replicate's answer, the consensus, agreement and disagreements. */
  evidence?: unknown;
  /** A tool step (spec section 19): the workspace-relative files it wrote. */
  files?: string[];
  /** The model was asked again because its first answer was degenerate (a loop, an echo), and why. */
  retries?: number;
  reason?: string;
  /** A step that failed and an `on_error` handler recovered: the error, and what gave its result. */
  recovered?: { error: string; by: string };
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
  /** Workspace-relative paths that tool steps wrote (spec section 19); absent when none did. */
  files?: string[];
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
  /**
   * Keep the Orc* search attributes (spec section 13) up to date. Set by a client that checked the server has
   * them registered: upserting an unregistered attribute fails the workflow task, and the run stalls.
   */
  searchAttributes?: boolean;
  /** Set by the workflow itself when it continues as new: everything the run had decided so far. */
  carry?: CarriedState;
  /**
   * The run's workspace (absolute path; `orc run --workspace DIR`, default the current directory): where tool
   * steps read and write files (spec section 19). Loop children and handlers get it like any other step.
   */
  workspace?: string;
}

/** How far a loop step has come (spec section 18), carried when the run continues as new. */
export interface LoopProgress {
  /** The first iteration not finished: every earlier one ran (and, for `until`, had its condition checked). */
  next: number;
  /** for_each: the items, rendered once (at most `max_iterations` of them). */
  items?: unknown[];
  /** for_each: there were more items than `max_iterations`. */
  truncated?: boolean;
  /** When the loop first started (a continued run keeps it). */
  startedAt?: string | null;
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
  /** Loops under way, by step id (their finished iterations' steps are in `steps`). */
  loops?: Record<string, LoopProgress>;
}

export interface PipelineRunInput {
  /** Compacted by the client (see compact-pipeline.ts); in full from older clients and for child pipelines. */
  pipeline: TransportedPipeline;
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
  /** `orc answer`'s value, for user-prompt, approval-gate and feedback-collection tool steps. */
  value?: string;
}

/** What `orc answer RUN STEP VALUE` (the `answer` update) sends. */
export interface StepAnswer {
  step: string;
  value: string;
  by?: string;
}

/** An approval step's result. */
export interface ApprovalResult {
  approved: boolean;
  comment: string | null;
  by: string | null;
}
