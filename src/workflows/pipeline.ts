// The one generic workflow: interprets a compiled pipeline, starting each step the moment its dependencies finish.
import { CancellationScope, condition, continueAsNew, isCancellation, patched, setHandler, upsertMemo, workflowInfo } from '@temporalio/workflow';
import { compactPipeline } from '../base/compact-pipeline';
import { AutoApplication } from './auto-application';
import { isHumanTool } from '../tools/workflow-side';
import { answerUpdate, approveUpdate, pauseSignal, resumeSignal, statusQuery } from './definitions';
import { ModelRouting } from './model-routing';
import { RunMetadata } from './run-metadata';
import { recordRunMetrics } from './run-metrics';
import { RunState } from './run-state';
import { StepExecution } from './run-step';
import type { ApprovalDecision, ApprovalResult, PipelineRunInput, RunResult, StepAnswer } from '../base/run-types';
import { Scheduler } from './scheduler';
import { runnerKindOf } from './runners';
import type { CompiledStep } from '../base/compiled-pipeline';
import { templateActivitiesLabelled } from './step-calls';

/** Signals, the status query and the approve update read and change the run's state. */
function registerHandlers(run: RunState): void {
  setHandler(pauseSignal, () => {
    run.paused = true;
    run.changed = true;
  });
  setHandler(resumeSignal, () => {
    run.paused = false;
    run.changed = true;
  });
  setHandler(statusQuery, () => run.progress());
  setHandler(
    approveUpdate,
    (decision: ApprovalDecision): ApprovalResult => {
      run.approvals.decisions.set(decision.step, decision);
      run.changed = true;
      return { approved: decision.approved, comment: decision.comment ?? null, by: decision.by ?? null };
    },
    {
      validator: (decision: ApprovalDecision): void => {
        const step = run.stepsById.get(decision.step);
        // A loop's iteration step (`LOOP_I_CHILD`) is no step of the pipeline: its record waiting says it is asking.
        const iterationStep = !step && run.records[decision.step] !== undefined;
        if (!step && !iterationStep) throw new Error(`this run has no step '${decision.step}' (steps: ${run.pipeline.steps.map((candidate) => candidate.id).join(', ')})`);
        const gate = step?.actionKind === 'tool' && step.tool?.name === 'approval-gate';
        if (step && step.actionKind !== 'approval' && !step.agent && !gate) throw new Error(`step '${decision.step}' is neither an approval step nor an agent step`);
        const earlier = run.approvals.decisions.get(decision.step);
        if (earlier) throw new Error(`step '${decision.step}' was already ${earlier.approved ? 'approved' : 'rejected'}${earlier.by ? ` by ${earlier.by}` : ''}`);
        const status = run.record(decision.step).status;
        if (status !== 'waiting') throw new Error(`step '${decision.step}' is not waiting for approval (it is ${status})`);
      },
    },
  );
}

/** `orc answer RUN STEP VALUE`: the value of a waiting question (user-prompt, approval-gate, feedback-collection). */
function registerAnswerHandler(run: RunState): void {
  setHandler(
    answerUpdate,
    (answer: StepAnswer): StepAnswer => {
      run.approvals.decisions.set(answer.step, { step: answer.step, approved: true, value: answer.value, ...(answer.by !== undefined ? { by: answer.by } : {}) });
      run.changed = true;
      return answer;
    },
    {
      validator: (answer: StepAnswer): void => {
        const step = run.stepsById.get(answer.step);
        // A loop's iteration step (`LOOP_I_CHILD`) is no step of the pipeline: its record waiting says it is asking.
        const iterationStep = !step && run.records[answer.step] !== undefined;
        if (!step && !iterationStep) throw new Error(`this run has no step '${answer.step}' (steps: ${run.pipeline.steps.map((candidate) => candidate.id).join(', ')})`);
        if (step && (step.actionKind !== 'tool' || !isHumanTool(step.tool?.name ?? ''))) throw new Error(`step '${answer.step}' asks no question (only user-prompt, approval-gate and feedback-collection steps take an answer)`);
        if (run.approvals.decisions.has(answer.step)) throw new Error(`step '${answer.step}' was already answered`);
        const status = run.record(answer.step).status;
        if (status !== 'waiting') throw new Error(`step '${answer.step}' is not waiting for an answer (it is ${status})`);
        const choices = run.approvals.choices.get(answer.step);
        if (choices && !choices.includes(answer.value)) throw new Error(`step '${answer.step}' takes one of: ${choices.join(', ')}; got '${answer.value}'`);
      },
    },
  );
}

/** Steps that never started, with the reason; handlers that were never needed say nothing. */
function skipRemaining(run: RunState): void {
  for (const step of run.pipeline.steps) {
    const state = run.record(step.id);
    if (state.status !== 'pending') continue;
    state.status = 'skipped';
    state.error = step.isHandler
      ? null
      : run.failure !== null
        ? 'not run: the run failed'
        : run.cancelled
          ? 'not run: the run was cancelled'
          : run.budgetExceeded !== null
            ? `not run: ${run.budgetExceeded}`
            : 'not run';
  }
}

/** The declared outputs, rendered; with none declared, the results of the last steps (those nothing depends on). */
async function renderOutputs(run: RunState, labelled: boolean): Promise<void> {
  const { pipeline } = run;
  if (Object.keys(pipeline.outputs).length > 0) {
    const rendered = await CancellationScope.nonCancellable(() =>
      templateActivitiesLabelled(labelled ? 'outputs' : undefined).renderValues({ values: pipeline.outputs, context: run.contextFor(pipeline.outputReferences) }),
    );
    run.outputs = rendered.values;
    const problems = Object.entries(rendered.errors);
    if (problems.length > 0 && run.failure === null && !run.cancelled) {
      run.outputError = problems.map(([name, message]) => `output '${name}': ${message}`).join('; ');
    }
    return;
  }
  const dependedOn = new Set(pipeline.steps.flatMap((step) => step.dependsOn));
  for (const step of pipeline.steps) {
    if (!dependedOn.has(step.id) && !step.isHandler && run.record(step.id).status === 'completed') run.outputs[step.id] = run.record(step.id).result;
  }
}

/** Long runs hand over to a fresh history when Temporal suggests it, once nothing is in flight. */
function historyFull(run: RunState): boolean {
  return workflowInfo().continueAsNewSuggested && run.failure === null;
}

/** Steps in flight at or below which a step that ends publishes the Web UI's table at once. */
const PUBLISH_NOW_BELOW = 8;

/** The model-calling steps that can start at once: pending, with no dependency, not a handler. */
function firstWave(run: RunState): CompiledStep[] {
  return run.pipeline.steps.filter((step) => step.dependsOn.length === 0 && !step.isHandler && run.record(step.id).status === 'pending' && runnerKindOf(step) === 'llm');
}

/** Whether new steps may start: the run has not failed, gone over budget, been paused or filled its history. */
function mayStartSteps(run: RunState): boolean {
  return run.failure === null && run.budgetExceeded === null && !run.paused && !historyFull(run);
}

/** Starts steps as they become ready until none is running and none can start; a cancel stops them all. */
async function runSteps(run: RunState, scheduler: Scheduler, stepsScope: CancellationScope, metadata: RunMetadata): Promise<void> {
  try {
    for (;;) {
      if (mayStartSteps(run)) scheduler.schedule();
      metadata.publish();
      if (run.running.size === 0 && run.budgetExceeded !== null) break;
      if (run.running.size === 0 && historyFull(run)) break;
      if (run.running.size === 0 && !run.paused) break;
      if (run.running.size === 0 && run.failure !== null) break;
      await condition(() => run.changed || (historyFull(run) && run.running.size === 0));
      run.changed = false;
    }
  } catch (error) {
    if (!isCancellation(error)) throw error;
    run.cancelled = true;
    stepsScope.cancel();
    await CancellationScope.nonCancellable(() => condition(() => run.running.size === 0));
  }
}

/**
 * One marker for every change below: a run started since `all-of-2026-12` has them all, and records one patch
 * marker (and one TemporalChangeVersion upsert) instead of five. Older runs ask for each change as they did.
 */
const ALL_CHANGES_SO_FAR = 'all-of-2026-12';

export async function pipelineWorkflow(input: PipelineRunInput): Promise<RunResult> {
  // Asked first, so that a history from before it finds its own markers where it recorded them.
  const current = patched(ALL_CHANGES_SO_FAR);
  // Added after runs were recorded (docs/workflow-changes.md): a step that ends starts the steps it made ready and
  // wakes the main loop only when the run may have to stop (nothing running, a failure, the budget); each wake of
  // the loop cost a condition, a scope entry and their promises per step. Older runs keep the loop's rhythm.
  const direct = patched('direct-scheduling');
  // Added after runs were recorded (see docs/workflow-changes.md): runs started since ask the worker which model
  // each LLM call uses and on which task queue (requirements, rate-limited providers); older runs replay without.
  const routeModels = current || patched('model-routing');
  const run = new RunState(input);
  // Runs started since `step-metadata` label every activity with its step for the Web UI, and may keep the Orc*
  // search attributes up to date; older runs replay without either.
  const labelled = current || patched('step-metadata');
  // Added after runs were recorded (docs/workflow-changes.md): runs since call a model through fewer promises.
  const routing = new ModelRouting(run.pipeline, run.options, routeModels, labelled, current || patched('lean-step-calls'));
  const searchAttributes = labelled && run.options.searchAttributes === true;
  // Added after runs were recorded (docs/workflow-changes.md): runs since upsert OrcTokens/OrcCostUsd at most
  // every 10 s while their status stays, not after every step. Asked only where upserts happen at all.
  const metadata = new RunMetadata(run, searchAttributes, searchAttributes && (current || patched('search-attributes-throttled')));
  registerHandlers(run);
  registerAnswerHandler(run);
  const auto = new AutoApplication(run, routing);
  auto.startEarly();

  const stepsScope = new CancellationScope();
  const stepEnded = (topLevel: boolean): void => {
    if (!direct || !topLevel) {
      run.changed = true;
      return;
    }
    // A cancelled run starts nothing more: its pending steps are skipped, as the main loop would.
    const open = mayStartSteps(run) && !run.cancelled && !stepsScope.consideredCancelled;
    if (open) scheduler.startReadyHere();
    if (!open || run.running.size === 0) run.changed = true;
    // With few steps in flight, few end in one workflow task: publishing now costs less than the two promises
    // that put it off to the task's end; many in flight (a fan-out) publish once, at the end.
    else if (run.running.size <= PUBLISH_NOW_BELOW) metadata.publish();
    else metadata.publishSoon();
  };
  const execution: StepExecution = new StepExecution(run, routing, auto, stepsScope, (extra): string | null => scheduler.budgetStop(extra), stepEnded, direct);
  const scheduler: Scheduler = new Scheduler(run, stepsScope, (step): Promise<void> => execution.runStep(step), routing.lean);
  // Since `direct-scheduling`: the models of the steps that start first are routed before they start, together.
  if (direct) await routing.prefetchRoutes(firstWave(run));
  await runSteps(run, scheduler, stepsScope, metadata);

  if (!run.cancelled && historyFull(run) && run.hasPending()) {
    await auto.settle();
    await continueAsNew<typeof pipelineWorkflow>({ pipeline: compactPipeline(run.pipeline), inputs: run.inputs, options: { ...run.options, reuse: undefined, carry: run.carry() } });
  }
  skipRemaining(run);
  await renderOutputs(run, labelled);
  const final = run.snapshot();
  // Added after runs were recorded: patched() keeps those runs replaying as they ran (no memo command), while
  // new runs show their outcome in the Web UI's memo. See docs/workflow-changes.md.
  if (current || patched('run-summary-memo')) {
    const counts = Object.values(final.steps).reduce<Record<string, number>>((tally, step) => ({ ...tally, [step.status]: (tally[step.status] ?? 0) + 1 }), {});
    upsertMemo({ status: final.status, steps: counts, ...(final.error ? { error: final.error.slice(0, 500) } : {}) });
  }
  metadata.publish(final, true);
  recordRunMetrics(run.pipeline, final);
  return final;
}
