// The one generic workflow: interprets a compiled pipeline, starting each step the moment its dependencies finish.
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  proxyActivities,
  setHandler,
  TimeoutFailure,
  workflowInfo,
} from '@temporalio/workflow';
import type { PipelineActivities } from '../activities';
import type { ExecuteStepOutput, ResolvedAutoTag, TemplateContext } from '../activities/types';
import type { CompiledStep, Reference } from '../compiler/types';
import { pauseSignal, resumeSignal, statusQuery } from './definitions';
import type { AutoResolution, PipelineRunInput, RunResult, RunStatus, StepRecord, StepStatus, Usage } from './run-types';

const TERMINAL: ReadonlySet<StepStatus> = new Set(['completed', 'failed', 'skipped', 'cancelled']);
const LLM_KINDS: ReadonlySet<string> = new Set(['prompt', 'named', 'generate']);

/** Rendering outputs and conditions: quick, local work. */
const templateActivities = proxyActivities<PipelineActivities>({
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 3 },
});

function stepActivities(timeoutSeconds: number, maxRetries: number) {
  return proxyActivities<PipelineActivities>({
    startToCloseTimeout: Math.max(1, Math.round(timeoutSeconds * 1000)),
    retry: { maximumAttempts: maxRetries + 1, initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute' },
  });
}

function zeroUsage(): Usage {
  return { input_tokens: 0, output_tokens: 0, cost_usd: 0 };
}

function addUsage(total: Usage, more: Usage): void {
  total.input_tokens += more.input_tokens;
  total.output_tokens += more.output_tokens;
  total.cost_usd += more.cost_usd;
}

function failureMessage(error: unknown, step: CompiledStep): string {
  const cause = error instanceof ActivityFailure ? error.cause : error;
  if (cause instanceof TimeoutFailure) {
    const attempts = step.maxRetries + 1;
    return `step '${step.id}' timed out after ${step.timeoutSeconds}s${attempts > 1 ? ` (on each of ${attempts} attempts)` : ''}`;
  }
  if (cause instanceof Error) return cause.message;
  return String(cause);
}

function failureAttempts(error: unknown, step: CompiledStep): number {
  const cause = error instanceof ActivityFailure ? error.cause : error;
  if (cause instanceof ApplicationFailure) {
    const detail = cause.details?.[0] as { attempt?: number } | undefined;
    if (typeof detail?.attempt === 'number') return detail.attempt;
  }
  return step.maxRetries + 1;
}

function setAtPath(target: Record<string, unknown>, keys: ReadonlyArray<string | number>, value: unknown): void {
  let current: Record<string | number, unknown> = target;
  keys.forEach((key, index) => {
    if (index === keys.length - 1) current[key] = value;
    else current = current[key] as Record<string | number, unknown>;
  });
}

/** The step with its AUTO tags' values put where the tags stood. */
function applyResolutions(step: CompiledStep, resolved: ResolvedAutoTag[]): CompiledStep {
  const effective: CompiledStep = { ...step, parameters: JSON.parse(JSON.stringify(step.parameters)) as Record<string, unknown> };
  for (const resolution of resolved) {
    const tag = step.autoTags.find((candidate) => candidate.path === resolution.path);
    if (!tag) continue;
    if (tag.target.kind === 'parameter') {
      setAtPath(effective.parameters, tag.target.keys, resolution.value);
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
        break;
    }
  }
  return effective;
}

export async function pipelineWorkflow(input: PipelineRunInput): Promise<RunResult> {
  const { pipeline, inputs } = input;
  const options = input.options ?? {};
  const stepsById = new Map(pipeline.steps.map((step) => [step.id, step]));
  const records: Record<string, StepRecord> = {};
  for (const step of pipeline.steps) {
    records[step.id] = { status: 'pending', result: null, error: null, attempts: 0, model: null, usage: zeroUsage(), started_at: null, completed_at: null };
  }
  const record = (id: string): StepRecord => records[id]!;
  const autoResolutions: AutoResolution[] = [];
  const autoUsage = zeroUsage();
  const running = new Set<string>();
  /** handler step -> the step whose failure it handles */
  const handlerTriggers = new Map<string, string>();
  let paused = false;
  let failure: string | null = null;
  let failuresHandled = 0;
  let cancelled = false;
  let changed = false;
  let outputs: Record<string, unknown> = {};
  let outputError: string | null = null;

  const totalUsage = (): Usage => {
    const total = zeroUsage();
    for (const step of Object.values(records)) addUsage(total, step.usage);
    addUsage(total, autoUsage);
    return total;
  };
  const runStatus = (): RunStatus => {
    if (cancelled) return 'cancelled';
    if (failure !== null || outputError !== null) return 'failed';
    if (running.size > 0 || Object.values(records).some((step) => step.status === 'pending')) return paused ? 'paused' : 'running';
    return failuresHandled > 0 ? 'partially_completed' : 'completed';
  };
  const snapshot = (): RunResult => ({
    run_id: workflowInfo().workflowId,
    pipeline: pipeline.name,
    status: runStatus(),
    outputs,
    steps: records,
    usage: totalUsage(),
    auto_resolutions: autoResolutions,
    error: failure ?? outputError,
  });

  setHandler(pauseSignal, () => {
    paused = true;
    changed = true;
  });
  setHandler(resumeSignal, () => {
    paused = false;
    changed = true;
  });
  setHandler(statusQuery, () => ({ ...snapshot(), paused, running: [...running] }));

  /** Only the values the templates refer to travel to an activity. */
  const contextFor = (references: readonly Reference[], failedStep?: string): TemplateContext => {
    const context: TemplateContext = { inputs: {}, steps: {} };
    for (const reference of references) {
      if (reference.kind === 'input') {
        if (inputs[reference.name] !== undefined) context.inputs[reference.name] = inputs[reference.name];
      } else {
        const source = record(reference.step);
        context.steps[reference.step] = { result: source.result, status: source.status, error: source.error };
      }
    }
    if (failedStep !== undefined) {
      const failed = record(failedStep);
      context.failed = { id: failedStep, error: failed.error, status: failed.status };
    }
    return context;
  };

  const modelFor = (step: CompiledStep): string => {
    if (options.dryRun) return 'echo';
    const chosen = step.model ?? (options.defaultModel !== undefined ? null : pipeline.config.model);
    const spec = chosen ?? options.defaultModel ?? pipeline.config.model;
    return typeof spec === 'string' ? spec : JSON.stringify(spec);
  };

  const resolveAutoTags = async (step: CompiledStep, context: TemplateContext): Promise<CompiledStep> => {
    if (step.autoTags.length === 0) return step;
    const resolved = await stepActivities(120, 2).resolveAutoTags({
      pipelineDescription: pipeline.description,
      step,
      tags: step.autoTags,
      model: options.dryRun ? 'echo' : (pipeline.config.autoModel ?? modelFor(step)),
      placeholder: options.dryRun === true,
      context,
    });
    for (const resolution of resolved) {
      const tag = step.autoTags.find((candidate) => candidate.path === resolution.path);
      autoResolutions.push({
        path: resolution.path,
        description: tag?.description ?? '',
        value: resolution.value,
        model: resolution.model,
        ...(options.dryRun ? { placeholder: true } : {}),
        ...(resolution.cached ? { cached: true } : {}),
      });
      addUsage(autoUsage, resolution.usage);
    }
    return applyResolutions(step, resolved);
  };

  // Tags of steps that depend on nothing are decided up front, all at once, before any step starts;
  // the others just before their step, with the results it depends on.
  const earlyResolutions = new Map<string, Promise<CompiledStep>>();
  for (const step of pipeline.steps) {
    if (step.autoTags.length === 0 || step.dependsOn.length > 0) continue;
    const resolution = resolveAutoTags(step, contextFor(step.references));
    resolution.catch(() => undefined); // a failure belongs to the step, reported when it runs
    earlyResolutions.set(step.id, resolution);
  }

  const applyOnFailure = (step: CompiledStep): void => {
    const onFailure = step.onFailure;
    switch (onFailure.kind) {
      case 'continue':
        failuresHandled++;
        return;
      case 'skip':
        record(step.id).status = 'skipped';
        failuresHandled++;
        return;
      case 'handler':
        handlerTriggers.set(onFailure.step, step.id);
        failuresHandled++;
        return;
      default:
        failure ??= record(step.id).error ?? `step '${step.id}' failed`;
        stepsScope.cancel();
    }
  };

  const runStep = async (step: CompiledStep): Promise<void> => {
    const state = record(step.id);
    try {
      const failedStep = handlerTriggers.get(step.id);
      const context = contextFor(step.references, failedStep);
      if (step.when !== null) {
        const proceed = typeof step.when === 'boolean' ? step.when : await templateActivities.evaluateCondition({ expression: step.when, context });
        if (!proceed) {
          state.status = 'skipped';
          state.error = null;
          return;
        }
      }
      if (!LLM_KINDS.has(step.actionKind) || step.forEach !== null) {
        throw ApplicationFailure.nonRetryable(
          `step '${step.id}': ${step.forEach !== null ? 'for_each' : `action '${step.actionKind}'`} is not supported by this version of orc yet`,
        );
      }
      // A late tag sees the results of every step this one depends on, not only those its templates read.
      const autoContext = (): TemplateContext =>
        contextFor([...step.references, ...step.dependsOn.map((id): Reference => ({ kind: 'step', step: id }))], failedStep);
      const effective = await (earlyResolutions.get(step.id) ?? resolveAutoTags(step, autoContext()));
      const model = modelFor(effective);
      state.model = model;
      const output: ExecuteStepOutput = await stepActivities(effective.timeoutSeconds, effective.maxRetries).executeLlmStep({
        pipelineName: pipeline.name,
        pipelineDescription: pipeline.description,
        step: effective,
        model,
        temperature: effective.temperature ?? pipeline.config.temperature,
        maxTokens: effective.maxTokens ?? pipeline.config.maxTokens,
        context,
      });
      state.status = 'completed';
      state.result = output.result;
      state.model = output.model;
      state.usage = output.usage;
      state.attempts = output.attempt;
    } catch (error) {
      if (isCancellation(error)) {
        state.status = 'cancelled';
        state.error = 'cancelled before it finished';
        return;
      }
      state.status = 'failed';
      state.result = null;
      state.error = failureMessage(error, step);
      state.attempts = failureAttempts(error, step);
      applyOnFailure(step);
    } finally {
      state.completed_at = new Date().toISOString();
      running.delete(step.id);
      changed = true;
    }
  };

  /** 'run' when every dependency has finished; 'skip' when one of them failed (not `continue`d) or was skipped. */
  const readiness = (step: CompiledStep): 'wait' | 'run' | { skip: string } => {
    if (step.isHandler && !handlerTriggers.has(step.id)) return 'wait';
    for (const dependency of step.dependsOn) if (!TERMINAL.has(record(dependency).status)) return 'wait';
    for (const dependency of step.dependsOn) {
      const state = record(dependency);
      if (state.status === 'skipped' || state.status === 'cancelled') return { skip: `'${dependency}' was ${state.status}` };
      if (state.status === 'failed' && stepsById.get(dependency)?.onFailure.kind !== 'continue') return { skip: `'${dependency}' failed` };
    }
    return 'run';
  };

  const stepsScope = new CancellationScope();
  const stepPromises: Array<Promise<void>> = [];

  /** Starts every step that can start now; returns whether anything changed. */
  const schedule = (): boolean => {
    let progressed = false;
    let again = true;
    while (again) {
      again = false;
      for (const step of pipeline.steps) {
        const state = record(step.id);
        if (state.status !== 'pending') continue;
        const ready = readiness(step);
        if (ready === 'wait') continue;
        if (ready !== 'run') {
          state.status = 'skipped';
          state.error = `not run: ${ready.skip}`;
          again = progressed = true;
          continue;
        }
        if (running.size >= pipeline.config.maxParallel) continue;
        running.add(step.id);
        state.status = 'running';
        state.started_at = new Date().toISOString();
        stepPromises.push(stepsScope.run(() => runStep(step)));
        progressed = true;
      }
    }
    return progressed;
  };

  try {
    for (;;) {
      if (failure === null && !paused) schedule();
      if (running.size === 0 && !paused) break;
      if (running.size === 0 && failure !== null) break;
      await condition(() => changed);
      changed = false;
    }
  } catch (error) {
    if (!isCancellation(error)) throw error;
    cancelled = true;
    stepsScope.cancel();
    await CancellationScope.nonCancellable(() => condition(() => running.size === 0));
  }

  for (const step of pipeline.steps) {
    const state = record(step.id);
    if (state.status !== 'pending') continue;
    state.status = 'skipped';
    state.error = step.isHandler ? null : failure !== null ? 'not run: the run failed' : cancelled ? 'not run: the run was cancelled' : 'not run';
  }

  const declaredOutputs = Object.keys(pipeline.outputs).length > 0;
  if (declaredOutputs) {
    const rendered = await CancellationScope.nonCancellable(() =>
      templateActivities.renderValues({ values: pipeline.outputs, context: contextFor(pipeline.outputReferences) }),
    );
    outputs = rendered.values;
    const problems = Object.entries(rendered.errors);
    if (problems.length > 0 && failure === null && !cancelled) {
      outputError = problems.map(([name, message]) => `output '${name}': ${message}`).join('; ');
    }
  } else {
    // With no outputs declared, the results of the last steps (those nothing depends on) are the outputs.
    const dependedOn = new Set(pipeline.steps.flatMap((step) => step.dependsOn));
    for (const step of pipeline.steps) {
      if (!dependedOn.has(step.id) && !step.isHandler && record(step.id).status === 'completed') outputs[step.id] = record(step.id).result;
    }
  }
  return snapshot();
}
