// A `tool:` step (spec section 19): one action of the tool registry in the runTool activity, except a child run
// (pipeline-executor) and questions to a person (user-prompt, approval-gate, feedback-collection), which the
// workflow itself runs.
import { ApplicationFailure, executeChild, workflowInfo } from '@temporalio/workflow';
import { FailureType } from '../../base/failure-types';
import { parseDuration } from '../../compiler/durations';
import type { ToolCallOutput } from '../../tools/types';
import { approvalOf, DEFAULT_QUESTION_TIMEOUT_SECONDS, isHumanTool, PIPELINE_EXECUTOR, type HumanTool } from '../../tools/workflow-side';
import { WORKFLOW_TYPE } from '../definitions';
import type { pipelineWorkflow } from '../pipeline';
import { StepFailure } from '../step-failure';
import type { RunnerContext, StepOutcome, StepRunner } from './types';

/** The tool's fields readable both flat (`s.content`) and under `result` (`s.result.content`), with success and error. */
export function toolStepResult(output: Pick<ToolCallOutput, 'result' | 'success' | 'error'>): Record<string, unknown> {
  return { ...output.result, result: output.result, success: output.success, ...(output.error !== undefined ? { error: output.error } : {}) };
}

function invalid(stepId: string, message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: FailureType.InvalidStep, nonRetryable: true, message: `step '${stepId}': ${message}` });
}

export const runToolStep: StepRunner = async (run) => {
  const { step, context, options, renderForStep, activities } = run;
  if (!step.tool) throw invalid(step.id, 'a tool step needs `tool:` and `action:`');
  const parameters = await renderForStep(step.parameters, context);
  if (step.tool.name === PIPELINE_EXECUTOR) return runChildRun(run, parameters);
  if (isHumanTool(step.tool.name)) return askPerson(run, step.tool.name, parameters);
  const output = await activities.step(`tool ${step.tool.name}.${step.tool.action}`).runTool({
    tool: step.tool.name,
    action: step.tool.action,
    parameters,
    runId: workflowInfo().workflowId,
    stepId: step.id,
    workspace: options.workspace ?? '',
    ...(options.dryRun ? { dryRun: true } : {}),
  });
  return { result: toolStepResult(output), attempts: output.attempt ?? 1, ...(output.files ? { extra: { files: output.files } } : {}) };
};

/** pipeline-executor: `pipeline` is a file (next to this pipeline, else in the workspace) or the YAML itself. */
async function runChildRun({ step, pipeline, options, activities }: RunnerContext, parameters: Record<string, unknown>): Promise<StepOutcome> {
  const source = parameters.pipeline ?? parameters.file;
  if (typeof source !== 'string' || source.trim() === '') throw invalid(step.id, 'parameters.pipeline must be a pipeline file or its YAML');
  const inline = source.includes('\n');
  const child = await activities.template('load pipeline').loadChildPipeline({
    file: inline ? `${step.id}.inline.yaml` : source,
    relativeTo: pipeline.sourceFile,
    inputs: (parameters.inputs ?? {}) as Record<string, unknown>,
    ...(inline ? { yaml: source } : {}),
    ...(options.workspace !== undefined ? { workspace: options.workspace } : {}),
  });
  const summary = activities.label(`tool ${PIPELINE_EXECUTOR} ${child.pipeline.name}`);
  const result = await executeChild<typeof pipelineWorkflow>(WORKFLOW_TYPE, {
    workflowId: `${workflowInfo().workflowId}.${step.id}`,
    args: [{ pipeline: child.pipeline, inputs: child.inputs, options: { ...options, reuse: undefined, carry: undefined } }],
    ...(summary !== undefined ? { staticSummary: summary } : {}),
  });
  const mapping = (parameters.output_mapping ?? {}) as Record<string, unknown>;
  const outputs = Object.fromEntries(Object.entries(result.outputs).map(([name, value]) => [typeof mapping[name] === 'string' ? (mapping[name] as string) : name, value]));
  const fields = { pipeline_id: child.pipeline.name, run_id: result.run_id, status: result.status, outputs, steps_executed: Object.values(result.steps).filter((each) => each.status === 'completed').length };
  const files = result.files ?? [];
  if (result.status !== 'completed' && result.status !== 'partially_completed') {
    throw new StepFailure(`step '${step.id}': child pipeline '${child.pipeline.name}' ${result.status}: ${result.error ?? 'no detail'}`, { usage: result.usage, attempts: 1 });
  }
  return { result: toolStepResult({ result: fields, success: true }), usage: result.usage, attempts: 1, ...(files.length > 0 ? { extra: { files } } : {}) };
}

function questionText(tool: HumanTool, parameters: Record<string, unknown>): string {
  const parts = [parameters.prompt, parameters.title, parameters.message, parameters.content].filter((part) => typeof part === 'string' && part.trim() !== '');
  if (tool === 'feedback-collection' && Array.isArray(parameters.questions)) parts.push(JSON.stringify(parameters.questions));
  return parts.length > 0 ? parts.join('\n\n') : tool === 'approval-gate' ? 'Approve?' : 'Your answer?';
}

/** What a question's answer (or its default) gives a pipeline to read. */
function answerFields(tool: HumanTool, stepId: string, value: unknown, how: 'answered' | 'default' | 'dry_run'): Record<string, unknown> {
  const source = { answered_by: how };
  if (tool === 'approval-gate') {
    const approved = approvalOf(value);
    if (approved === undefined) throw invalid(stepId, `approval-gate takes yes or no, got ${JSON.stringify(value)}`);
    return { approved, value, ...source };
  }
  if (tool === 'feedback-collection') {
    let feedback: unknown = value;
    if (typeof value === 'string') {
      try {
        feedback = JSON.parse(value) as unknown;
      } catch {
        feedback = value;
      }
    }
    return { feedback, responses: feedback, ...source };
  }
  return { value, response: value, ...source };
}

/** user-prompt, approval-gate, feedback-collection: waits for `orc answer` until `timeout`, then takes `default`. */
async function askPerson({ step, state, options, approvals }: RunnerContext, tool: HumanTool, parameters: Record<string, unknown>): Promise<StepOutcome> {
  const hasDefault = parameters.default !== undefined && parameters.default !== null;
  // A dry run asks no one: the default answers, and an approval is granted.
  if (options.dryRun) {
    const value = hasDefault ? parameters.default : tool === 'approval-gate' ? true : '';
    return { result: toolStepResult({ result: answerFields(tool, step.id, value, 'dry_run'), success: true }), attempts: 0 };
  }
  const timeoutSeconds = parameters.timeout === undefined || parameters.timeout === null ? DEFAULT_QUESTION_TIMEOUT_SECONDS : parseDuration(parameters.timeout);
  if (timeoutSeconds === undefined) throw invalid(step.id, `parameters.timeout must be a duration such as 30, "2h" or "3d", got ${JSON.stringify(parameters.timeout)}`);
  if (Array.isArray(parameters.choices)) approvals.choices.set(step.id, parameters.choices.map(String));
  state.status = 'waiting';
  const decision = await approvals.wait(step.id, questionText(tool, parameters), timeoutSeconds);
  approvals.choices.delete(step.id);
  if (!decision && !hasDefault) {
    throw ApplicationFailure.create({
      type: FailureType.NoAnswer,
      nonRetryable: true,
      message: `step '${step.id}': no answer within ${timeoutSeconds}s and no default: answer with orc answer RUN_ID ${step.id} VALUE, or give parameters.default`,
    });
  }
  const value = decision ? (decision.value ?? (tool === 'approval-gate' ? decision.approved : '')) : parameters.default;
  const fields = answerFields(tool, step.id, value, decision ? 'answered' : 'default');
  if (decision?.comment) fields.comment = decision.comment;
  return { result: toolStepResult({ result: fields, success: true }), attempts: 1 };
}
