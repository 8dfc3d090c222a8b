// An approval step: waits for `orc approve` (the `approve` update) until its timeout; a rejection fails the step.
import { DEFAULT_APPROVAL_TIMEOUT_SECONDS } from '../../base/defaults';
import { FailureType } from '../../base/failure-types';
import { parseDuration } from '../../compiler/durations';
import type { ApprovalResult } from '../../base/run-types';
import { StepFailure } from '../step-failure';
import type { StepRunner } from './types';

export const runApproval: StepRunner = async ({ step, state, context, renderForStep, approvals }) => {
  // The timeout may be a template (`"{{ inputs.deadline }}"`): it renders with the prompt, in one activity.
  const { prompt, timeout } = await renderForStep({ prompt: step.parameters.prompt ?? `Approve step '${step.id}'?`, timeout: step.parameters.timeout ?? null }, context);
  const timeoutSeconds = timeout === null || timeout === undefined || timeout === '' ? DEFAULT_APPROVAL_TIMEOUT_SECONDS : parseDuration(timeout);
  if (timeoutSeconds === undefined) {
    throw new StepFailure(`step '${step.id}': parameters.timeout must be a duration such as 30, "2h" or "3d", got ${JSON.stringify(timeout)}`, { attempts: 0 }, null, FailureType.InvalidStep);
  }
  state.status = 'waiting';
  const decision = await approvals.wait(step.id, String(prompt), timeoutSeconds);
  if (!decision) throw new StepFailure(`step '${step.id}': no approval decision within ${timeoutSeconds}s`, { attempts: 1 }, null, FailureType.ApprovalRejected);
  const result: ApprovalResult = { approved: decision.approved, comment: decision.comment ?? null, by: decision.by ?? null };
  if (!decision.approved) {
    throw new StepFailure(`step '${step.id}' was rejected${result.by ? ` by ${result.by}` : ''}${result.comment ? `: ${result.comment}` : ''}`, { result, attempts: 1 }, null, FailureType.ApprovalRejected);
  }
  return { result, attempts: 1 };
};
