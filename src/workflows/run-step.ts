// One step from start to end: its `when`, its AUTO values, its templated model, its runner, its budget and on_failure.
import { ApplicationFailure, isCancellation, patched, workflowInfo, type CancellationScope } from '@temporalio/workflow';
import type { TemplateContext } from '../activities/types';
import type { CompiledStep, Reference } from '../compiler/types';
import type { AutoApplication } from './auto-application';
import { meetExpectations } from './expectations';
import type { ModelRouting } from './model-routing';
import type { RunState } from './run-state';
import type { StepRecord, Usage } from './run-types';
import { runnerKindOf, STEP_RUNNERS, type RunnerContext, type StepOutcome } from './runners';
import { activityProxiesFor, type ActivityProxies } from './step-calls';
import { failureAttempts, failureMessage, StepFailure } from './step-failure';

/** Copies what a runner gave back onto the step's record. */
function mergeOutcome(state: StepRecord, outcome: Partial<StepOutcome>): void {
  if ('result' in outcome) state.result = outcome.result;
  if (outcome.attempts !== undefined) state.attempts = outcome.attempts;
  if (outcome.usage !== undefined) state.usage = outcome.usage;
  if (outcome.model !== undefined) state.model = outcome.model;
  if (outcome.extra) Object.assign(state, outcome.extra);
}

function hasTemplate(value: unknown): boolean {
  return typeof value === 'string' && value.includes('{{');
}

export class StepExecution {
  constructor(
    private readonly run: RunState,
    private readonly routing: ModelRouting,
    private readonly auto: AutoApplication,
    private readonly scope: CancellationScope,
    /** The scheduler's budget rule: a step that ends may stop the run from starting more; `extra` is usage not yet recorded. */
    private readonly budgetStop: (extra?: Usage) => string | null,
  ) {}

  /** Renders values in an activity; a value that cannot render fails the step with its message. */
  private async renderForStep(step: CompiledStep, values: Record<string, unknown>, context: TemplateContext, activities: ActivityProxies): Promise<Record<string, unknown>> {
    const rendered = await activities.template('render').renderValues({ values, context });
    const problems = Object.entries(rendered.errors);
    if (problems.length > 0) throw ApplicationFailure.nonRetryable(`step '${step.id}': ${problems.map(([name, message]) => `${name}: ${message}`).join('; ')}`);
    return rendered.values;
  }

  /**
   * A model call's step with its `model` (and fallbacks) rendered when they are templates. Added after runs were
   * recorded (`render-step-model`): before it, a templated model was sent as it was written and failed.
   */
  private modelIsTemplated(step: CompiledStep): boolean {
    const kind = runnerKindOf(step);
    if (kind !== 'llm' && kind !== 'for_each') return false;
    return (hasTemplate(step.model) || (step.fallbackModels ?? []).some(hasTemplate)) && patched('render-step-model');
  }

  private async withRenderedModel(step: CompiledStep, context: TemplateContext, activities: ActivityProxies): Promise<CompiledStep> {
    const rendered = await this.renderForStep(step, { model: step.model, fallbacks: step.fallbackModels }, context, activities);
    const model = String(rendered.model ?? '').trim();
    if (model === '') throw ApplicationFailure.nonRetryable(`step '${step.id}': model '${String(step.model)}' rendered to nothing`);
    const fallbacks = Array.isArray(rendered.fallbacks) ? rendered.fallbacks.map(String) : step.fallbackModels;
    return { ...step, model, fallbackModels: fallbacks };
  }

  async runStep(step: CompiledStep): Promise<void> {
    const { run } = this;
    const state = run.record(step.id);
    const activities = activityProxiesFor(step, workflowInfo().taskQueue, this.routing.labelled);
    /** The step as it ran (AUTO values applied), for a failure message that names its real timeout. */
    let ran = step;
    try {
      const failedStep = run.handlerTriggers.get(step.id);
      const context = run.contextFor(step.references, failedStep);
      if (step.when !== null) {
        const proceed = typeof step.when === 'boolean' ? step.when : await activities.template('when').evaluateCondition({ expression: step.when, context });
        if (!proceed) {
          state.status = 'skipped';
          state.error = null;
          return;
        }
      }
      // A late tag sees the results of every step this one depends on, not only those its templates read.
      const autoContext = (): TemplateContext =>
        run.contextFor([...step.references, ...(step.forEachReferences ?? []), ...step.dependsOn.map((id): Reference => ({ kind: 'step', step: id }))], failedStep);
      // A lean run (`lean-step-calls`) does not await the AUTO values of a step that has no tags.
      const resolved = this.routing.lean && step.autoTags.length === 0 ? step : await this.auto.effective(step, autoContext);
      // Only a templated model costs an await here: every other step reaches its runner as it always did.
      const effective = this.modelIsTemplated(resolved) ? await this.withRenderedModel(resolved, context, activities) : resolved;
      ran = effective;
      const runner = STEP_RUNNERS[runnerKindOf(effective)];
      mergeOutcome(state, await runner(this.runnerContext(effective, state, context, activities)));
      if (effective.expect?.length) await meetExpectations(this.runnerContext(effective, state, context, activities), runner, (outcome) => mergeOutcome(state, outcome));
      this.checkStepBudget(step, state);
      state.status = 'completed';
    } catch (error) {
      if (isCancellation(error)) {
        state.status = 'cancelled';
        state.error = 'cancelled before it finished';
        return;
      }
      state.status = 'failed';
      state.result = null;
      if (error instanceof StepFailure) mergeOutcome(state, error.outcome);
      state.error = failureMessage(error, ran);
      state.attempts = state.attempts > 0 ? state.attempts : failureAttempts(error, ran);
      if (error instanceof StepFailure && error.budgetStop !== null) run.budgetExceeded ??= error.budgetStop;
      else this.applyOnFailure(step);
    } finally {
      state.completed_at = new Date().toISOString();
      run.running.delete(step.id);
      run.budgetExceeded ??= this.budgetStop();
      run.changed = true;
    }
  }

  private runnerContext(step: CompiledStep, state: StepRecord, context: TemplateContext, activities: ActivityProxies): RunnerContext {
    const { run } = this;
    return {
      step,
      state,
      context,
      pipeline: run.pipeline,
      options: run.options,
      contextFor: (references) => run.contextFor(references),
      renderForStep: (values, valuesContext = context) => this.renderForStep(step, values, valuesContext, activities),
      routing: this.routing,
      approvals: run.approvals,
      activities,
      budgetStop: (extra) => this.budgetStop(extra),
    };
  }

  private checkStepBudget(step: CompiledStep, state: StepRecord): void {
    const stepBudget = step.budget ?? null;
    const stepTokens = state.usage.input_tokens + state.usage.output_tokens;
    if (stepBudget?.tokens !== undefined && stepTokens > stepBudget.tokens) {
      throw ApplicationFailure.nonRetryable(`step '${step.id}' used ${stepTokens} tokens, over its budget of ${stepBudget.tokens}`);
    }
    if (stepBudget?.costUsd !== undefined && state.usage.cost_usd > stepBudget.costUsd) {
      throw ApplicationFailure.nonRetryable(`step '${step.id}' cost $${state.usage.cost_usd.toFixed(6)}, over its budget of $${stepBudget.costUsd}`);
    }
  }

  private applyOnFailure(step: CompiledStep): void {
    const { run } = this;
    const onFailure = step.onFailure;
    switch (onFailure.kind) {
      case 'continue':
        run.failuresHandled++;
        return;
      case 'skip':
        run.record(step.id).status = 'skipped';
        run.failuresHandled++;
        return;
      case 'handler':
        run.handlerTriggers.set(onFailure.step, step.id);
        run.failuresHandled++;
        return;
      default:
        run.failure ??= run.record(step.id).error ?? `step '${step.id}' failed`;
        this.scope.cancel();
    }
  }
}
