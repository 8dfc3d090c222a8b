// The failures a tool action raises: an ApplicationFailure whose `type` callers branch on (src/base/failure-types.ts).
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../base/failure-types';

/** A failure that retrying will not mend: bad parameters, a refused path or address, a missing backend. */
export function toolFailure(type: FailureType, message: string): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true });
}

/** The step's parameters are wrong; the message says what to write instead. */
export function invalidParameters(message: string): ApplicationFailure {
  return toolFailure(FailureType.InvalidStep, message);
}

/** The tool's backend answered with an error (retried: it may be passing). */
export function backendFailed(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: FailureType.ToolFailed, message, nonRetryable: false });
}
