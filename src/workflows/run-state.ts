// A run's state: its step records, status and snapshot, the AUTO values decided, and what continue-as-new carries.
import { workflowInfo } from '@temporalio/workflow';
import { expandPipeline } from '../base/compact-pipeline';
import type { ResolvedAutoTag, TemplateContext } from '../activities/types';
import type { CompiledPipeline, CompiledStep, Reference } from '../base/compiled-pipeline';
import { ApprovalDesk } from './approval-desk';
import { addUsage, zeroUsage, type AutoResolution, type CarriedState, type LoopProgress, type PipelineRunInput, type RunOptions, type RunProgress, type RunResult, type RunStatus, type StepRecord, type Usage } from '../base/run-types';


export function pendingRecord(): StepRecord {
  return { status: 'pending', result: null, error: null, attempts: 0, model: null, usage: zeroUsage(), started_at: null, completed_at: null };
}

export class RunState {
  readonly pipeline: CompiledPipeline;
  readonly inputs: Record<string, unknown>;
  readonly options: RunOptions;
  readonly stepsById: Map<string, CompiledStep>;
  readonly records: Record<string, StepRecord> = {};
  readonly autoResolutions: AutoResolution[];
  readonly autoUsage: Usage;
  /** AUTO values decided per step, kept so that a continuation applies them rather than asking again. */
  readonly resolvedTags: Map<string, ResolvedAutoTag[]>;
  readonly running = new Set<string>();
  /** handler step -> the step whose failure it handles */
  readonly handlerTriggers: Map<string, string>;
  readonly approvals: ApprovalDesk;
  /** Loops under way (spec section 18): how far each has come, carried when the run continues as new. */
  readonly loops: Map<string, LoopProgress>;
  paused: boolean;
  failure: string | null = null;
  failuresHandled: number;
  cancelled = false;
  /** Why no new step starts: the run used, or would use, more than config.budget allows. */
  budgetExceeded: string | null = null;
  /** Something happened that the main loop should look at (a step ended, a signal or update came). */
  changed = false;
  outputs: Record<string, unknown> = {};
  outputError: string | null = null;
  private readonly continuations: number;

  constructor(input: PipelineRunInput) {
    this.pipeline = expandPipeline(input.pipeline);
    this.inputs = input.inputs;
    this.options = input.options ?? {};
    this.stepsById = new Map(this.pipeline.steps.map((step) => [step.id, step]));
    for (const step of this.pipeline.steps) this.records[step.id] = pendingRecord();
    for (const [id, reused] of Object.entries(this.options.reuse ?? {})) {
      if (this.records[id] && reused.status === 'completed') this.records[id] = { ...reused };
    }
    const carried = this.options.carry;
    // A loop's iteration steps (`LOOP_I_CHILD`) are no step of the pipeline: they come back as they were carried.
    const loopIds = this.pipeline.steps.filter((step) => step.loop !== undefined).map((step) => `${step.id}_`);
    const ofLoop = (id: string): boolean => loopIds.some((prefix) => id.startsWith(prefix));
    for (const [id, step] of Object.entries(carried?.steps ?? {})) if (this.records[id] || ofLoop(id)) this.records[id] = step;
    this.loops = new Map(Object.entries(carried?.loops ?? {}));
    this.autoResolutions = [...(carried?.autoResolutions ?? [])];
    this.autoUsage = carried?.autoUsage ?? zeroUsage();
    this.resolvedTags = new Map(Object.entries(carried?.resolvedTags ?? {}));
    this.handlerTriggers = new Map(Object.entries(carried?.handlerTriggers ?? {}));
    this.paused = carried?.paused ?? false;
    this.failuresHandled = carried?.failuresHandled ?? 0;
    this.approvals = new ApprovalDesk(carried?.decisions);
    this.continuations = carried?.continuations ?? 0;
  }

  private stepPositions: Map<string, number> | undefined;

  /** Where a step of the pipeline stands in its order (-1: not one of its steps); built the first time it is asked. */
  positionOf(id: string): number {
    this.stepPositions ??= new Map(this.pipeline.steps.map((step, index) => [step.id, index]));
    return this.stepPositions.get(id) ?? -1;
  }

  record(id: string): StepRecord {
    return this.records[id]!;
  }

  totalUsage(): Usage {
    const total = zeroUsage();
    for (const step of Object.values(this.records)) addUsage(total, step.usage);
    addUsage(total, this.autoUsage);
    return total;
  }

  status(): RunStatus {
    if (this.cancelled) return 'cancelled';
    if (this.failure !== null || this.outputError !== null) return 'failed';
    if (this.budgetExceeded !== null && this.running.size === 0) return 'budget_exceeded';
    if (this.running.size > 0 || this.hasPending()) return this.paused ? 'paused' : 'running';
    return this.failuresHandled > 0 ? 'partially_completed' : 'completed';
  }

  hasPending(): boolean {
    return Object.values(this.records).some((step) => step.status === 'pending');
  }

  /** Every file tool steps wrote, in the order the steps are declared. */
  filesWritten(): string[] {
    return [...new Set(Object.values(this.records).flatMap((record) => record.files ?? []))];
  }

  snapshot(): RunResult {
    const files = this.filesWritten();
    return {
      run_id: workflowInfo().workflowId,
      pipeline: this.pipeline.name,
      status: this.status(),
      outputs: this.outputs,
      steps: this.records,
      usage: this.totalUsage(),
      // Spec section 15: what the client forecast before the run, beside what it used.
      ...(this.options.forecast ? { forecast: this.options.forecast } : {}),
      auto_resolutions: this.autoResolutions,
      error: this.failure ?? this.budgetExceeded ?? this.outputError,
      ...(files.length > 0 ? { files } : {}),
    };
  }

  /** What the `status` query answers. */
  progress(): RunProgress {
    return {
      ...this.snapshot(),
      paused: this.paused,
      // The steps the scheduler started, and the steps a loop's iterations are running inside them.
      running: [...this.running, ...Object.keys(this.records).filter((id) => this.records[id]!.status === 'running' && !this.running.has(id))],
      waiting: [...this.approvals.waiting].map(([step, prompt]) => ({ step, prompt })),
    };
  }

  /** Only the values the templates refer to travel to an activity. */
  contextFor(references: readonly Reference[], failedStep?: string): TemplateContext {
    const context: TemplateContext = { inputs: {}, steps: {} };
    for (const reference of references) {
      if (reference.kind === 'input') {
        if (this.inputs[reference.name] !== undefined) context.inputs[reference.name] = this.inputs[reference.name];
      } else {
        const source = this.record(reference.step);
        context.steps[reference.step] = { result: source.result, status: source.status, error: source.error, ...(source.evidence !== undefined ? { evidence: source.evidence } : {}) };
      }
    }
    if (failedStep !== undefined) {
      const failed = this.record(failedStep);
      context.failed = { id: failedStep, error: failed.error, status: failed.status };
    }
    return context;
  }

  /** Everything the run has decided so far, for the run that continues it as new. */
  carry(): CarriedState {
    return {
      // Pending steps start pending again in the next run: leaving them out keeps a long run's hand-over payload
      // small (5,000 pending records were ~0.9 MB of a 5,000-step chain's first continue-as-new).
      steps: Object.fromEntries(Object.entries(this.records).filter(([, record]) => record.status !== 'pending')),
      autoResolutions: this.autoResolutions,
      autoUsage: this.autoUsage,
      resolvedTags: Object.fromEntries(this.resolvedTags),
      failuresHandled: this.failuresHandled,
      handlerTriggers: Object.fromEntries(this.handlerTriggers),
      decisions: Object.fromEntries(this.approvals.decisions),
      paused: this.paused,
      continuations: this.continuations + 1,
      ...(this.loops.size > 0 ? { loops: Object.fromEntries(this.loops) } : {}),
    };
  }
}
