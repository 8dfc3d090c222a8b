// What a tool activity (run_code, mcp) takes and gives back beside its own fields: the cache policy, the attempt, the cache record.
import type { CallRecord, StepCachePolicy } from '../activities/types';
import type { CompiledStep } from '../base/compiled-pipeline';
import type { RunOptions, StepRecord } from '../base/run-types';

/** A cached step's policy for its activities (spec section 9); undefined for a step that is not cached. */
export function cachePolicyFor(step: CompiledStep, options: RunOptions): StepCachePolicy | undefined {
  return step.cache ? { ttlSeconds: step.cache.ttlSeconds, read: options.noCache !== true } : undefined;
}

/**
 * The activity's result with `attempt` and `cache` taken off it: they belong on the step record, not in the
 * result templates read. An activity from before `attempt` was reported answered on (at least) its first.
 */
export function withoutCallRecord<T extends object>(output: T & CallRecord): { result: T; attempts: number; extra?: Pick<StepRecord, 'cache'> } {
  const { attempt, cache, ...result } = output;
  return { result: result as unknown as T, attempts: attempt ?? 1, ...(cache ? { extra: { cache } } : {}) };
}
