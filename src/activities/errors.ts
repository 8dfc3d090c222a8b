// Turns what went wrong in an activity into the ApplicationFailure Temporal retries (or does not).
import { ApplicationFailure } from '@temporalio/activity';
import { FailureType } from '../base/failure-types';
import { ModelError } from '../models/types';
import { TemplateRenderError } from './render';

/** Details every failure carries so the workflow can report the attempt it failed on. */
export interface FailureDetails {
  attempt: number;
}

export function toApplicationFailure(error: unknown, where: { step: string; attempt: number }): ApplicationFailure {
  const details: FailureDetails[] = [{ attempt: where.attempt }];
  if (error instanceof ApplicationFailure) return error;
  if (error instanceof ModelError) {
    const { provider, model, isRetryable, retryAfterSeconds } = error.details;
    return ApplicationFailure.create({
      type: FailureType.ModelError,
      message: `step '${where.step}': ${provider} model '${model}' failed: ${error.message}`,
      nonRetryable: !isRetryable,
      details,
      ...(retryAfterSeconds !== undefined ? { nextRetryDelay: `${retryAfterSeconds}s` } : {}),
    });
  }
  if (error instanceof TemplateRenderError) {
    return ApplicationFailure.create({ type: FailureType.TemplateError, message: `step '${where.step}': ${error.message}`, nonRetryable: true, details });
  }
  const message = error instanceof Error ? error.message : String(error);
  return ApplicationFailure.create({ type: FailureType.StepError, message: `step '${where.step}': ${message}`, nonRetryable: false, details });
}
