// Inputs and outputs of the activities, as the workflow sees them (types only: the workflow bundle imports this).
import type { AutoTag, CompiledStep } from '../compiler/types';
import type { StepStatus, Usage } from '../workflows/run-types';

/** What a template may read of another step. */
export interface StepView {
  result: unknown;
  status: StepStatus;
  error: string | null;
}

/** Only the values a template refers to: payloads stay small. */
export interface TemplateContext {
  inputs: Record<string, unknown>;
  steps: Record<string, StepView>;
  item?: unknown;
  index?: number;
  failed?: { id: string; error: string | null; status: StepStatus };
}

/** How an activity uses the step result cache (spec section 9); absent: the step is not cached. */
export interface StepCachePolicy {
  ttlSeconds: number;
  /** false under `orc run --no-cache`: no entry is read (one is still written). */
  read: boolean;
  /** A replicate's index (evidence bundles): replicates of one step are cached apart. */
  replicate?: number;
}

/** What a cached step records (`cache` in its step record); the activity returns it beside its output. */
export interface CacheRecord {
  hit: boolean;
  key: string;
  /** When the entry used (hit) or written (miss) was stored. */
  stored_at: string | null;
}

export interface ExecuteStepInput {
  pipelineName: string;
  pipelineDescription: string | null;
  /** The step with its AUTO tags already replaced by their values. */
  step: CompiledStep;
  /** The model spec to use (after defaults and dry-run). */
  model: string;
  temperature: number | null;
  maxTokens: number | null;
  context: TemplateContext;
  /** The model was chosen by selection: add each call's outcome to the bandit statistics. */
  recordOutcome?: boolean;
  cache?: StepCachePolicy;
}

export interface ExecuteStepOutput {
  result: unknown;
  model: string;
  usage: Usage;
  attempt: number;
  /** The model was asked again because its first answer was degenerate, and why (see ResolvedAutoTag). */
  retries?: number;
  reason?: string;
  cache?: CacheRecord;
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

export interface ChooseModelInput {
  /** A model spec (`openai:gpt-4o-mini`, a registry name, `local`, ...) or a requirement object. */
  spec: string | Record<string, unknown>;
  /** The step it is for (for messages), or null when the answer serves several steps. */
  stepId: string | null;
  /** The run's task queue: a rate-limited provider's queue is named after it. */
  workflowTaskQueue: string;
  /** The call a requirement is chosen for: its prompt must fit the model's context window. */
  call?: ExecuteStepInput;
}

export interface ChooseModelOutput {
  /** The spec to call: as given for a named model, `provider:model` for a requirement. */
  model: string;
  provider: string;
  /** The provider's own task queue when the worker rate-limits it; null for the pipeline queue. */
  taskQueue: string | null;
  /** Set when `spec` was a requirement. */
  selection: ModelSelectionRecord | null;
}

export interface ResolveAutoTagsInput {
  pipelineDescription: string | null;
  step: CompiledStep;
  tags: AutoTag[];
  model: string;
  /** Give each tag a valid placeholder instead of asking a model. */
  placeholder: boolean;
  context: TemplateContext;
}

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

export interface RenderValuesInput {
  /** name -> value whose strings may hold templates. */
  values: Record<string, unknown>;
  context: TemplateContext;
}

export interface EvaluateConditionInput {
  expression: string;
  context: TemplateContext;
}

/** Code to run in a fresh, locked-down container (spec section 3, `run_code`). */
export interface RunCodeInput {
  stepId: string;
  language: 'python' | 'javascript' | 'bash';
  code: string;
  /** Wall-clock limit for the code itself, in seconds. */
  timeoutSeconds: number;
  memoryMb: number;
  /** name -> text content, written into the work directory before the code starts. */
  files: Record<string, string>;
  cache?: StepCachePolicy;
}

export interface RunCodeResult {
  stdout: string;
  stderr: string;
  exit_code: number | null;
  /** Files the code left in its work directory (text, size-capped), input files excluded unless changed. */
  files: Record<string, string>;
  timed_out: boolean;
  oom_killed: boolean;
  duration_ms: number;
}

/** How to reach an MCP server: a stdio command, or a Streamable HTTP URL. */
export type McpServerSpec =
  | { command: string; args?: string[]; env?: Record<string, string>; cwd?: string }
  | { url: string; headers?: Record<string, string> };

export interface CallMcpToolInput {
  stepId: string;
  /** The name the pipeline used for the server (for messages). */
  serverName: string;
  server: McpServerSpec;
  tool: string;
  arguments: Record<string, unknown>;
  cache?: StepCachePolicy;
}

export interface McpToolResult {
  /** The text parts of the tool's answer, joined by newlines. */
  text: string;
  /** The tool's structured answer, when it gives one. */
  structured: unknown;
  /** Every content part, as the server sent it. */
  content: unknown[];
}
