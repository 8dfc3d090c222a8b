// A `loop` step (spec section 18): a block of steps run once per item (for_each) or while/until a condition holds.
// Every iteration's steps run through the normal step path as `LOOP_I_CHILD`; a long loop pauses between
// iterations so that the run continues as new, and picks up where it was from its carried progress.
import { ApplicationFailure, CancelledFailure } from '@temporalio/workflow';
import type { TemplateContext } from '../../activities/types';
import type { CompiledLoop, CompiledStep, Reference } from '../../base/compiled-pipeline';
import type { FailureType } from '../../base/failure-types';
import type { LoopProgress, StepRecord } from '../../base/run-types';
import { blockedBy, TERMINAL } from '../scheduler';
import { LoopSuspended, StepFailure } from '../step-failure';
import type { RunnerContext, StepOutcome, StepRunner, StepScope } from './types';

/** The loop's result: how many iterations ran, whether it ended by itself, and each iteration's results. */
export interface LoopResult {
  iterations: number;
  completed: boolean;
  results: Array<Record<string, unknown>>;
  stopped_by?: 'max_iterations';
}

type IterationEnd = 'done' | 'suspended';

/** The id an iteration's step has in the run's records, the Web UI and history. */
export function iterationStepId(loopId: string, iteration: number, child: string): string {
  return `${loopId}_${iteration}_${child}`;
}

/**
 * A list from what a for_each rendered. The dialect's items are often text: a JSON array, `[a, 'b']`, or a comma
 * list (pyorc-dialect.md section 2.4); a native pipeline must give a list.
 */
export function loopItems(value: unknown, dialect: string | undefined, stepId: string): unknown[] {
  if (Array.isArray(value)) return value;
  if (dialect === 'pyorc' && typeof value === 'string') {
    const text = value.trim();
    if (text === '') return [];
    try {
      const parsed: unknown = JSON.parse(text);
      if (Array.isArray(parsed)) return parsed;
    } catch {
      // not JSON: a bracketed or comma list below
    }
    const inner = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
    return inner
      .split(',')
      .map((part) => part.trim().replace(/^(['"])(.*)\1$/, '$2'))
      .filter((part) => part !== '');
  }
  throw ApplicationFailure.nonRetryable(`step '${stepId}': for_each must give a list, got ${value === null ? 'null' : typeof value}; give a list (or a template that reads one)`, 'INVALID_STEP');
}

class LoopBody {
  private readonly children: ReadonlySet<string>;

  constructor(
    private readonly run: RunnerContext,
    private readonly loop: CompiledLoop,
    private readonly items: unknown[] | null,
  ) {
    this.children = new Set(loop.steps.map((child) => child.id));
  }

  private get id(): string {
    return this.run.step.id;
  }

  /** The names a template in iteration `i` reads beside steps and inputs. */
  vars(i: number): Record<string, unknown> {
    const length = this.items?.length ?? null;
    const item = this.items?.[i];
    const names = {
      iteration: i,
      index: i,
      position: i + 1,
      is_first: i === 0,
      is_last: length !== null ? i === length - 1 : i === this.loop.maxIterations - 1,
      length,
      loop_id: this.id,
      ...(this.items ? { item, $item: item } : {}),
      $index: i,
      $iteration: i,
      $is_first: i === 0,
      $is_last: length !== null ? i === length - 1 : i === this.loop.maxIterations - 1,
    };
    // `{{ LOOP.iteration }}` and `{{ <loop id>.iteration }}` (pyorc-dialect.md section 2.5) read the same names.
    return { ...names, LOOP: names, [this.id]: { ...names, iterations: i } };
  }

  /** A sibling's record: this iteration's once it ran, else its latest earlier one. */
  private sibling(child: string, i: number): StepRecord | undefined {
    for (let at = i; at >= 0; at--) {
      const record = this.run.loops.record(iterationStepId(this.id, at, child));
      if (record && record.status !== 'pending') return record;
    }
    return undefined;
  }

  /** The context of iteration `i`: a child's short name means this iteration's step, the loop's id its progress. */
  contextFor(references: readonly Reference[], i: number, failedStep?: string): TemplateContext {
    const local = (reference: Reference): boolean => reference.kind === 'step' && (this.children.has(reference.step) || reference.step === this.id);
    const context = this.run.contextFor(references.filter((reference) => !local(reference)));
    if (failedStep !== undefined && context.failed === undefined) context.failed = this.run.loops.scope.contextFor([], failedStep).failed;
    const vars = this.vars(i);
    for (const reference of references) {
      if (reference.kind !== 'step' || !local(reference) || reference.step === this.id) continue;
      const record = this.sibling(reference.step, i);
      context.steps[reference.step] = record
        ? { result: record.result, status: record.status, error: record.error, ...(record.evidence !== undefined ? { evidence: record.evidence } : {}) }
        : { result: null, status: 'pending', error: null };
    }
    context.vars = { ...context.vars, ...vars };
    if (this.items) {
      context.item = this.items[i];
      context.index = i;
    }
    return context;
  }

  /** A child as iteration `i` runs it: its iteration's id; its order within the block is kept here. */
  private materialize(child: CompiledStep, i: number): CompiledStep {
    return { ...child, id: iterationStepId(this.id, i, child.id), dependsOn: child.dependsOn.filter((id) => !this.children.has(id)) };
  }

  /** Iteration `i`'s scope: its context, its block's handlers, and the failures it deals with itself. */
  private scope(i: number): StepScope {
    const handler = (id: string): CompiledStep | undefined => {
      const child = this.loop.steps.find((candidate) => candidate.id === id && candidate.isHandler);
      return child ? this.materialize(child, i) : undefined;
    };
    return {
      contextFor: (references, failedStep) => this.contextFor(references, i, failedStep),
      handler,
      handlesFailure: (step) => step.onFailure.kind === 'fail' || (step.onFailure.kind === 'handler' && handler(step.onFailure.step) !== undefined),
    };
  }

  /** A block handler for each of the iteration's steps that failed with `on_failure: <handler>`, told of the failure. */
  private async runHandlers(i: number, scope: StepScope, records: Array<StepRecord | undefined>): Promise<void> {
    const runs: Array<Promise<StepRecord>> = [];
    for (const [index, record] of records.entries()) {
      const onFailure = this.loop.steps[index]!.onFailure;
      if (record?.status !== 'failed' || onFailure.kind !== 'handler') continue;
      const handler = scope.handler?.(onFailure.step);
      if (!handler || this.run.loops.record(handler.id)) continue;
      const failed = { id: iterationStepId(this.id, i, this.loop.steps[index]!.id), error: record.error, status: record.status };
      runs.push(this.run.loops.runChild(handler, { ...scope, contextFor: (references) => ({ ...scope.contextFor(references), failed }) }));
    }
    await Promise.all(runs);
  }

  /** Runs iteration `i`'s steps, each once its siblings it depends on ended; steps that already ended are kept. */
  async iteration(i: number): Promise<IterationEnd> {
    const { loops } = this.run;
    const scope = this.scope(i);
    const settled = new Map<string, Promise<StepRecord | undefined>>();
    const byId = new Map(this.loop.steps.map((child) => [child.id, child]));
    const settle = (child: CompiledStep): Promise<StepRecord | undefined> => {
      let promise = settled.get(child.id);
      if (promise) return promise;
      promise = (async () => {
        const id = iterationStepId(this.id, i, child.id);
        const existing = loops.record(id);
        if (existing && TERMINAL.has(existing.status)) return existing;
        const siblings = child.dependsOn.filter((dependency) => byId.has(dependency) && !byId.get(dependency)!.isHandler);
        const before = siblings.length > 0 ? await Promise.all(siblings.map((dependency) => settle(byId.get(dependency)!))) : [];
        // A sibling that paused for continue-as-new: this step waits for the continued run.
        if (before.some((record) => record === undefined || record.status === 'pending')) return undefined;
        for (const [index, dependency] of siblings.entries()) {
          const blocked = blockedBy(dependency, byId.get(dependency), before[index]!);
          if (blocked !== null) {
            loops.skip(id, blocked);
            return loops.record(id);
          }
        }
        if (loops.stopping()) return undefined;
        return loops.runChild(this.materialize(child, i), scope);
      })();
      settled.set(child.id, promise);
      return promise;
    };
    // Handlers run only for a failure of their iteration (on_failure) or from on_error.
    const records = await Promise.all(this.loop.steps.map((child) => (child.isHandler ? Promise.resolve(loops.record(iterationStepId(this.id, i, child.id))) : settle(child))));
    await this.runHandlers(i, scope, records);
    for (const [index, record] of records.entries()) {
      const child = this.loop.steps[index]!;
      if (record?.status === 'failed' && child.onFailure.kind === 'fail') {
        // The loop fails with its iteration step's type (TOOL_FAILED, PATH_OUTSIDE_WORKSPACE, ...), for handlers and people.
        const type = (record.error_type ?? null) as FailureType | null;
        throw new StepFailure(`step '${this.id}': iteration ${i}: step '${iterationStepId(this.id, i, child.id)}' failed: ${record.error ?? 'no detail'}`, { attempts: 1 }, null, type);
      }
    }
    const unfinished = records.some((record, index) => !this.loop.steps[index]!.isHandler && (record === undefined || record.status === 'pending'));
    return unfinished ? 'suspended' : 'done';
  }

  /** A while/until condition with iteration `i`'s names; a boolean needs no activity. */
  async condition(i: number, when: string): Promise<boolean> {
    const expression = this.loop.condition;
    if (expression === null || typeof expression === 'boolean') return expression !== false;
    const references = [...this.run.step.references, ...this.loop.steps.map((child): Reference => ({ kind: 'step', step: child.id }))];
    const context = this.contextFor(references, i);
    // Asked without `errorSkips`: the answer is a boolean.
    return (await this.run.activities.template(`iteration ${i} · ${when}`).evaluateCondition({ expression, context })) === true;
  }

  result(iterations: number, stoppedBy: 'max_iterations' | null): LoopResult {
    const results = Array.from({ length: iterations }, (_, i) =>
      Object.fromEntries(this.loop.steps.map((child) => [child.id, this.run.loops.record(iterationStepId(this.id, i, child.id))?.result ?? null])),
    );
    return { iterations, completed: stoppedBy === null, results, ...(stoppedBy !== null ? { stopped_by: stoppedBy } : {}) };
  }
}

/** The run failed or was cancelled under the loop: it starts no more iterations. */
function stopped(run: RunnerContext, progress: LoopProgress): CancelledFailure {
  return new CancelledFailure(`loop '${run.step.id}' stopped after ${progress.next} iterations: the run is stopping`);
}

/** for_each: at most `maxParallel` iterations at once, started in order; a pause waits for those under way. */
async function forEachIterations(run: RunnerContext, body: LoopBody, items: unknown[], progress: LoopProgress): Promise<void> {
  const { loops } = run;
  const ended = new Set<number>();
  let next = progress.next;
  let failure: unknown = null;
  let suspended = false;
  const lanes = Array.from({ length: Math.min(run.step.loop!.maxParallel, Math.max(0, items.length - next)) }, async () => {
    while (next < items.length && failure === null && !suspended && !loops.stopping()) {
      if (loops.shouldSuspend()) {
        suspended = true;
        break;
      }
      // Awaited only when paused: an await here would move the iteration's commands after others (replay).
      if (loops.paused()) {
        await loops.unpaused();
        continue;
      }
      const i = next++;
      try {
        if ((await body.iteration(i)) === 'suspended') suspended = true;
        else ended.add(i);
      } catch (error) {
        failure ??= error;
      }
    }
  });
  await Promise.all(lanes);
  while (ended.has(progress.next)) progress.next++;
  if (failure !== null) throw failure;
  if (loops.stopping()) throw stopped(run, progress);
  if (suspended || progress.next < items.length) throw new LoopSuspended(run.step.id);
}

/** while/until: the condition before (while) or after (until) each iteration, up to `maxIterations`. */
async function conditionIterations(run: RunnerContext, body: LoopBody, progress: LoopProgress): Promise<'max_iterations' | null> {
  const loop = run.step.loop!;
  for (;;) {
    const i = progress.next;
    if (i >= loop.maxIterations) return 'max_iterations';
    if (run.loops.paused()) await run.loops.unpaused();
    if (run.loops.stopping()) throw stopped(run, progress);
    if (run.loops.shouldSuspend()) throw new LoopSuspended(run.step.id);
    if (loop.kind === 'while' && !(await body.condition(i, 'while'))) return null;
    if ((await body.iteration(i)) === 'suspended') throw run.loops.stopping() ? stopped(run, progress) : new LoopSuspended(run.step.id);
    progress.next = i + 1;
    if (loop.kind === 'until' && (await body.condition(i, 'until'))) return null;
  }
}

export const runLoopStep: StepRunner = async (run): Promise<StepOutcome> => {
  const { step, state, loops } = run;
  const loop = step.loop;
  if (!loop) throw new StepFailure(`step '${step.id}': a loop step compiled without its block of steps; compile the pipeline again`, { attempts: 0 });
  let progress = loops.progress.get(step.id);
  if (!progress) {
    progress = { next: 0, startedAt: state.started_at };
    if (loop.kind === 'for_each') {
      const references = [...step.references, ...(step.forEachReferences ?? [])];
      const { items } = await run.renderForStep({ items: loop.items ?? [] }, run.contextFor(references));
      const all = loopItems(items, run.pipeline.dialect, step.id);
      // `max_iterations` caps a for_each too (the compiler's default is large): the result says when it did.
      progress.items = all.slice(0, loop.maxIterations);
      if (all.length > loop.maxIterations) progress.truncated = true;
    }
    loops.progress.set(step.id, progress);
  }
  if (progress.startedAt) state.started_at = progress.startedAt;
  const body = new LoopBody(run, loop, progress.items ?? null);
  let stoppedBy: 'max_iterations' | null = null;
  if (loop.kind === 'for_each') {
    await forEachIterations(run, body, progress.items ?? [], progress);
    if (progress.truncated) stoppedBy = 'max_iterations';
  } else stoppedBy = await conditionIterations(run, body, progress);
  loops.progress.delete(step.id);
  return { result: body.result(progress.next, stoppedBy), attempts: 1 };
};
