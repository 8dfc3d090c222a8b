// A `pipeline` step: another pipeline file, run as a child workflow; its outputs are this step's result.
import { isCompletedRun } from '../../base/run-types';
import { executeChild, workflowInfo } from '@temporalio/workflow';
import { WORKFLOW_TYPE } from '../definitions';
import type { pipelineWorkflow } from '../pipeline';
import { invalidStep } from '../../base/failure-types';
import type { RunOptions, RunResult } from '../../base/run-types';
import type { CompiledPipeline } from '../../base/compiled-pipeline';
import type { ActivityProxies } from '../step-calls';
import { StepFailure } from '../step-failure';
import type { StepRunner } from './types';

/** A pipeline run as a child workflow of this run, labelled `what` in the Web UI (a `pipeline` step, an agent's pipeline tool). */
export async function executeChildPipeline(
  activities: ActivityProxies,
  what: string,
  workflowId: string,
  child: { pipeline: CompiledPipeline; inputs: Record<string, unknown> },
  options: RunOptions | undefined,
): Promise<RunResult> {
  const summary = activities.label(what);
  return executeChild<typeof pipelineWorkflow>(WORKFLOW_TYPE, {
    workflowId,
    args: [{ pipeline: child.pipeline, inputs: child.inputs, options }],
    ...(summary !== undefined ? { staticSummary: summary } : {}),
  });
}

export const runChildPipeline: StepRunner = async ({ step, context, pipeline, options, renderForStep, activities }) => {
  const parameters = await renderForStep({ file: step.parameters.file, inputs: step.parameters.inputs ?? {} }, context);
  if (typeof parameters.file !== 'string') throw invalidStep(`step '${step.id}': parameters.file must name a pipeline file`);
  const child = await activities.template('load pipeline').loadChildPipeline({
    file: parameters.file,
    relativeTo: pipeline.sourceFile,
    inputs: (parameters.inputs ?? {}) as Record<string, unknown>,
  });
  // A child workflow is not retried: one run is one attempt, whatever its outcome.
  const result = await executeChildPipeline(activities, `pipeline ${child.pipeline.name}`, `${workflowInfo().workflowId}.${step.id}`, child, options);
  if (!isCompletedRun(result.status)) {
    throw new StepFailure(`step '${step.id}': child pipeline '${child.pipeline.name}' ${result.status}: ${result.error ?? 'no detail'}`, { usage: result.usage, attempts: 1 });
  }
  return { result: result.outputs, usage: result.usage, attempts: 1 };
};
