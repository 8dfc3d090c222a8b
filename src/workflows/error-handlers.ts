// `on_error` handlers (spec section 18; pyorc-dialect.md section 2.6): once a step's retries are spent, the first
// handler that matches its error runs a handler step, asks the step's model, or gives a fallback value.
import { ApplicationFailure, isCancellation, TimeoutFailure } from '@temporalio/workflow';
import type { ExecuteStepOutput, TemplateContext } from '../activities/types';
import type { FailureType } from '../base/failure-types';
import type { CompiledErrorHandler, CompiledStep } from '../base/compiled-pipeline';
import type { RunnerContext, StepOutcome } from './runners/types';
import type { StepRecord } from '../base/run-types';
import { failureAttempts, failureMessage, failureType, LoopSuspended, rootCause, StepFailure } from './step-failure';

/** What the handlers may do, given by the step's execution. */
export interface ErrorRecovery {
  /** Runs the pipeline's handler step with `{{ failed }}` set; resolves with its record. */
  runHandlerStep(handlerId: string, failed: NonNullable<TemplateContext['failed']>): Promise<StepRecord>;
  /** One model call (with the step's fallbacks) for a `handler_action`. */
  callModel(step: CompiledStep, context: TemplateContext, state: StepRecord): Promise<ExecuteStepOutput>;
}

/** The failure's type, kept when a handler's failure is added to its message. */
function typeOf(error: unknown): FailureType | null {
  return (failureType(error) as FailureType | undefined) ?? null;
}

/** The names an error answers to: its failure type (`TOOL_FAILED`, `ModelError`, ...), its class, `timeout`. */
function errorTypesOf(error: unknown): string[] {
  const cause = rootCause(error);
  const names: string[] = [];
  const type = failureType(error);
  if (type !== undefined) names.push(type);
  if (cause instanceof TimeoutFailure) names.push('timeout', 'TimeoutError');
  if (cause instanceof Error) names.push(cause.name);
  return names.map((name) => name.toLowerCase());
}

function matches(handler: CompiledErrorHandler, types: string[], message: string): boolean {
  const typeMatches = handler.errorTypes.length === 0 || handler.errorTypes.some((type) => type === '*' || types.includes(type.toLowerCase()));
  const patternMatches =
    handler.errorPatterns.length === 0 ||
    handler.errorPatterns.some((pattern) => {
      try {
        return new RegExp(pattern).test(message);
      } catch {
        return message.includes(pattern);
      }
    });
  return typeMatches && patternMatches;
}

/** The step as a plain model call of the handler's prompt; the error is in `{{ failed.error }}`. */
function handlerActionStep(step: CompiledStep, prompt: string): CompiledStep {
  const action = /\bfailed\b/.test(prompt) ? prompt : `${prompt}\n\nThe error of step '${step.id}':\n{{ failed.error }}`;
  return {
    ...step,
    actionKind: 'prompt',
    action,
    parameters: {},
    forEach: null,
    outputSchema: null,
    when: null,
    autoTags: [],
    cache: null,
    replicates: null,
    errorHandlers: undefined,
    loop: undefined,
    tool: undefined,
    agent: undefined,
  };
}

type Attempt = { ok: true; result: unknown; by: string } | { ok: false; error: string };

/** Runs the handler's step or action; a failure of the handler is returned, not thrown (the next may try). */
async function runHandler(run: RunnerContext, handler: CompiledErrorHandler, failed: NonNullable<TemplateContext['failed']>, recovery: ErrorRecovery): Promise<Attempt | null> {
  try {
    if (handler.handlerStep !== null) {
      const record = await recovery.runHandlerStep(handler.handlerStep, failed);
      if (record.status === 'completed') return { ok: true, result: record.result, by: `handler step '${handler.handlerStep}'` };
      return { ok: false, error: `handler step '${handler.handlerStep}' ${record.status}${record.error ? `: ${record.error}` : ''}` };
    }
    if (handler.handlerAction !== null) {
      const output = await recovery.callModel(handlerActionStep(run.step, handler.handlerAction), { ...run.context, failed }, run.state);
      return { ok: true, result: output.result, by: 'handler_action' };
    }
    return null;
  } catch (error) {
    if (isCancellation(error)) throw error;
    return { ok: false, error: failureMessage(error, run.step) };
  }
}

/** The step once more after a handler succeeded (`retryWithHandler`); failing again fails it, saying so. */
async function retried(run: RunnerContext, attempt: () => Promise<StepOutcome>, firstError: string, by: string): Promise<StepOutcome> {
  try {
    const again = await attempt();
    return { ...again, extra: { ...again.extra, recovered: { error: firstError, by: `${by}, then the step again` } } };
  } catch (error) {
    if (isCancellation(error) || error instanceof LoopSuspended || (error instanceof StepFailure && error.budgetStop !== null)) throw error;
    const message = `${failureMessage(error, run.step)} (failed again after its on_error ${by} ran; the first error: ${firstError})`;
    throw new StepFailure(message, error instanceof StepFailure ? error.outcome : { attempts: failureAttempts(error, run.step) }, null, typeOf(error));
  }
}

/**
 * Runs the step; when it fails for good, tries its handlers in order. A handler that succeeded gives the step's
 * result (or, with `retryWithHandler`, the step runs once more); one that failed hands over to the next only with
 * `continueOnHandlerFailure`, else its fallback value applies if it has one. None applies: the error stands.
 */
export async function withErrorHandlers(run: RunnerContext, attempt: () => Promise<StepOutcome>, recovery: ErrorRecovery): Promise<StepOutcome> {
  let original: unknown;
  try {
    return await attempt();
  } catch (error) {
    if (isCancellation(error) || error instanceof LoopSuspended || (error instanceof StepFailure && error.budgetStop !== null)) throw error;
    original = error;
  }
  const { step } = run;
  const message = failureMessage(original, step);
  const attempts = failureAttempts(original, step);
  const failed = { id: step.id, error: message, status: 'failed' as const };
  const types = errorTypesOf(original);
  const recovered = (result: unknown, by: string): StepOutcome => ({ result, attempts, extra: { recovered: { error: message, by } } });
  const handlerErrors: string[] = [];
  for (const handler of step.errorHandlers ?? []) {
    if (!matches(handler, types, message)) continue;
    const outcome = await runHandler(run, handler, failed, recovery);
    if (outcome?.ok) {
      if (!handler.retryWithHandler) return recovered(outcome.result, outcome.by);
      return retried(run, attempt, message, outcome.by);
    }
    if (outcome !== null) handlerErrors.push(outcome.error);
    if (outcome !== null && handler.continueOnHandlerFailure) continue;
    if (handler.hasFallback) return recovered(handler.fallback ?? null, 'fallback_value');
    if (outcome !== null) break;
  }
  if (handlerErrors.length === 0) throw original;
  throw new StepFailure(`${message} (its on_error handling failed too: ${handlerErrors.join('; ')})`, { attempts }, null, typeOf(original));
}
