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
}

export interface ExecuteStepOutput {
  result: unknown;
  model: string;
  usage: Usage;
  attempt: number;
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
