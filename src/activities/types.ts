// Inputs and outputs of the activities, as the workflow sees them (types only: the workflow bundle imports this).
import type { CompactStep } from '../base/compact-pipeline';
import type { AutoTag, CompiledStep, CompiledTool } from '../base/compiled-pipeline';
import type { CacheRecord, ModelSelectionRecord, StepStatus, Usage } from '../base/run-types';
import type { ChatMessage, ToolDefinition } from '../models/types';
import type { SandboxAnswer } from '../tools/types';

// Shapes the run's result shares with activities live in the ground floor; these names stay importable from here.
export type { CacheRecord, ModelSelectionRecord, ResolvedAutoTag } from '../base/run-types';

/** What a template may read of another step. */
export interface StepView {
  result: unknown;
  status: StepStatus;
  error: string | null;
  /** A replicated step's evidence bundle (spec section 10). */
  evidence?: unknown;
}

/** Only the values a template refers to: payloads stay small. */
export interface TemplateContext {
  inputs: Record<string, unknown>;
  steps: Record<string, StepView>;
  item?: unknown;
  index?: number;
  failed?: { id: string; error: string | null; status: StepStatus };
  /** More names for templates (a loop's `iteration`, `$item`, `is_last`, ...), beside the inputs and steps. */
  vars?: Record<string, unknown>;
}

/** How an activity uses the step result cache (spec section 9); absent: the step is not cached. */
export interface StepCachePolicy {
  ttlSeconds: number;
  /** false under `orc run --no-cache`: no entry is read (one is still written). */
  read: boolean;
  /** A replicate's index (evidence bundles): replicates of one step are cached apart. */
  replicate?: number;
}

/** What the run_code and mcp activities return beside their result's own fields (the workflow takes them off). */
export interface CallRecord {
  /** The attempt that answered (Temporal's `activityInfo().attempt`, 1 for the first). */
  attempt?: number;
  cache?: CacheRecord;
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
  /** A replicate's own seed (providers that take one), so replicates differ. */
  seed?: number;
}

/**
 * An ExecuteStepInput as a model call's activity receives it: the step compacted (compactStep) and the null
 * fields left out; `expandStepInput` makes it whole. Calls scheduled before compaction arrive whole.
 */
export type TransportedStepInput = Omit<ExecuteStepInput, 'step' | 'pipelineDescription' | 'temperature' | 'maxTokens'> & {
  step: CompactStep | CompiledStep;
  pipelineDescription?: string | null;
  temperature?: number | null;
  maxTokens?: number | null;
};

export interface ExecuteStepOutput {
  result: unknown;
  model: string;
  usage: Usage;
  attempt: number;
  cache?: CacheRecord;
  /** The model was asked again because its first answer was degenerate, and why (see ResolvedAutoTag). */
  retries?: number;
  reason?: string;
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

export interface RenderValuesInput {
  /** name -> value whose strings may hold templates. */
  values: Record<string, unknown>;
  context: TemplateContext;
}

export interface EvaluateConditionInput {
  expression: string;
  context: TemplateContext;
  /**
   * The dialect's `condition`: a condition that cannot be evaluated skips its step (the answer is a
   * `ConditionUnevaluated`) rather than failing it. Absent: the error fails the step.
   */
  errorSkips?: boolean;
}

/** A condition that could not be evaluated, with why (only when `errorSkips` was asked). */
export interface ConditionUnevaluated {
  proceed: false;
  error: string;
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
  /** The container gets a network (tool steps that ask for it, on a worker with ORC_SANDBOX_NETWORK=1); none by default. */
  network?: boolean;
}

/** What sandboxed code gave back: the same answer the tools' sandbox service lends (src/tools/types.ts). */
export type RunCodeResult = SandboxAnswer;

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

/** The tools of an agent step, to be described to its models (spec section 11). */
export interface DescribeAgentToolsInput {
  stepId: string;
  tools: CompiledTool[];
  mcpServers: Record<string, McpServerSpec>;
}

/** One model turn of an agent: the conversation so far and the tools it may call. */
export interface AgentTurnInput {
  stepId: string;
  agent: string;
  /** 1 for the first turn of the step, counted over every agent. */
  turn: number;
  model: string;
  messages: ChatMessage[];
  tools: ToolDefinition[];
  temperature: number | null;
  maxTokens: number | null;
  /** The step's output schema: a final answer is asked again in this shape. */
  outputSchema: Record<string, unknown> | null;
}

export interface AgentTurnOutput {
  /** The assistant's message: tool calls, or the final answer in `content`. */
  message: ChatMessage;
  /** The final answer as the output schema shapes it, when the step has one. */
  answer?: unknown;
  model: string;
  usage: Usage;
  attempt: number;
}
