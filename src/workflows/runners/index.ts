// The one table of step runners, keyed by kind: a new kind of step is a runner file and a line here.
import type { CompiledStep } from '../../base/compiled-pipeline';
import { runAgentStep } from './agent';
import { runApproval } from './approval';
import { runChildPipeline } from './child-pipeline';
import { runForEach } from './for-each';
import { runLlmStep } from './llm';
import { runLoopStep } from './loop';
import { runMcpStep } from './mcp';
import { runReplicatedStep } from './replicates';
import { runCodeStep } from './run-code';
import { runToolStep } from './tool';
import type { StepRunner } from './types';

export const STEP_RUNNERS = {
  llm: runLlmStep,
  for_each: runForEach,
  approval: runApproval,
  pipeline: runChildPipeline,
  run_code: runCodeStep,
  mcp: runMcpStep,
  agent: runAgentStep,
  agents: runAgentStep,
  replicates: runReplicatedStep,
  loop: runLoopStep,
  tool: runToolStep,
} satisfies Record<string, StepRunner>;

export type RunnerKind = keyof typeof STEP_RUNNERS;

/**
 * Which runner runs a step: a built-in action runs as itself; any other action (a prompt, a named action,
 * `generate`) is a model call: k of them with `replicates`, once per item when the step has a `for_each`.
 */
export function runnerKindOf(step: CompiledStep): RunnerKind {
  if (step.loop) return 'loop';
  if (step.actionKind in STEP_RUNNERS) return step.actionKind as RunnerKind;
  if (step.replicates) return 'replicates';
  return step.forEach !== null ? 'for_each' : 'llm';
}

export type { LoopHost, RunnerContext, StepOutcome, StepRunner, StepScope } from './types';
