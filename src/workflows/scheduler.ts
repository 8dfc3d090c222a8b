// Which steps start now: readiness from their dependencies, `max_parallel`, and the run's budget.
import type { CancellationScope } from '@temporalio/workflow';
import type { CompiledStep } from '../base/compiled-pipeline';
import type { RunState } from './run-state';
import { averageUsage, sumUsage, totalTokens, zeroUsage, type StepRecord, type StepStatus, type Usage } from '../base/run-types';
import { MAX_IN_FLIGHT } from './step-calls';

export const TERMINAL: ReadonlySet<StepStatus> = new Set(['completed', 'failed', 'skipped', 'cancelled']);

/** The result of a step whose `when` was false with `whenSkips: step` (the dialect's `condition`). */
export const CONDITION_FALSE = Object.freeze({ status: 'skipped', reason: 'condition_false' });
/** The record of a step whose dialect `condition` could not be evaluated (with `error`: why). */
export const CONDITION_UNEVALUATED = Object.freeze({ status: 'skipped', reason: 'condition_error' });

/** The record of a step a forward jump passed over (with `by`: the step that jumped). */
export const JUMPED = Object.freeze({ status: 'skipped', reason: 'jumped' });

/**
 * A step skipped only by its own condition (`whenSkips: step`), or passed over by a forward jump: its dependents
 * still run.
 */
export function skippedByCondition(step: CompiledStep | undefined, record: StepRecord): boolean {
  if (record.status !== 'skipped') return false;
  const result = record.result as { reason?: unknown } | null;
  const reason = result !== null && typeof result === 'object' ? result.reason : undefined;
  if (reason === JUMPED.reason) return true;
  return step?.whenSkips === 'step' && (reason === CONDITION_FALSE.reason || reason === CONDITION_UNEVALUATED.reason);
}

/** Why a step whose dependencies all ended does not run, or null when it runs. */
export function blockedBy(dependency: string, step: CompiledStep | undefined, record: StepRecord): string | null {
  if ((record.status === 'skipped' && !skippedByCondition(step, record)) || record.status === 'cancelled') return `'${dependency}' was ${record.status}`;
  if (record.status === 'failed' && step?.onFailure.kind !== 'continue') return `'${dependency}' failed`;
  return null;
}

export class Scheduler {
  private readonly stepPromises: Array<Promise<void>> = [];

  constructor(
    private readonly run: RunState,
    private readonly scope: CancellationScope,
    private readonly runStep: (step: CompiledStep) => Promise<void>,
    /**
     * Runs since `lean-step-calls` enter the steps' cancellation scope once per call of `schedule`, not once per
     * step: each entry is an async function and an await, two promises and their stack traces (issue 14).
     */
    private readonly lean = false,
  ) {}

  /** 'run' when every dependency has finished; 'skip' when one of them failed (not `continue`d) or was skipped. */
  readiness(step: CompiledStep): 'wait' | 'run' | { skip: string } {
    const { run } = this;
    if (step.isHandler && !run.handlerTriggers.has(step.id)) return 'wait';
    for (const dependency of step.dependsOn) if (!TERMINAL.has(run.record(dependency).status)) return 'wait';
    for (const dependency of step.dependsOn) {
      const blocked = blockedBy(dependency, run.stepsById.get(dependency), run.record(dependency));
      if (blocked !== null) return { skip: blocked };
    }
    return 'run';
  }

  /** What a step is expected to use: the mean of the steps that have finished so far. */
  private estimatedStepUsage(): Usage {
    const finished = Object.values(this.run.records).filter((state) => state.status === 'completed' && totalTokens(state.usage) > 0);
    return averageUsage(sumUsage(...finished.map((state) => state.usage)), finished.length);
  }

  /** The reason the run's budget stops another step, if it does: already used, or used once this step runs. */
  budgetStop(extra: Usage = zeroUsage()): string | null {
    const runBudget = this.run.pipeline.config.budget ?? null;
    if (!runBudget) return null;
    const used = this.run.totalUsage();
    const tokens = totalTokens(used);
    const expected = tokens + totalTokens(extra);
    if (runBudget.tokens !== undefined && expected > runBudget.tokens) {
      return `token budget of ${runBudget.tokens} reached: ${tokens} used${expected > tokens ? `, about ${Math.round(expected - tokens)} more for the next step` : ''}`;
    }
    if (runBudget.costUsd !== undefined && used.cost_usd + extra.cost_usd > runBudget.costUsd) {
      return `cost budget of $${runBudget.costUsd} reached: $${used.cost_usd.toFixed(6)} spent${extra.cost_usd > 0 ? `, about $${extra.cost_usd.toFixed(6)} more for the next step` : ''}`;
    }
    return null;
  }

  /** Starts every step that can start now; returns whether anything changed. */
  schedule(): boolean {
    if (!this.lean) return this.startReady((step) => this.stepPromises.push(this.scope.run(() => this.runStep(step))));
    let progressed = false;
    // The callback runs at once, inside the scope: every step it starts (and every activity it calls) belongs to it.
    // runStep settles every failure itself, so its promise needs no keeping.
    void this.scope.run(async () => {
      progressed = this.startReady((step) => void this.runStep(step));
    });
    return progressed;
  }

  /**
   * Starts every step that can start now, from inside the steps' scope (a step that has just ended): runs since
   * `direct-scheduling` start a step's dependents this way, without waking the main loop.
   */
  startReadyHere(): boolean {
    return this.startReady((step) => void this.runStep(step));
  }

  private startReady(start: (step: CompiledStep) => void): boolean {
    const { run } = this;
    let progressed = false;
    let again = true;
    while (again) {
      again = false;
      for (const step of run.pipeline.steps) {
        const state = run.record(step.id);
        if (state.status !== 'pending') continue;
        const ready = this.readiness(step);
        if (ready === 'wait') continue;
        if (ready !== 'run') {
          state.status = 'skipped';
          state.error = `not run: ${ready.skip}`;
          again = progressed = true;
          continue;
        }
        if (run.running.size >= Math.min(run.pipeline.config.maxParallel, MAX_IN_FLIGHT)) continue;
        // The estimate reads every record: only a run with a budget needs it.
        if (run.pipeline.config.budget) run.budgetExceeded ??= this.budgetStop(this.estimatedStepUsage());
        if (run.budgetExceeded !== null) return progressed;
        run.running.add(step.id);
        state.status = 'running';
        state.started_at = new Date().toISOString();
        start(step);
        progressed = true;
      }
    }
    return progressed;
  }
}
