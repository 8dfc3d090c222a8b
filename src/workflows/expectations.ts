// A step's `expect:` checks (spec section 14), run once its result exists: recorded in `checks`, then on_expect_fail.
import type { EvaluateChecksOutput } from '../activities/checks';
import { type CheckRecord, type ExpectCheck } from '../base/expect-checks';
import { FailureType } from '../base/failure-types';
import { addUsage, zeroUsage, type Usage } from '../base/run-types';
import { cachePolicyFor } from './call-record';
import type { RunnerContext, StepOutcome, StepRunner } from './runners/types';
import { StepFailure } from './step-failure';

/**
 * The temperature of re-ask `k` (k >= 1) under `on_expect_fail: retry`: a model asked the same question at the same
 * temperature answers the same (and from the same cache entry). Each re-ask has its own, so an unchanged re-run of
 * the pipeline replays every answer from the cache.
 */
export function reAskTemperature(reAsk: number): number {
  return Math.min(1, 0.3 * reAsk);
}

/** Output tokens of the answer the checks look at: a cached answer counted none, so its length stands in (~4 characters a token). */
function answerTokens(run: RunnerContext): number | null {
  const { state } = run;
  if (state.cache?.hit) return Math.ceil((typeof state.result === 'string' ? state.result : JSON.stringify(state.result) ?? '').length / 4);
  return state.model === null && state.usage.output_tokens === 0 ? null : state.usage.output_tokens;
}

async function evaluate(run: RunnerContext, checks: ExpectCheck[]): Promise<EvaluateChecksOutput> {
  const cache = cachePolicyFor(run.step, run.options);
  return run.activities.step('checks').evaluateChecks({
    stepId: run.step.id,
    checks,
    result: run.state.result,
    outputTokens: answerTokens(run),
    context: run.context,
    defaultJudgeModel: run.state.model ?? run.routing.nameFor(run.step),
    ...(cache ? { cache } : {}),
  });
}

function failureText(stepId: string, failed: CheckRecord[], asked: number): string {
  const what = failed.map((check) => `${check.check}: ${check.detail}`).join('; ');
  return `${FailureType.ExpectationFailed}: step '${stepId}' failed ${failed.length === 1 ? 'its check' : `${failed.length} checks`} ${what}${asked > 1 ? ` (asked ${asked} times)` : ''}. Fix the prompt or model, or set on_expect_fail: warn to only record it.`;
}

/**
 * Evaluates the step's checks on the result its runner gave. `retry` asks the step again (up to its max_retries,
 * each re-ask at its own temperature) while a check fails; `fail` (default) then fails the step with
 * EXPECTATION_FAILED, naming the checks and what they saw; `warn` only records them. Every call's usage, the
 * judges' included, ends up in the step's usage.
 */
export async function meetExpectations(run: RunnerContext, runner: StepRunner, merge: (outcome: StepOutcome) => void): Promise<void> {
  const checks = (run.step.expect ?? []) as unknown as ExpectCheck[];
  const mode = run.step.onExpectFail ?? 'fail';
  const total: Usage = zeroUsage();
  let asked = 1;
  for (;;) {
    addUsage(total, run.state.usage);
    const outcome = await evaluate(run, checks);
    addUsage(total, outcome.usage);
    const failed = outcome.checks.filter((check) => !check.passed);
    const record = { checks: outcome.checks, ...(asked > 1 ? { expect_attempts: asked } : {}) };
    if (failed.length === 0 || mode === 'warn' || (mode === 'retry' && asked <= run.step.maxRetries)) {
      Object.assign(run.state, record);
      if (failed.length === 0 || mode === 'warn') {
        run.state.usage = total;
        return;
      }
      const again = await runner({ ...run, step: { ...run.step, temperature: reAskTemperature(asked) } });
      merge(again);
      asked++;
      continue;
    }
    throw new StepFailure(failureText(run.step.id, failed, asked), { usage: total, extra: record }, null, FailureType.ExpectationFailed);
  }
}

