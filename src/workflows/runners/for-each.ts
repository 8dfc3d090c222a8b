// A `for_each` step: the list rendered once, then one model call per item (with fallbacks), in chunk children when long.
import { executeChild, workflowInfo } from '@temporalio/workflow';
import type { ExecuteStepInput } from '../../activities/types';
import { callForItems, forEachChunkWorkflow, itemsCacheRecord, type ItemRoute, type ItemsOutcome } from '../for-each';
import { addUsage, zeroUsage } from '../../base/run-types';
import { MAX_IN_FLIGHT } from '../step-calls';
import { invalidStep } from '../../base/failure-types';
import type { StepOutcome, StepRunner } from './types';

/**
 * A for_each over more items than this runs in child workflows of this many items each: every item is a few
 * history events, and a history should stay well under Temporal's 10,240-event warning.
 */
const FOR_EACH_CHUNK = 1000;

function outcomeOf(items: ItemsOutcome, model: string | null): StepOutcome {
  const extra = { ...(items.modelAttempts ? { model_attempts: items.modelAttempts } : {}), ...(items.cache ? { cache: items.cache } : {}) };
  return { result: items.results, usage: items.usage, attempts: items.attempts, model: items.model ?? model, ...(Object.keys(extra).length > 0 ? { extra } : {}) };
}

/** One model call per item, at most `max_parallel` at once; the result is the list of answers, in order. */
export const runForEach: StepRunner = async ({ step, state, context, contextFor, pipeline, options, renderForStep, routing }) => {
  // Pipelines compiled before forEachReferences existed kept them in references (recorded histories do).
  const { items } = await renderForStep({ items: step.forEach }, contextFor(step.forEachReferences ?? step.references));
  if (!Array.isArray(items)) {
    throw invalidStep(`step '${step.id}': for_each must give a list, got ${items === null ? 'null' : typeof items}`);
  }
  let base: ExecuteStepInput = routing.modelInput(step, context);
  let taskQueue: string | null = null;
  if (routing.routeModels && !options.dryRun) {
    // One model for every item: a requirement is resolved once, the first item's prompt standing for its size.
    const routed = await routing.routeCall(step, items.length > 0 ? { ...context, item: items[0], index: 0 } : context, state);
    base = { ...base, model: routed.input.model, ...(routed.input.recordOutcome ? { recordOutcome: true } : {}) };
    taskQueue = routed.taskQueue;
  }
  const maxParallel = Math.min(step.maxParallel ?? pipeline.config.maxParallel, MAX_IN_FLIGHT);
  state.model = base.model;
  // Fallbacks need routes, which runs from before model routing never asked for.
  const fallbacks = routing.routeModels ? routing.fallbacksFor(step) : [];
  const route = async (spec: string): Promise<ItemRoute> => {
    const chosen = await routing.routeOf(spec);
    return { model: chosen.model, taskQueue: chosen.taskQueue };
  };
  const itemOptions = { fallbacks, route, labelled: routing.labelled };
  if (items.length <= FOR_EACH_CHUNK) return outcomeOf(await callForItems(base, items, 0, maxParallel, taskQueue, itemOptions), state.model);
  const whole: ItemsOutcome = { results: [], usage: zeroUsage(), attempts: 0, model: null };
  const caches: ItemsOutcome['cache'][] = [];
  for (let offset = 0; offset < items.length; offset += FOR_EACH_CHUNK) {
    const chunk = await executeChild(forEachChunkWorkflow, {
      workflowId: `${workflowInfo().workflowId}.${step.id}.${offset / FOR_EACH_CHUNK}`,
      args: [
        {
          base,
          items: items.slice(offset, offset + FOR_EACH_CHUNK),
          offset,
          maxParallel,
          ...(taskQueue !== null ? { taskQueue } : {}),
          ...(fallbacks.length > 0 ? { fallbacks } : {}),
          ...(routing.labelled ? { labelled: true } : {}),
        },
      ],
    });
    whole.results.push(...chunk.results);
    addUsage(whole.usage, chunk.usage);
    whole.attempts = Math.max(whole.attempts, chunk.attempts);
    whole.model = chunk.model ?? whole.model;
    caches.push(chunk.cache);
    if (chunk.modelAttempts) whole.modelAttempts = [...(whole.modelAttempts ?? []), ...chunk.modelAttempts];
  }
  const cache = base.cache ? itemsCacheRecord(caches) : undefined;
  if (cache) whole.cache = cache;
  return outcomeOf(whole, state.model);
};
