// Which model an LLM call uses and on which task queue: the step's spec, its route, and its fallback models.
import { ApplicationFailure, isCancellation, workflowInfo } from '@temporalio/workflow';
import type { ChooseModelOutput, ExecuteStepInput, ExecuteStepOutput, TemplateContext } from '../activities/types';
import type { CompiledPipeline, CompiledStep } from '../base/compiled-pipeline';
import { cachePolicyFor } from './call-record';
import type { ReplicateCall } from './replicates';
import type { RunOptions, StepRecord } from '../base/run-types';
import { failureMessage } from './step-failure';
import { activityLabel, callStepModel, modelChoiceActivitiesLabelled } from './step-calls';

export class ModelRouting {
  /** Where a named model's calls go (its provider's queue when rate-limited): asked once per run and model. */
  private readonly routes = new Map<string, Promise<ChooseModelOutput>>();
  /** The routes already answered, so that a lean call schedules its activity at once rather than after an await. */
  private readonly knownRoutes = new Map<string, ChooseModelOutput>();

  constructor(
    private readonly pipeline: CompiledPipeline,
    private readonly options: RunOptions,
    /** Runs from before `model-routing` call the step's model on the run's queue, asking nothing. */
    readonly routeModels: boolean,
    /** Runs since `step-metadata` label their activities for the Web UI. */
    readonly labelled: boolean,
    /**
     * Runs since `lean-step-calls` call a model with no fallbacks through as few promises as they can: each
     * promise a workflow makes costs a captured stack trace (the SDK's promise hook), and a step made 16 of them
     * where a bare activity call makes 3 (issue 14). Older runs keep the awaits they were recorded with.
     */
    readonly lean: boolean = false,
  ) {}

  /** What a step asks for: a model spec, or a requirement object that selection resolves when the step runs. */
  specFor(step: CompiledStep): string | Record<string, unknown> {
    if (this.options.dryRun) return 'echo';
    return step.model ?? this.options.defaultModel ?? this.pipeline.config.model;
  }

  /** The spec as text, as runs from before model routing passed it (a requirement as its JSON). */
  nameFor(step: CompiledStep): string {
    const spec = this.specFor(step);
    return typeof spec === 'string' ? spec : JSON.stringify(spec);
  }

  private label(stepId: string | null, what: string): string | undefined {
    return this.labelled && stepId !== null ? activityLabel(stepId, what) : undefined;
  }

  routeOf(spec: string): Promise<ChooseModelOutput> {
    let route = this.routes.get(spec);
    if (!route) {
      route = modelChoiceActivitiesLabelled(this.labelled ? `choose model ${spec}` : undefined).chooseModel({ spec, stepId: null, workflowTaskQueue: workflowInfo().taskQueue });
      this.routes.set(spec, route);
      // A failed answer is asked again by the next call rather than remembered.
      route.catch(() => this.routes.delete(spec));
      if (this.lean) route.then((answer) => this.knownRoutes.set(spec, answer), () => undefined);
    }
    return route;
  }

  /**
   * Asks, once and together, the routes of the named models that `steps` call (those that start first): a fan-out's
   * steps then schedule their calls at once instead of each waiting on the route's promise (a promise a step).
   */
  async prefetchRoutes(steps: readonly CompiledStep[]): Promise<void> {
    if (!this.routeModels || !this.lean || this.options.dryRun) return;
    const specs = new Set<string>();
    for (const step of steps) {
      const spec = this.specFor(step);
      if (typeof spec === 'string' && !this.knownRoutes.has(spec)) specs.add(spec);
    }
    // A route that cannot be asked now fails the steps that need it, when they ask, as before.
    await Promise.all([...specs].map((spec) => this.routeOf(spec).catch(() => undefined)));
  }

  /** A requirement's model, chosen for this step (and call, when given: its prompt must fit). */
  choose(step: CompiledStep, spec: Record<string, unknown>, call?: ExecuteStepInput): Promise<ChooseModelOutput> {
    return modelChoiceActivitiesLabelled(this.label(step.id, 'choose model')).chooseModel({
      spec,
      stepId: step.id,
      workflowTaskQueue: workflowInfo().taskQueue,
      ...(call ? { call } : {}),
    });
  }

  /** The model and queue of an LLM call; a requirement is resolved now (per call) and recorded on the step. */
  async routeCall(step: CompiledStep, context: TemplateContext, state: StepRecord): Promise<{ input: ExecuteStepInput; taskQueue: string | null }> {
    const input = this.modelInput(step, context);
    const spec = this.specFor(step);
    if (typeof spec === 'string') {
      const route = await this.routeOf(spec);
      return { input: { ...input, model: route.model }, taskQueue: route.taskQueue };
    }
    const choice = await this.choose(step, spec, input);
    state.model = choice.model;
    if (choice.selection) state.model_selection = choice.selection;
    return { input: { ...input, model: choice.model, recordOutcome: true }, taskQueue: choice.taskQueue };
  }

  /** What an LLM call of the step sends; a cached step carries its cache policy (spec section 9). */
  modelInput(step: CompiledStep, context: TemplateContext): ExecuteStepInput {
    const cache = cachePolicyFor(step, this.options);
    return {
      pipelineName: this.pipeline.name,
      pipelineDescription: this.pipeline.description,
      step,
      model: this.nameFor(step),
      temperature: step.temperature ?? this.pipeline.config.temperature,
      maxTokens: step.maxTokens ?? this.pipeline.config.maxTokens,
      context,
      ...(cache ? { cache } : {}),
    };
  }

  /**
   * The lean way (`lean-step-calls`) to a model with a route: with the route known, the activity is scheduled now,
   * without an await; otherwise once the route is answered. A requirement is chosen per call, as before.
   */
  private callRouted(step: CompiledStep, context: TemplateContext, state: StepRecord): Promise<ExecuteStepOutput> {
    const spec = this.specFor(step);
    if (typeof spec !== 'string') return this.routeCall(step, context, state).then(({ input, taskQueue }) => callStepModel(input, taskQueue, this.label(step.id, input.model)));
    const input = this.modelInput(step, context);
    const call = (route: ChooseModelOutput): Promise<ExecuteStepOutput> => callStepModel({ ...input, model: route.model }, route.taskQueue, this.label(step.id, route.model));
    const known = this.knownRoutes.get(spec);
    return known ? call(known) : this.routeOf(spec).then(call);
  }

  callModel(step: CompiledStep, context: TemplateContext, state: StepRecord): Promise<ExecuteStepOutput> {
    if (!this.routeModels || this.options.dryRun) {
      const input = this.modelInput(step, context);
      return callStepModel(input, null, this.label(step.id, input.model));
    }
    if (this.lean) return this.callRouted(step, context, state);
    return this.routeCall(step, context, state).then(({ input, taskQueue }) => callStepModel(input, taskQueue, this.label(step.id, input.model)));
  }

  /**
   * One replicate of a replicated step (spec section 10): its own model (models[i mod n]), seed and temperature, and
   * its own cache entry. Each replicate is its own activity, labelled `step · replicate 3 · model` in the Web UI.
   */
  async callReplicate(step: CompiledStep, context: TemplateContext, state: StepRecord, replicate: ReplicateCall): Promise<ExecuteStepOutput> {
    const target = replicate.model !== null && !this.options.dryRun ? { ...step, model: replicate.model } : step;
    const tweak = (input: ExecuteStepInput): ExecuteStepInput => ({
      ...input,
      seed: replicate.seed,
      temperature: replicate.temperature,
      ...(input.cache ? { cache: { ...input.cache, replicate: replicate.index } } : {}),
    });
    const label = (model: string): string | undefined => this.label(step.id, `${replicate.label} · ${model}`);
    if (!this.routeModels || this.options.dryRun) {
      const input = tweak(this.modelInput(target, context));
      return callStepModel(input, null, label(input.model));
    }
    const { input, taskQueue } = await this.routeCall(target, context, state);
    return callStepModel(tweak(input), taskQueue, label(input.model));
  }

  /** The models a step moves through: its own, then its fallbacks (none in a dry run). */
  fallbacksFor(step: CompiledStep): string[] {
    return this.options.dryRun ? [] : (step.fallbackModels ?? []);
  }

  /**
   * The step's model, then each fallback model in turn when one fails for good (retries spent, or an error
   * no retry can fix, like a rejected API key). Every model tried is in the step's `model_attempts`.
   */
  callWithFallbacks(step: CompiledStep, context: TemplateContext, state: StepRecord): Promise<ExecuteStepOutput> {
    // Lean runs with no fallback return the call itself: no async function around it, no await.
    if (this.lean && this.fallbacksFor(step).length === 0) return this.callModel(step, context, state);
    return this.callThroughFallbacks(step, context, state);
  }

  private async callThroughFallbacks(step: CompiledStep, context: TemplateContext, state: StepRecord): Promise<ExecuteStepOutput> {
    const fallbacks = this.fallbacksFor(step);
    if (fallbacks.length === 0) return this.callModel(step, context, state);
    const tried: Array<{ model: string; error: string | null }> = [];
    state.model_attempts = tried;
    const models: Array<string | Record<string, unknown>> = [this.routeModels ? this.specFor(step) : this.nameFor(step), ...fallbacks];
    for (const [index, model] of models.entries()) {
      // A requirement is named by the model selection chose for it.
      const name = (): string => (typeof model === 'string' ? model : (state.model_selection?.chosen ?? JSON.stringify(model)));
      try {
        const output = await this.callModel({ ...step, model }, context, state);
        tried.push({ model: output.model, error: null });
        return output;
      } catch (error) {
        if (isCancellation(error) || index === models.length - 1) {
          tried.push({ model: name(), error: failureMessage(error, step) });
          throw error;
        }
        tried.push({ model: name(), error: failureMessage(error, step) });
      }
    }
    throw ApplicationFailure.nonRetryable(`step '${step.id}': no model to try`);
  }
}
