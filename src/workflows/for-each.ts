// The items of a for_each: one model call each, with fallbacks; a large list runs in chunk child workflows.
import { isCancellation, patched, workflowInfo } from '@temporalio/workflow';
import type { CacheRecord, ExecuteStepInput } from '../activities/types';
import { addUsage, zeroUsage, type Usage } from '../base/run-types';
import { activityLabel, callStepModel, modelChoiceActivities } from './step-calls';

export interface ItemsOutcome {
  results: unknown[];
  usage: Usage;
  attempts: number;
  /** The model that answered the most items (null: no item). */
  model: string | null;
  /** With fallbacks, once one was needed: each model tried, and the first error it gave (null: it answered). */
  modelAttempts?: Array<{ model: string; error: string | null }>;
  /** A cached step's items: a hit only when every item was one; the first item's key and the oldest entry's time. */
  cache?: CacheRecord;
}

/** One record for a cached step's items (each item is its own cache entry). */
export function itemsCacheRecord(records: ReadonlyArray<CacheRecord | undefined>): CacheRecord | undefined {
  const present = records.filter((record): record is CacheRecord => record !== undefined);
  if (present.length === 0) return undefined;
  const times = present.map((record) => record.stored_at).filter((time): time is string => time !== null).sort();
  return { hit: present.length === records.length && present.every((record) => record.hit), key: present[0]!.key, stored_at: times[0] ?? null };
}

/** Where an item's call goes. */
export interface ItemRoute {
  model: string;
  taskQueue: string | null;
}

export interface ItemsOptions {
  /** Models to move to, in order, for an item whose call failed for good. */
  fallbacks?: string[];
  /** How a fallback spec is routed (the run's cached routes; a chunk asks the worker itself). */
  route?: (spec: string) => Promise<ItemRoute>;
  /** Label each item's activity in the Web UI (`step · item 7`). */
  labelled?: boolean;
}

/** Why an item's model call failed, for `model_attempts`. */
function reason(error: unknown): string {
  let current: unknown = error;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  return current instanceof Error ? current.message : String(current);
}

/** One model call per item, at most `maxParallel` at once, results in item order. */
export async function callForItems(
  base: ExecuteStepInput,
  items: unknown[],
  offset: number,
  maxParallel: number,
  taskQueue: string | null = null,
  options: ItemsOptions = {},
): Promise<ItemsOutcome> {
  const outcome: ItemsOutcome = { results: new Array<unknown>(items.length).fill(null), usage: zeroUsage(), attempts: 0, model: null };
  const answered = new Map<string, number>();
  const caches = new Array<CacheRecord | undefined>(items.length);
  const tried = new Map<string, string | null>();
  const fallbacks = options.fallbacks ?? [];
  const callItem = async (input: ExecuteStepInput, summary: string | undefined) => {
    let route: ItemRoute = { model: base.model, taskQueue };
    for (let next = 0; ; next++) {
      try {
        const output = await callStepModel({ ...input, model: route.model }, route.taskQueue, summary);
        if (!tried.has(output.model)) tried.set(output.model, null);
        return output;
      } catch (error) {
        // Added after runs were recorded: an item whose model failed for good moves to the step's next fallback.
        if (isCancellation(error) || next >= fallbacks.length || !options.route || !patched('for-each-fallbacks')) throw error;
        tried.set(route.model, reason(error));
        route = await options.route(fallbacks[next]!);
      }
    }
  };
  let next = 0;
  const lanes = Array.from({ length: Math.min(maxParallel, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      const input = { ...base, context: { ...base.context, item: items[index], index: offset + index } };
      const summary = options.labelled ? activityLabel(base.step.id, `item ${offset + index}`) : undefined;
      const output = fallbacks.length > 0 ? await callItem(input, summary) : await callStepModel(input, taskQueue, summary);
      outcome.results[index] = output.result;
      caches[index] = output.cache;
      addUsage(outcome.usage, output.usage);
      answered.set(output.model, (answered.get(output.model) ?? 0) + 1);
      outcome.attempts = Math.max(outcome.attempts, output.attempt);
    }
  });
  await Promise.all(lanes);
  outcome.model = [...answered].reduce<[string, number] | null>((best, entry) => (best === null || entry[1] > best[1] ? entry : best), null)?.[0] ?? null;
  const cache = base.cache ? itemsCacheRecord(caches) : undefined;
  if (cache) outcome.cache = cache;
  if ([...tried.values()].some((error) => error !== null)) outcome.modelAttempts = [...tried].map(([model, error]) => ({ model, error }));
  return outcome;
}

export interface ForEachChunkInput {
  base: ExecuteStepInput;
  items: unknown[];
  /** Index of this chunk's first item in the whole list (what `{{ index }}` shows). */
  offset: number;
  maxParallel: number;
  /** A rate-limited provider's own task queue (absent: the run's queue). */
  taskQueue?: string;
  fallbacks?: string[];
  labelled?: boolean;
}

/** A chunk of a large for_each, run as a child workflow so that no single history grows past Temporal's limits. */
export async function forEachChunkWorkflow(input: ForEachChunkInput): Promise<ItemsOutcome> {
  const route = async (spec: string): Promise<ItemRoute> => {
    const choice = await modelChoiceActivities.chooseModel({ spec, stepId: input.base.step.id, workflowTaskQueue: workflowInfo().taskQueue });
    return { model: choice.model, taskQueue: choice.taskQueue };
  };
  return callForItems(input.base, input.items, input.offset, input.maxParallel, input.taskQueue ?? null, {
    fallbacks: input.fallbacks ?? [],
    route,
    labelled: input.labelled === true,
  });
}
