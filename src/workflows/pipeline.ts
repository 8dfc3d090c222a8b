// The one generic workflow: interprets a compiled pipeline, starting each step the moment its dependencies finish.
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  ChildWorkflowFailure,
  condition,
  continueAsNew,
  executeChild,
  isCancellation,
  patched,
  setHandler,
  TimeoutFailure,
  upsertMemo,
  workflowInfo,
} from '@temporalio/workflow';
import type { ChooseModelOutput, ExecuteStepInput, ExecuteStepOutput, ResolveAutoTagsInput, ResolvedAutoTag, TemplateContext } from '../activities/types';
import { tagsDecidedUpFront } from '../compiler/auto-tags';
import { parseDuration } from '../compiler/durations';
import type { CompiledStep, Reference } from '../compiler/types';
import { approveUpdate, pauseSignal, resumeSignal, statusQuery } from './definitions';
import { forEachChunkWorkflow } from './for-each';
import { addUsage, callForItems, callStepModel, modelChoiceActivities, sandboxActivities, stepActivities, templateActivities, zeroUsage } from './step-calls';
import { mcpServerFor, runCodeInput } from './tool-steps';
import type {
  ApprovalDecision,
  ApprovalResult,
  AutoResolution,
  CarriedState,
  PipelineRunInput,
  RunResult,
  RunStatus,
  StepRecord,
  StepStatus,
  Usage,
} from './run-types';

const TERMINAL: ReadonlySet<StepStatus> = new Set(['completed', 'failed', 'skipped', 'cancelled']);
/**
 * A for_each over more items than this runs in child workflows of this many items each: every item is a few
 * history events, and a history should stay well under Temporal's 10,240-event warning.
 */
const FOR_EACH_CHUNK = 1000;

/** Temporal allows 2,000 pending activities per workflow; steps (and for_each items) in flight stay well below. */
const MAX_IN_FLIGHT = 1000;

/** An approval with no `parameters.timeout` waits a week: people take time. */
const DEFAULT_APPROVAL_TIMEOUT_SECONDS = 7 * 24 * 3600;

/** The failure that says what went wrong, under the activity or child-workflow wrappers Temporal adds. */
function rootCause(error: unknown): unknown {
  let current = error;
  while ((current instanceof ActivityFailure || current instanceof ChildWorkflowFailure) && current.cause) current = current.cause;
  return current;
}

function failureMessage(error: unknown, step: CompiledStep): string {
  const cause = rootCause(error);
  if (cause instanceof TimeoutFailure) {
    const attempts = step.maxRetries + 1;
    return `step '${step.id}' timed out after ${step.timeoutSeconds}s${attempts > 1 ? ` (on each of ${attempts} attempts)` : ''}`;
  }
  if (cause instanceof Error) return cause.message;
  return String(cause);
}

function failureAttempts(error: unknown, step: CompiledStep): number {
  const cause = rootCause(error);
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
  // Added after runs were recorded (see docs/workflow-changes.md): runs started since ask the worker which model
  // each LLM call uses and on which task queue (requirements, rate-limited providers); older runs replay without.
  const routeModels = patched('model-routing');
  const stepsById = new Map(pipeline.steps.map((step) => [step.id, step]));
  const records: Record<string, StepRecord> = {};
  for (const step of pipeline.steps) {
    records[step.id] = { status: 'pending', result: null, error: null, attempts: 0, model: null, usage: zeroUsage(), started_at: null, completed_at: null };
  }
  const record = (id: string): StepRecord => records[id]!;
  for (const [id, reused] of Object.entries(options.reuse ?? {})) {
    if (records[id] && reused.status === 'completed') records[id] = { ...reused };
  }
  const carried = options.carry;
  for (const [id, step] of Object.entries(carried?.steps ?? {})) if (records[id]) records[id] = step;
  const autoResolutions: AutoResolution[] = [...(carried?.autoResolutions ?? [])];
  const autoUsage = carried?.autoUsage ?? zeroUsage();
  const resolvedTags = new Map<string, ResolvedAutoTag[]>(Object.entries(carried?.resolvedTags ?? {}));
  const running = new Set<string>();
  /** handler step -> the step whose failure it handles */
  const handlerTriggers = new Map<string, string>(Object.entries(carried?.handlerTriggers ?? {}));
  let paused = carried?.paused ?? false;
  let failure: string | null = null;
  let failuresHandled = carried?.failuresHandled ?? 0;
  let cancelled = false;
  /** Why no new step starts: the run used, or would use, more than config.budget allows. */
  let budgetExceeded: string | null = null;
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
    if (budgetExceeded !== null && running.size === 0) return 'budget_exceeded';
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
    error: failure ?? budgetExceeded ?? outputError,
  });

  setHandler(pauseSignal, () => {
    paused = true;
    changed = true;
  });
  setHandler(resumeSignal, () => {
    paused = false;
    changed = true;
  });
  /** Approval steps waiting for a decision -> the prompt they show; decisions as they arrive. */
  const waitingApprovals = new Map<string, string>();
  const decisions = new Map<string, ApprovalDecision>(Object.entries(carried?.decisions ?? {}));

  setHandler(statusQuery, () => ({
    ...snapshot(),
    paused,
    running: [...running],
    waiting: [...waitingApprovals].map(([step, prompt]) => ({ step, prompt })),
  }));
  setHandler(
    approveUpdate,
    (decision: ApprovalDecision): ApprovalResult => {
      decisions.set(decision.step, decision);
      changed = true;
      return { approved: decision.approved, comment: decision.comment ?? null, by: decision.by ?? null };
    },
    {
      validator: (decision: ApprovalDecision): void => {
        const step = stepsById.get(decision.step);
        if (!step) throw new Error(`this run has no step '${decision.step}' (steps: ${pipeline.steps.map((candidate) => candidate.id).join(', ')})`);
        if (step.actionKind !== 'approval') throw new Error(`step '${decision.step}' is not an approval step`);
        const earlier = decisions.get(decision.step);
        if (earlier) throw new Error(`step '${decision.step}' was already ${earlier.approved ? 'approved' : 'rejected'}${earlier.by ? ` by ${earlier.by}` : ''}`);
        const status = record(decision.step).status;
        if (status !== 'waiting') throw new Error(`step '${decision.step}' is not waiting for approval (it is ${status})`);
      },
    },
  );

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

  /** What a step asks for: a model spec, or a requirement object that selection resolves when the step runs. */
  const modelSpecFor = (step: CompiledStep): string | Record<string, unknown> => {
    if (options.dryRun) return 'echo';
    return step.model ?? options.defaultModel ?? pipeline.config.model;
  };

  /** The spec as text, as runs from before model routing passed it (a requirement as its JSON). */
  const modelFor = (step: CompiledStep): string => {
    const spec = modelSpecFor(step);
    return typeof spec === 'string' ? spec : JSON.stringify(spec);
  };

  /** Where a named model's calls go (its provider's queue when rate-limited): asked once per run and model. */
  const routes = new Map<string, Promise<ChooseModelOutput>>();
  const routeOf = (spec: string): Promise<ChooseModelOutput> => {
    let route = routes.get(spec);
    if (!route) {
      route = modelChoiceActivities.chooseModel({ spec, stepId: null, workflowTaskQueue: workflowInfo().taskQueue });
      routes.set(spec, route);
      // A failed answer is asked again by the next call rather than remembered.
      route.catch(() => routes.delete(spec));
    }
    return route;
  };

  /** The model and queue of an LLM call; a requirement is resolved now (per call) and recorded on the step. */
  const routeCall = async (step: CompiledStep, context: TemplateContext, state: StepRecord): Promise<{ input: ExecuteStepInput; taskQueue: string | null }> => {
    const input = modelInput(step, context);
    const spec = modelSpecFor(step);
    if (typeof spec === 'string') {
      const route = await routeOf(spec);
      return { input: { ...input, model: route.model }, taskQueue: route.taskQueue };
    }
    const choice = await modelChoiceActivities.chooseModel({ spec, stepId: step.id, workflowTaskQueue: workflowInfo().taskQueue, call: input });
    state.model = choice.model;
    if (choice.selection) state.model_selection = choice.selection;
    return { input: { ...input, model: choice.model, recordOutcome: true }, taskQueue: choice.taskQueue };
  };

  /**
   * AUTO tags are decided by `config.auto_model`, else by the step's model (the pipeline's, when the step's model is
   * itself a tag), on that model's queue.
   */
  const resolveAutoTagsRouted = async (step: CompiledStep, request: ResolveAutoTagsInput): Promise<ResolvedAutoTag[]> => {
    const modelIsTag = step.autoTags.some((tag) => tag.target.kind === 'field' && tag.target.field === 'model');
    const spec = pipeline.config.autoModel ?? (modelIsTag ? (options.defaultModel ?? pipeline.config.model) : modelSpecFor(step));
    const route =
      typeof spec === 'string' ? await routeOf(spec) : await modelChoiceActivities.chooseModel({ spec, stepId: step.id, workflowTaskQueue: workflowInfo().taskQueue });
    return stepActivities(120, 2, route.taskQueue).resolveAutoTags({ ...request, model: route.model });
  };

  const resolveAutoTags = async (step: CompiledStep, context: TemplateContext): Promise<CompiledStep> => {
    if (step.autoTags.length === 0) return step;
    const request: ResolveAutoTagsInput = {
      pipelineDescription: pipeline.description,
      step,
      tags: step.autoTags,
      model: options.dryRun ? 'echo' : (pipeline.config.autoModel ?? modelFor(step)),
      placeholder: options.dryRun === true,
      context,
    };
    const resolved = await (routeModels && !options.dryRun ? resolveAutoTagsRouted(step, request) : stepActivities(120, 2).resolveAutoTags(request));
    for (const resolution of resolved) {
      const tag = step.autoTags.find((candidate) => candidate.path === resolution.path);
      autoResolutions.push({
        path: resolution.path,
        description: tag?.description ?? '',
        value: resolution.value,
        model: resolution.model,
        ...(options.dryRun ? { placeholder: true } : {}),
        ...(resolution.cached ? { cached: true } : {}),
        ...(resolution.retries ? { retries: resolution.retries, reason: resolution.reason } : {}),
      });
      addUsage(autoUsage, resolution.usage);
    }
    resolvedTags.set(step.id, resolved);
    return applyResolutions(step, resolved);
  };

  // Tags of steps that depend on nothing are decided up front, all at once, before any step starts;
  // the others just before their step, with the results it depends on.
  const earlyResolutions = new Map<string, Promise<CompiledStep>>();
  for (const step of pipeline.steps) {
    if (step.autoTags.length === 0 || record(step.id).status !== 'pending') continue;
    const decided = resolvedTags.get(step.id);
    if (decided) {
      earlyResolutions.set(step.id, Promise.resolve(applyResolutions(step, decided)));
      continue;
    }
    if (!tagsDecidedUpFront(step)) continue;
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

  const modelInput = (step: CompiledStep, context: TemplateContext): ExecuteStepInput => ({
    pipelineName: pipeline.name,
    pipelineDescription: pipeline.description,
    step,
    model: modelFor(step),
    temperature: step.temperature ?? pipeline.config.temperature,
    maxTokens: step.maxTokens ?? pipeline.config.maxTokens,
    context,
  });

  const callModel = (step: CompiledStep, context: TemplateContext, state: StepRecord): Promise<ExecuteStepOutput> => {
    if (!routeModels || options.dryRun) return callStepModel(modelInput(step, context));
    return routeCall(step, context, state).then(({ input, taskQueue }) => callStepModel(input, taskQueue));
  };

  /**
   * The step's model, then each fallback model in turn when one fails for good (retries spent, or an error
   * no retry can fix, like a rejected API key). Every model tried is in the step's `model_attempts`.
   */
  const callWithFallbacks = async (step: CompiledStep, context: TemplateContext, state: StepRecord): Promise<ExecuteStepOutput> => {
    const fallbacks = options.dryRun ? [] : (step.fallbackModels ?? []);
    if (fallbacks.length === 0) return callModel(step, context, state);
    const tried: Array<{ model: string; error: string | null }> = [];
    state.model_attempts = tried;
    const models: Array<string | Record<string, unknown>> = [routeModels ? modelSpecFor(step) : modelFor(step), ...fallbacks];
    for (const [index, model] of models.entries()) {
      // A requirement is named by the model selection chose for it.
      const name = (): string => (typeof model === 'string' ? model : (state.model_selection?.chosen ?? JSON.stringify(model)));
      try {
        const output = await callModel({ ...step, model }, context, state);
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
  };

  /** Renders values in an activity; a value that cannot render fails the step with its message. */
  const renderForStep = async (step: CompiledStep, values: Record<string, unknown>, context: TemplateContext): Promise<Record<string, unknown>> => {
    const rendered = await templateActivities.renderValues({ values, context });
    const problems = Object.entries(rendered.errors);
    if (problems.length > 0) throw ApplicationFailure.nonRetryable(`step '${step.id}': ${problems.map(([name, message]) => `${name}: ${message}`).join('; ')}`);
    return rendered.values;
  };

  /** One model call per item, at most `max_parallel` at once; the result is the list of answers, in order. */
  const runForEach = async (step: CompiledStep, state: StepRecord, context: TemplateContext): Promise<void> => {
    // Pipelines compiled before forEachReferences existed kept them in references (recorded histories do).
    const { items } = await renderForStep(step, { items: step.forEach }, contextFor(step.forEachReferences ?? step.references));
    if (!Array.isArray(items)) {
      throw ApplicationFailure.nonRetryable(`step '${step.id}': for_each must give a list, got ${items === null ? 'null' : typeof items}`);
    }
    let base = modelInput(step, context);
    let taskQueue: string | null = null;
    if (routeModels && !options.dryRun) {
      // One model for every item: a requirement is resolved once, the first item's prompt standing for its size.
      const routed = await routeCall(step, items.length > 0 ? { ...context, item: items[0], index: 0 } : context, state);
      base = { ...base, model: routed.input.model, ...(routed.input.recordOutcome ? { recordOutcome: true } : {}) };
      taskQueue = routed.taskQueue;
    }
    const maxParallel = Math.min(step.maxParallel ?? pipeline.config.maxParallel, MAX_IN_FLIGHT);
    state.model = base.model;
    if (items.length <= FOR_EACH_CHUNK) {
      const outcome = await callForItems(base, items, 0, maxParallel, taskQueue);
      state.result = outcome.results;
      state.usage = outcome.usage;
      state.attempts = outcome.attempts;
      state.model = outcome.model ?? state.model;
      return;
    }
    const results: unknown[] = [];
    const usage = zeroUsage();
    for (let offset = 0; offset < items.length; offset += FOR_EACH_CHUNK) {
      const outcome = await executeChild(forEachChunkWorkflow, {
        workflowId: `${workflowInfo().workflowId}.${step.id}.${offset / FOR_EACH_CHUNK}`,
        args: [{ base, items: items.slice(offset, offset + FOR_EACH_CHUNK), offset, maxParallel, ...(taskQueue !== null ? { taskQueue } : {}) }],
      });
      results.push(...outcome.results);
      addUsage(usage, outcome.usage);
      state.attempts = Math.max(state.attempts, outcome.attempts);
      state.model = outcome.model ?? state.model;
    }
    state.result = results;
    state.usage = usage;
  };

  /** What a failed step still shows as its result: a rejected approval, code that exited non-zero. */
  const rejections = new Map<string, unknown>();

  const runApproval = async (step: CompiledStep, state: StepRecord, context: TemplateContext): Promise<void> => {
    const { prompt } = await renderForStep(step, { prompt: step.parameters.prompt ?? `Approve step '${step.id}'?` }, context);
    const timeoutSeconds = parseDuration(step.parameters.timeout) ?? DEFAULT_APPROVAL_TIMEOUT_SECONDS;
    waitingApprovals.set(step.id, String(prompt));
    state.status = 'waiting';
    const decided = await condition(() => decisions.has(step.id), timeoutSeconds * 1000).finally(() => waitingApprovals.delete(step.id));
    state.attempts = 1;
    if (!decided) throw ApplicationFailure.nonRetryable(`step '${step.id}': no approval decision within ${timeoutSeconds}s`);
    const decision = decisions.get(step.id)!;
    const result: ApprovalResult = { approved: decision.approved, comment: decision.comment ?? null, by: decision.by ?? null };
    if (!decision.approved) {
      rejections.set(step.id, result);
      throw ApplicationFailure.nonRetryable(`step '${step.id}' was rejected${result.by ? ` by ${result.by}` : ''}${result.comment ? `: ${result.comment}` : ''}`);
    }
    state.result = result;
  };

  /** Another pipeline file, run as a child workflow; its outputs are this step's result. */
  const runChildPipeline = async (step: CompiledStep, state: StepRecord, context: TemplateContext): Promise<void> => {
    const parameters = await renderForStep(step, { file: step.parameters.file, inputs: step.parameters.inputs ?? {} }, context);
    if (typeof parameters.file !== 'string') throw ApplicationFailure.nonRetryable(`step '${step.id}': parameters.file must name a pipeline file`);
    const child = await templateActivities.loadChildPipeline({
      file: parameters.file,
      relativeTo: pipeline.sourceFile,
      inputs: (parameters.inputs ?? {}) as Record<string, unknown>,
    });
    const result = await executeChild(pipelineWorkflow, {
      workflowId: `${workflowInfo().workflowId}.${step.id}`,
      args: [{ pipeline: child.pipeline, inputs: child.inputs, options }],
    });
    state.usage = result.usage;
    state.attempts = 1;
    if (result.status !== 'completed' && result.status !== 'partially_completed') {
      throw ApplicationFailure.nonRetryable(`step '${step.id}': child pipeline '${child.pipeline.name}' ${result.status}: ${result.error ?? 'no detail'}`);
    }
    state.result = result.outputs;
  };

  /** Code in a fresh locked-down container, on the sandbox task queue; a non-zero exit fails the step unless allowed. */
  const runCode = async (step: CompiledStep, state: StepRecord, context: TemplateContext): Promise<void> => {
    const parameters = await renderForStep(step, step.parameters, context);
    const input = runCodeInput(step, parameters);
    if (options.dryRun) {
      // A dry run has no side effects: the code is shown, not run.
      state.result = { stdout: '', stderr: '', exit_code: 0, files: {}, timed_out: false, oom_killed: false, duration_ms: 0, dry_run: true, code: input.code };
      return;
    }
    const result = await sandboxActivities(workflowInfo().taskQueue, input.timeoutSeconds, step.timeoutSeconds).runCode(input);
    state.attempts = 1;
    const problem = result.timed_out
      ? `timed out after ${input.timeoutSeconds}s`
      : result.oom_killed
        ? `was killed for going over its memory limit of ${input.memoryMb} MB`
        : result.exit_code !== 0
          ? `exited with code ${result.exit_code}`
          : null;
    if (problem !== null && parameters.allow_failure !== true) {
      rejections.set(step.id, result);
      const tail = result.stderr.trim().split('\n').slice(-3).join(' | ');
      throw ApplicationFailure.nonRetryable(`step '${step.id}': code ${problem}${tail ? `: ${tail}` : ''}`);
    }
    state.result = result;
  };

  /** One tool call on an MCP server; a tool error fails the step with the tool's message. */
  const callMcpTool = async (step: CompiledStep, state: StepRecord, context: TemplateContext): Promise<void> => {
    const parameters = await renderForStep(step, step.parameters, context);
    const { serverName, server } = mcpServerFor(step, parameters.server, pipeline.mcpServers ?? {});
    if (typeof parameters.tool !== 'string' || parameters.tool === '') throw ApplicationFailure.nonRetryable(`step '${step.id}': parameters.tool must name a tool`);
    const args = parameters.arguments ?? {};
    if (typeof args !== 'object' || args === null || Array.isArray(args)) throw ApplicationFailure.nonRetryable(`step '${step.id}': parameters.arguments must be a mapping`);
    if (options.dryRun) {
      state.result = { text: '', structured: null, content: [], dry_run: true, server: serverName, tool: parameters.tool, arguments: args };
      return;
    }
    const calls = stepActivities(step.timeoutSeconds, step.maxRetries);
    state.result = await calls.callMcpTool({ stepId: step.id, serverName, server, tool: parameters.tool, arguments: args as Record<string, unknown> });
    state.attempts = 1;
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
      // A late tag sees the results of every step this one depends on, not only those its templates read.
      const autoContext = (): TemplateContext =>
        contextFor([...step.references, ...(step.forEachReferences ?? []), ...step.dependsOn.map((id): Reference => ({ kind: 'step', step: id }))], failedStep);
      const effective = await (earlyResolutions.get(step.id) ?? resolveAutoTags(step, autoContext()));
      switch (effective.actionKind) {
        case 'approval':
          await runApproval(effective, state, context);
          break;
        case 'pipeline':
          await runChildPipeline(effective, state, context);
          break;
        case 'run_code':
          await runCode(effective, state, context);
          break;
        case 'mcp':
          await callMcpTool(effective, state, context);
          break;
        default:
          if (effective.forEach !== null) await runForEach(effective, state, context);
          else {
            const output = await callWithFallbacks(effective, context, state);
            state.result = output.result;
            state.model = output.model;
            state.usage = output.usage;
            state.attempts = output.attempt;
            if (output.retries) {
              state.retries = output.retries;
              state.reason = output.reason;
            }
          }
      }
      const stepBudget = step.budget ?? null;
      const stepTokens = state.usage.input_tokens + state.usage.output_tokens;
      if (stepBudget?.tokens !== undefined && stepTokens > stepBudget.tokens) {
        throw ApplicationFailure.nonRetryable(`step '${step.id}' used ${stepTokens} tokens, over its budget of ${stepBudget.tokens}`);
      }
      if (stepBudget?.costUsd !== undefined && state.usage.cost_usd > stepBudget.costUsd) {
        throw ApplicationFailure.nonRetryable(`step '${step.id}' cost $${state.usage.cost_usd.toFixed(6)}, over its budget of $${stepBudget.costUsd}`);
      }
      state.status = 'completed';
    } catch (error) {
      if (isCancellation(error)) {
        state.status = 'cancelled';
        state.error = 'cancelled before it finished';
        return;
      }
      state.status = 'failed';
      state.result = rejections.get(step.id) ?? null;
      state.error = failureMessage(error, step);
      state.attempts = state.attempts > 0 ? state.attempts : failureAttempts(error, step);
      applyOnFailure(step);
    } finally {
      state.completed_at = new Date().toISOString();
      running.delete(step.id);
      budgetExceeded ??= budgetStop(zeroUsage());
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

  const runBudget = pipeline.config.budget ?? null;

  /** What a step is expected to use: the mean of the steps that have finished so far. */
  const estimatedStepUsage = (): Usage => {
    const finished = Object.values(records).filter((state) => state.status === 'completed' && state.usage.input_tokens + state.usage.output_tokens > 0);
    const estimate = zeroUsage();
    for (const state of finished) addUsage(estimate, state.usage);
    if (finished.length === 0) return estimate;
    return { input_tokens: estimate.input_tokens / finished.length, output_tokens: estimate.output_tokens / finished.length, cost_usd: estimate.cost_usd / finished.length };
  };

  /** The reason the run's budget stops another step, if it does: already used, or used once this step runs. */
  const budgetStop = (extra: Usage): string | null => {
    if (!runBudget) return null;
    const used = totalUsage();
    const tokens = used.input_tokens + used.output_tokens;
    const expected = tokens + extra.input_tokens + extra.output_tokens;
    if (runBudget.tokens !== undefined && expected > runBudget.tokens) {
      return `token budget of ${runBudget.tokens} reached: ${tokens} used${expected > tokens ? `, about ${Math.round(expected - tokens)} more for the next step` : ''}`;
    }
    if (runBudget.costUsd !== undefined && used.cost_usd + extra.cost_usd > runBudget.costUsd) {
      return `cost budget of $${runBudget.costUsd} reached: $${used.cost_usd.toFixed(6)} spent${extra.cost_usd > 0 ? `, about $${extra.cost_usd.toFixed(6)} more for the next step` : ''}`;
    }
    return null;
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
        if (running.size >= Math.min(pipeline.config.maxParallel, MAX_IN_FLIGHT)) continue;
        budgetExceeded ??= budgetStop(estimatedStepUsage());
        if (budgetExceeded !== null) return progressed;
        running.add(step.id);
        state.status = 'running';
        state.started_at = new Date().toISOString();
        stepPromises.push(stepsScope.run(() => runStep(step)));
        progressed = true;
      }
    }
    return progressed;
  };

  /** Long runs hand over to a fresh history when Temporal suggests it, once nothing is in flight. */
  const historyFull = (): boolean => workflowInfo().continueAsNewSuggested && failure === null;
  try {
    for (;;) {
      if (failure === null && budgetExceeded === null && !paused && !historyFull()) schedule();
      if (running.size === 0 && budgetExceeded !== null) break;
      if (running.size === 0 && historyFull()) break;
      if (running.size === 0 && !paused) break;
      if (running.size === 0 && failure !== null) break;
      await condition(() => changed || (historyFull() && running.size === 0));
      changed = false;
    }
  } catch (error) {
    if (!isCancellation(error)) throw error;
    cancelled = true;
    stepsScope.cancel();
    await CancellationScope.nonCancellable(() => condition(() => running.size === 0));
  }

  if (!cancelled && historyFull() && Object.values(records).some((state) => state.status === 'pending')) {
    await Promise.allSettled(earlyResolutions.values());
    const carry: CarriedState = {
      steps: records,
      autoResolutions,
      autoUsage,
      resolvedTags: Object.fromEntries(resolvedTags),
      failuresHandled,
      handlerTriggers: Object.fromEntries(handlerTriggers),
      decisions: Object.fromEntries(decisions),
      paused,
      continuations: (carried?.continuations ?? 0) + 1,
    };
    await continueAsNew<typeof pipelineWorkflow>({ pipeline, inputs, options: { ...options, reuse: undefined, carry } });
  }

  for (const step of pipeline.steps) {
    const state = record(step.id);
    if (state.status !== 'pending') continue;
    state.status = 'skipped';
    state.error = step.isHandler
      ? null
      : failure !== null
        ? 'not run: the run failed'
        : cancelled
          ? 'not run: the run was cancelled'
          : budgetExceeded !== null
            ? `not run: ${budgetExceeded}`
            : 'not run';
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
  const final = snapshot();
  // Added after runs were recorded: patched() keeps those runs replaying as they ran (no memo command), while
  // new runs show their outcome in the Web UI's memo. See docs/workflow-changes.md.
  if (patched('run-summary-memo')) {
    const counts = Object.values(final.steps).reduce<Record<string, number>>((tally, step) => ({ ...tally, [step.status]: (tally[step.status] ?? 0) + 1 }), {});
    upsertMemo({ status: final.status, steps: counts, ...(final.error ? { error: final.error.slice(0, 500) } : {}) });
  }
  return final;
}
