// The contract every step runner meets: what it is given (RunnerContext) and what it gives back (StepOutcome).
import type { TemplateContext } from '../../activities/types';
import type { CompiledPipeline, CompiledStep, Reference } from '../../base/compiled-pipeline';
import type { ApprovalDesk } from '../approval-desk';
import type { ModelRouting } from '../model-routing';
import type { LoopProgress, RunOptions, StepRecord, Usage } from '../../base/run-types';
import type { ActivityProxies } from '../step-calls';

/**
 * What a step produced, merged into its record when the runner returns. `attempts` is the real count (the
 * activity's `attempt`, or 1 for work that is not retried); `model` the model that answered (null: none did).
 * The optional fields are copied onto the record only when present.
 */
export interface StepOutcome {
  result: unknown;
  attempts: number;
  usage?: Usage;
  model?: string | null;
  extra?: Pick<StepRecord, 'cache' | 'model_attempts' | 'model_selection'> & Record<string, unknown>;
}

/** Everything a runner may read or do; it reaches nothing else of the run. */
export interface RunnerContext {
  /** The step, its AUTO tags already replaced by their values and its templated model rendered. */
  readonly step: CompiledStep;
  /**
   * The step's record while it runs. A runner writes to it only what must show before it returns (an
   * approval's `waiting` status, the model a requirement chose); everything else goes in its outcome.
   */
  readonly state: StepRecord;
  /** The values the step's own templates read. */
  readonly context: TemplateContext;
  readonly pipeline: CompiledPipeline;
  readonly options: RunOptions;
  /** The template context for other references (a for_each's list expression reads its own). */
  contextFor(references: readonly Reference[]): TemplateContext;
  /** Renders values in an activity; a value that does not render fails the step with the message. */
  renderForStep(values: Record<string, unknown>, context?: TemplateContext): Promise<Record<string, unknown>>;
  /** Which model an LLM call uses, on which queue, with the step's fallbacks. */
  readonly routing: ModelRouting;
  /** Approval decisions that arrive by update while the step waits. */
  readonly approvals: ApprovalDesk;
  /** Activity stubs with the step's timeouts, retries and Web UI label. */
  readonly activities: ActivityProxies;
  /** Why the run's budget stops more work now, counting `extra` that no step record holds yet; null to go on. */
  budgetStop(extra: Usage): string | null;
  /** What a loop step needs to run its block: children through the normal step path, and its progress. */
  readonly loops: LoopHost;
}

/** Where a step runs: the pipeline itself, a loop's iteration, or an `on_error` handler's call. */
export interface StepScope {
  /** The template context for references (a loop child's short names mean its iteration's steps). */
  contextFor(references: readonly Reference[], failedStep?: string): TemplateContext;
  /**
   * Whether the scope itself deals with the step's failure instead of the step's on_failure applying to the run: a
   * loop's iteration does for `fail` (its loop fails) and for a handler of its block; an on_error handler's caller
   * does for every failure of the handler (the next handler may try). Absent: never.
   */
  handlesFailure?(step: CompiledStep): boolean;
  /** A handler step of this scope's block (a loop's), as this iteration runs it; undefined: look in the pipeline. */
  handler?(id: string): CompiledStep | undefined;
}

export interface LoopHost {
  /** A step's record, loop iterations' steps included; undefined for one that never started. */
  record(id: string): StepRecord | undefined;
  /** Records a step that does not run (its dependency failed), under its iteration's id. */
  skip(id: string, reason: string): void;
  /**
   * Runs a step of a loop's block (its id already `LOOP_I_CHILD`) through the normal step path: `when`, AUTO
   * values, its runner, `on_error`, its on_failure. Resolves with its record once it settled (pending: it paused
   * for continue-as-new).
   */
  runChild(step: CompiledStep, scope: StepScope): Promise<StepRecord>;
  /** The scope the loop step itself runs in, for its children's outer references. */
  readonly scope: StepScope;
  /** How far each loop has come (carried across continue-as-new). */
  readonly progress: Map<string, LoopProgress>;
  /** The history grew long (and the run is not failing): stop between iterations so the run continues as new. */
  shouldSuspend(): boolean;
  /** Whether the run is failing or cancelled: start no more iterations. */
  stopping(): boolean;
  /** Whether the run is paused (`orc pause`): a loop starts no iteration then. */
  paused(): boolean;
  /** Resolves once the paused run is resumed (or fails). */
  unpaused(): Promise<void>;
}

/** Runs one kind of step. It returns the outcome, or throws (StepFailure to keep a result beside the error). */
export type StepRunner = (run: RunnerContext) => Promise<StepOutcome>;
