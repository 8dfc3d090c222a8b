// One step from start to end: its `when`, its AUTO values, its templated model, its runner, its budget and on_failure.
import { ApplicationFailure, condition, isCancellation, patched, workflowInfo, type CancellationScope } from '@temporalio/workflow';
import type { TemplateContext } from '../activities/types';
import type { CompiledStep, Reference } from '../base/compiled-pipeline';
import type { AutoApplication } from './auto-application';
import { meetExpectations } from './expectations';
import type { ModelRouting } from './model-routing';
import type { RunState } from './run-state';
import { overStepBudget, type StepRecord, type Usage } from '../base/run-types';
import { FailureType, invalidStep } from '../base/failure-types';
import { withErrorHandlers, type ErrorRecovery } from './error-handlers';
import { pendingRecord } from './run-state';
import { runnerKindOf, STEP_RUNNERS, type LoopHost, type RunnerContext, type StepOutcome, type StepScope } from './runners';
import { llmOutcome } from './runners/llm';
import { CONDITION_FALSE, CONDITION_UNEVALUATED, JUMPED } from './scheduler';
import { activityProxiesFor, type ActivityProxies } from './step-calls';
import { failureAttempts, failureMessage, failureType, LoopSuspended, StepFailure } from './step-failure';

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
    /** Told when a step has ended (`topLevel`: a step of the pipeline, not of a loop's block or an on_error handler). */
    private readonly stepEnded: (topLevel: boolean) => void = () => {
      this.run.changed = true;
    },
    /** Runs since `direct-scheduling` await an LLM step's call itself: one promise fewer than the runner's `then`. */
    private readonly directCalls = false,
  ) {}

  /** Renders values in an activity; a value that cannot render fails the step with its message. */
  private async renderForStep(step: CompiledStep, values: Record<string, unknown>, context: TemplateContext, activities: ActivityProxies): Promise<Record<string, unknown>> {
    const rendered = await activities.template('render').renderValues({ values, context });
    const problems = Object.entries(rendered.errors);
    if (problems.length > 0) throw invalidStep(`step '${step.id}': ${problems.map(([name, message]) => `${name}: ${message}`).join('; ')}`);
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
    if (model === '') throw invalidStep(`step '${step.id}': model '${String(step.model)}' rendered to nothing`);
    const fallbacks = Array.isArray(rendered.fallbacks) ? rendered.fallbacks.map(String) : step.fallbackModels;
    return { ...step, model, fallbackModels: fallbacks };
  }

  /** The pipeline's own steps: their templates read the run's records, and a failure applies their on_failure. */
  private readonly pipelineScope: StepScope = {
    contextFor: (references, failedStep) => this.run.contextFor(references, failedStep),
  };

  runStep(step: CompiledStep): Promise<void> {
    return this.execute(step, this.pipelineScope, true);
  }

  /** One step from its `when` to its record, in `scope` (the pipeline, a loop's iteration, an on_error call). */
  private async execute(step: CompiledStep, scope: StepScope, topLevel = false): Promise<void> {
    const { run } = this;
    const state = run.record(step.id);
    const activities = activityProxiesFor(step, workflowInfo().taskQueue, this.routing.labelled);
    /** The step as it ran (AUTO values applied), for a failure message that names its real timeout. */
    let ran = step;
    /** Its `when` was false (an `on_false` jump applies). */
    let whenFalse = false;
    try {
      const failedStep = run.handlerTriggers.get(step.id);
      const context = scope.contextFor(step.references, failedStep);
      if (step.when !== null) {
        const answer =
          typeof step.when === 'boolean'
            ? step.when
            : await activities.template('when').evaluateCondition({ expression: step.when, context, ...(step.whenSkips === 'step' ? { errorSkips: true } : {}) });
        if (answer !== true) {
          whenFalse = answer === false;
          state.status = 'skipped';
          state.error = null;
          // The dialect's `condition`: only this step is skipped, and it says why (its dependents still run); a
          // condition that could not be evaluated skips it too, as the Python orchestrator does, with the error.
          if (step.whenSkips === 'step') state.result = answer === false ? { ...CONDITION_FALSE } : { ...CONDITION_UNEVALUATED, error: answer.error };
          return;
        }
      }
      // A late tag sees the results of every step this one depends on, not only those its templates read.
      const autoContext = (): TemplateContext =>
        scope.contextFor([...step.references, ...(step.forEachReferences ?? []), ...step.dependsOn.map((id): Reference => ({ kind: 'step', step: id }))], failedStep);
      // A lean run (`lean-step-calls`) does not await the AUTO values of a step that has no tags.
      const resolved = this.routing.lean && step.autoTags.length === 0 ? step : await this.auto.effective(step, autoContext);
      // Only a templated model costs an await here: every other step reaches its runner as it always did.
      const effective = this.modelIsTemplated(resolved) ? await this.withRenderedModel(resolved, context, activities) : resolved;
      ran = effective;
      const kind = runnerKindOf(effective);
      const runner = STEP_RUNNERS[kind];
      const runnerContext = this.runnerContext(effective, state, context, activities, scope);
      // Steps with `on_error` handlers try them once the runner failed for good; the others run as they always did.
      const outcome = effective.errorHandlers?.length
        ? await withErrorHandlers(runnerContext, () => runner(runnerContext), this.recovery(scope))
        : kind === 'llm' && this.directCalls && this.routing.lean
          ? llmOutcome(await this.routing.callWithFallbacks(effective, context, state))
          : await runner(runnerContext);
      mergeOutcome(state, outcome);
      if (effective.expect?.length) await meetExpectations(runnerContext, runner, (again) => mergeOutcome(state, again));
      this.checkStepBudget(step, state);
      state.status = 'completed';
    } catch (error) {
      if (error instanceof LoopSuspended) {
        state.status = 'pending';
        return;
      }
      if (isCancellation(error)) {
        state.status = 'cancelled';
        state.error = 'cancelled before it finished';
        return;
      }
      state.status = 'failed';
      state.result = null;
      if (error instanceof StepFailure) mergeOutcome(state, error.outcome);
      state.error = failureMessage(error, ran);
      const type = failureType(error);
      if (type !== undefined) state.error_type = type;
      state.attempts = state.attempts > 0 ? state.attempts : failureAttempts(error, ran);
      if (error instanceof StepFailure && error.budgetStop !== null) run.budgetExceeded ??= error.budgetStop;
      else if (!scope.handlesFailure?.(step)) this.applyOnFailure(step);
      else if (step.onFailure.kind === 'handler') run.failuresHandled++;
    } finally {
      // A loop that paused for continue-as-new has not ended.
      if (state.status !== 'pending') state.completed_at = new Date().toISOString();
      run.running.delete(step.id);
      run.budgetExceeded ??= this.budgetStop();
      if (topLevel && step.jumps) this.jump(step, state, whenFalse);
      this.stepEnded(topLevel);
    }
  }

  /**
   * The dialect's routing: once a step with a jump ends, the pending steps between it and the target (in the
   * pipeline's order) are skipped, and what depends on them runs (see `skippedByCondition`).
   */
  private jump(step: CompiledStep, state: StepRecord, whenFalse: boolean): void {
    const jumps = step.jumps!;
    const target = whenFalse ? (jumps.onFalse ?? jumps.goto) : state.status === 'completed' ? (jumps.onSuccess ?? jumps.goto) : undefined;
    if (target === undefined) return;
    const steps = this.run.pipeline.steps;
    const to = this.run.positionOf(target);
    for (let i = this.run.positionOf(step.id) + 1; i < to; i++) {
      const record = this.run.record(steps[i]!.id);
      if (record.status !== 'pending') continue;
      record.status = 'skipped';
      record.error = null;
      record.result = { ...JUMPED, by: step.id };
    }
  }

  /** A step of a loop's block, under its iteration's id: recorded beside the pipeline's steps, run like them. */
  private async runChild(step: CompiledStep, scope: StepScope): Promise<StepRecord> {
    const state: StepRecord = { ...pendingRecord(), status: 'running', started_at: new Date().toISOString() };
    this.run.records[step.id] = state;
    await this.execute(step, scope);
    return state;
  }

  /** What an `on_error` handler may do: run a handler step (told of the failure), or call the step's model. */
  private recovery(scope: StepScope): ErrorRecovery {
    const { run } = this;
    return {
      runHandlerStep: async (handlerId, failed) => {
        const handler = scope.handler?.(handlerId) ?? run.stepsById.get(handlerId);
        if (!handler) throw ApplicationFailure.nonRetryable(`on_error names step '${handlerId}', which this pipeline does not have`);
        // The handler's failure goes back to the handlers (the next may try), not to the run.
        const handlerScope: StepScope = { ...scope, contextFor: (references) => ({ ...scope.contextFor(references), failed }), handlesFailure: () => true };
        return this.runChild(handler, handlerScope);
      },
      callModel: (step, context, state) => this.routing.callWithFallbacks(step, context, state),
    };
  }

  private runnerContext(step: CompiledStep, state: StepRecord, context: TemplateContext, activities: ActivityProxies, scope: StepScope): RunnerContext {
    const { run } = this;
    return {
      step,
      state,
      context,
      pipeline: run.pipeline,
      options: run.options,
      contextFor: (references) => scope.contextFor(references),
      renderForStep: (values, valuesContext = context) => this.renderForStep(step, values, valuesContext, activities),
      routing: this.routing,
      approvals: run.approvals,
      activities,
      budgetStop: (extra) => this.budgetStop(extra),
      loops: this.loopHost(scope),
    };
  }

  private loopHost(scope: StepScope): LoopHost {
    const { run } = this;
    return {
      record: (id) => run.records[id],
      skip: (id, reason) => {
        run.records[id] = { ...pendingRecord(), status: 'skipped', error: `not run: ${reason}` };
      },
      runChild: (child, childScope) => this.runChild(child, childScope),
      scope,
      progress: run.loops,
      shouldSuspend: () => workflowInfo().continueAsNewSuggested && run.failure === null && !run.cancelled,
      stopping: () => run.failure !== null || run.cancelled,
      paused: () => run.paused,
      unpaused: () => condition(() => !run.paused || run.failure !== null),
    };
  }

  private checkStepBudget(step: CompiledStep, state: StepRecord): void {
    const over = overStepBudget(step.budget, state.usage);
    if (over !== null) throw ApplicationFailure.create({ type: FailureType.BudgetExceeded, message: `step '${step.id}' ${over}`, nonRetryable: true });
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
