// How a failed step reads: its message and its attempt count, from under the wrappers Temporal adds.
import { ActivityFailure, ApplicationFailure, ChildWorkflowFailure, TimeoutFailure } from '@temporalio/workflow';
import { FailureType } from '../base/failure-types';
import type { CompiledStep } from '../base/compiled-pipeline';
import type { StepOutcome } from './runners/types';

/**
 * A step that failed after it did something worth showing: its rejected approval, its code's output, the
 * attempts it made. The runner throws it; the run records `outcome` on the step beside the error.
 */
export class StepFailure extends Error {
  constructor(
    message: string,
    readonly outcome: Partial<StepOutcome>,
    /** Set when the run's budget stopped the step part-way: the run ends `budget_exceeded`, its on_failure does not apply. */
    readonly budgetStop: string | null = null,
    /** What kind of failure it is (src/base/failure-types.ts), for handlers and people to branch on. */
    readonly type: FailureType | null = budgetStop !== null ? FailureType.BudgetExceeded : null,
  ) {
    super(message);
    this.name = 'StepFailure';
  }
}

/** The failure's type (CONFLICT, BUDGET_EXCEEDED, TOOL_UNAVAILABLE, ModelError, ...) under the wrappers, if it has one. */
export function failureType(error: unknown): string | undefined {
  if (error instanceof StepFailure) return error.type ?? undefined;
  const cause = rootCause(error);
  if (cause instanceof TimeoutFailure) return FailureType.Timeout;
  return cause instanceof ApplicationFailure && typeof cause.type === 'string' && cause.type !== '' ? cause.type : undefined;
}

/** The failure that says what went wrong, under the activity or child-workflow wrappers Temporal adds. */
export function rootCause(error: unknown): unknown {
  let current = error;
  while ((current instanceof ActivityFailure || current instanceof ChildWorkflowFailure) && current.cause) current = current.cause;
  return current;
}

export function failureMessage(error: unknown, step: CompiledStep): string {
  const cause = rootCause(error);
  if (cause instanceof TimeoutFailure) {
    const attempts = step.maxRetries + 1;
    return `step '${step.id}' timed out after ${step.timeoutSeconds}s${attempts > 1 ? ` (on each of ${attempts} attempts)` : ''}`;
  }
  if (cause instanceof Error) return cause.message;
  return String(cause);
}

/**
 * How many attempts a failed step made: the attempt its activity reported, else one for an error no retry can
 * fix or a child pipeline, every attempt its retry policy allows for an activity that ran out of them, and none
 * for a failure before any call (a template that did not render).
 */
export function failureAttempts(error: unknown, step: CompiledStep): number {
  if (error instanceof StepFailure && error.outcome.attempts !== undefined) return error.outcome.attempts;
  const cause = rootCause(error);
  if (cause instanceof ApplicationFailure) {
    const detail = cause.details?.[0] as { attempt?: number } | undefined;
    if (typeof detail?.attempt === 'number') return detail.attempt;
    // An activity error no retry can fix ends the step on the attempt that met it: the first, for all it says.
    if (error instanceof ActivityFailure && cause.nonRetryable) return 1;
  }
  if (error instanceof ChildWorkflowFailure) return 1;
  if (error instanceof ActivityFailure) return step.maxRetries + 1;
  return 0;
}

/**
 * Thrown by a loop step that stopped between iterations so that the run can continue as new (its history grew
 * long): the step goes back to pending, and its progress travels in the run's carried state.
 */
export class LoopSuspended extends Error {
  constructor(readonly loopId: string) {
    super(`loop '${loopId}' paused for continue-as-new`);
    this.name = 'LoopSuspended';
  }
}
