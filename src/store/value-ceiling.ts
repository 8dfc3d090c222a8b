// The hard ceiling on a value (ORC_MAX_VALUE_BYTES): an activity answering more fails its step, it is never stored.
import { ApplicationFailure } from '@temporalio/common';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { FailureType } from '../base/failure-types';

export function describeBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** The step an activity works for, read from its input (`step.id` or `stepId`), for the message. */
function stepOf(args: unknown[]): string | null {
  const input = args[0] as { stepId?: unknown; step?: { id?: unknown } } | undefined;
  if (typeof input?.stepId === 'string') return input.stepId;
  if (typeof input?.step?.id === 'string') return input.step.id;
  return null;
}

/** The size the value has once serialised for history (JSON, UTF-8). */
export function serialisedSize(value: unknown): number {
  const text = JSON.stringify(value);
  return text === undefined ? 0 : Buffer.byteLength(text, 'utf8');
}

export function valueTooLarge(what: string, bytes: number, limit: number, attempt = 1): ApplicationFailure {
  return ApplicationFailure.create({
    type: FailureType.ValueTooLarge,
    nonRetryable: true,
    // The workflow reads the attempt from the details (the step record's `attempts`).
    details: [{ attempt }],
    message:
      `${what} produced a value of ${describeBytes(bytes)}, over the ceiling of ${describeBytes(limit)} ` +
      `(ORC_MAX_VALUE_BYTES=${limit}; ${FailureType.ValueTooLarge}). Make the step return less, or raise ORC_MAX_VALUE_BYTES.`,
  });
}

/**
 * Checks every activity's result against the ceiling at the activity edge, so a step over it fails for good
 * (non-retryable: the same call would answer as much again) with a message naming the step.
 */
export function valueCeilingInterceptor(limit: number): ActivityInterceptorsFactory {
  return (context) => ({
    inbound: {
      async execute(input, next) {
        const result = await next(input);
        const bytes = serialisedSize(result);
        if (bytes > limit) {
          const step = stepOf(input.args);
          throw valueTooLarge(step !== null ? `step '${step}'` : `activity ${context.info.activityType}`, bytes, limit, context.info.attempt);
        }
        return result;
      },
    },
  });
}
