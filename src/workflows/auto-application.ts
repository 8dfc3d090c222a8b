// AUTO tags at run time: asking a model for their values, on the right queue, and putting the values in the step.
import type { ResolveAutoTagsInput, ResolvedAutoTag, TemplateContext } from '../activities/types';
import { autoTagModel, tagsDecidedUpFront, type ModelSpec } from '../compiler/auto-tags';
import type { CompiledStep } from '../base/compiled-pipeline';
import type { ModelRouting } from './model-routing';
import type { RunState } from './run-state';
import { addUsage } from '../base/run-types';
import { activityLabel, stepActivities } from './step-calls';

function setAtPath(target: Record<string, unknown>, keys: ReadonlyArray<string | number>, value: unknown): void {
  let current: Record<string | number, unknown> = target;
  keys.forEach((key, index) => {
    if (index === keys.length - 1) current[key] = value;
    else current = current[key] as Record<string | number, unknown>;
  });
}

/**
 * A decided value is data (spec section 5): a parameter's strings are rendered as templates before the call, so text
 * holding template syntax is wrapped to render as it is.
 */
function asLiteral(value: unknown): unknown {
  if (typeof value === 'string') return /\{[{%#]/.test(value) ? `{% raw %}${value.replace(/\{%-?\s*endraw\s*-?%\}/g, '')}{% endraw %}` : value;
  if (Array.isArray(value)) return value.map(asLiteral);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, asLiteral(item)]));
  return value;
}

/** The step with its AUTO tags' values put where the tags stood. */
export function applyResolutions(step: CompiledStep, resolved: ResolvedAutoTag[]): CompiledStep {
  const effective: CompiledStep = { ...step, parameters: JSON.parse(JSON.stringify(step.parameters)) as Record<string, unknown> };
  for (const resolution of resolved) {
    const tag = step.autoTags.find((candidate) => candidate.path === resolution.path);
    if (!tag) continue;
    if (tag.target.kind === 'parameter') {
      setAtPath(effective.parameters, tag.target.keys, asLiteral(resolution.value));
      continue;
    }
    const numeric = Number(resolution.value);
    switch (tag.target.field) {
      case 'model':
        effective.model = String(resolution.value);
        break;
      case 'timeout':
        if (numeric > 0) effective.timeoutSeconds = numeric;
        break;
      case 'max_retries':
        if (Number.isInteger(numeric) && numeric >= 0) effective.maxRetries = numeric;
        break;
      case 'max_parallel':
        if (Number.isInteger(numeric) && numeric > 0) effective.maxParallel = numeric;
        break;
      case 'replicates':
        if (Number.isInteger(numeric) && numeric > 0 && effective.replicates) effective.replicates = { ...effective.replicates, count: numeric };
        break;
    }
  }
  return effective;
}

export class AutoApplication {
  /** Steps whose tags were decided (or are being decided) before they start. */
  private readonly early = new Map<string, Promise<CompiledStep>>();

  constructor(
    private readonly run: RunState,
    private readonly routing: ModelRouting,
  ) {}

  /**
   * Tags of steps that depend on nothing are decided up front, all at once, before any step starts; the others
   * just before their step, with the results it depends on. Values a continued run carried are applied as they are.
   */
  startEarly(): void {
    for (const step of this.run.pipeline.steps) {
      if (step.autoTags.length === 0 || this.run.record(step.id).status !== 'pending') continue;
      const decided = this.run.resolvedTags.get(step.id);
      if (decided) {
        this.early.set(step.id, Promise.resolve(applyResolutions(step, decided)));
        continue;
      }
      if (!tagsDecidedUpFront(step)) continue;
      const resolution = this.resolve(step, this.run.contextFor(step.references));
      resolution.catch(() => undefined); // a failure belongs to the step, reported when it runs
      this.early.set(step.id, resolution);
    }
  }

  /** The step as it runs: its tags' values from up front, else decided now with `context()`. */
  effective(step: CompiledStep, context: () => TemplateContext): Promise<CompiledStep> {
    return this.early.get(step.id) ?? this.resolve(step, context());
  }

  /** Waits for decisions under way, so that a continuation carries them. */
  async settle(): Promise<void> {
    await Promise.allSettled(this.early.values());
  }

  private async resolve(step: CompiledStep, context: TemplateContext): Promise<CompiledStep> {
    if (step.autoTags.length === 0) return step;
    const { pipeline, options } = this.run;
    const decider = autoTagModel(pipeline, step, options);
    const request: ResolveAutoTagsInput = {
      pipelineDescription: pipeline.description,
      step,
      tags: step.autoTags,
      model: typeof decider === 'string' ? decider : JSON.stringify(decider),
      placeholder: options.dryRun === true,
      context,
    };
    const summary = this.routing.labelled ? activityLabel(step.id, 'AUTO') : undefined;
    const resolved = await (this.routing.routeModels && !options.dryRun
      ? this.resolveRouted(step, request, decider, summary)
      : stepActivities(120, 2, null, summary).resolveAutoTags(request));
    for (const resolution of resolved) {
      const tag = step.autoTags.find((candidate) => candidate.path === resolution.path);
      this.run.autoResolutions.push({
        path: resolution.path,
        description: tag?.description ?? '',
        value: resolution.value,
        model: resolution.model,
        ...(options.dryRun ? { placeholder: true } : {}),
        ...(resolution.cached ? { cached: true } : {}),
        ...(resolution.retries ? { retries: resolution.retries, reason: resolution.reason } : {}),
      });
      addUsage(this.run.autoUsage, resolution.usage);
    }
    this.run.resolvedTags.set(step.id, resolved);
    return applyResolutions(step, resolved);
  }

  /** The tags asked of the model that decides them (`autoTagModel`), on that model's queue. */
  private async resolveRouted(step: CompiledStep, request: ResolveAutoTagsInput, spec: ModelSpec, summary: string | undefined): Promise<ResolvedAutoTag[]> {
    const route = typeof spec === 'string' ? await this.routing.routeOf(spec) : await this.routing.choose(step, spec);
    return stepActivities(120, 2, route.taskQueue, summary).resolveAutoTags({ ...request, model: route.model });
  }
}
