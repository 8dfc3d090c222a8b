// The registry's entries for tools the workflow runs itself (runners/tool.ts): listed by `orc tools` with their
// parameters; the runTool activity never calls them.
import { ApplicationFailure } from '@temporalio/activity';
import { z } from 'zod';
import { FailureType } from '../base/failure-types';
import type { ToolAction, ToolModule } from './types';
import { PIPELINE_EXECUTOR, type HumanTool } from './workflow-side';

function inWorkflow(name: string): ToolAction['run'] {
  return () => Promise.reject(ApplicationFailure.create({ type: FailureType.InvalidStep, nonRetryable: true, message: `tool '${name}' runs in the workflow, not in the runTool activity` }));
}

export const pipelineExecutorTool: ToolModule = {
  name: PIPELINE_EXECUTOR,
  description: 'Runs another pipeline (a file, or its YAML inline) as a child run: {pipeline_id, outputs, steps_executed}.',
  actions: {
    execute: {
      description: 'the child run; output_mapping renames its outputs',
      parameters: z.object({ pipeline: z.string(), inputs: z.record(z.string(), z.unknown()).optional(), output_mapping: z.record(z.string(), z.string()).optional() }),
      run: inWorkflow(PIPELINE_EXECUTOR),
    },
  },
  defaultAction: 'execute',
  availability: () => ({ available: true }),
};

const question = { timeout: z.union([z.number(), z.string()]).optional(), default: z.unknown().optional() };

function humanTool(name: HumanTool, description: string, parameters: z.ZodType): ToolModule {
  return {
    name,
    description: `${description} Answered with orc answer RUN_ID STEP VALUE; after timeout (default 24h) its default answers, or it fails with NO_ANSWER.`,
    actions: { execute: { description: 'asks and waits', parameters, run: inWorkflow(name) } },
    defaultAction: 'execute',
    availability: () => ({ available: true }),
  };
}

export const userPromptTool = humanTool('user-prompt', 'Asks a person a question (choices limit the answers): {value}.', z.object({ prompt: z.string(), choices: z.array(z.string()).optional(), ...question }));
export const approvalGateTool = humanTool('approval-gate', 'Asks a person to approve (yes/no; orc approve works too): {approved}.', z.object({ title: z.string().optional(), content: z.string().optional(), ...question }));
export const feedbackCollectionTool = humanTool('feedback-collection', 'Collects feedback (text or JSON): {feedback}.', z.object({ title: z.string().optional(), questions: z.array(z.unknown()).optional(), ...question }));
