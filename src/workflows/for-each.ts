// A chunk of a large for_each, run as a child workflow so that no single history grows past Temporal's limits.
import type { ExecuteStepInput } from '../activities/types';
import { callForItems, type ItemsOutcome } from './step-calls';

export interface ForEachChunkInput {
  base: ExecuteStepInput;
  items: unknown[];
  /** Index of this chunk's first item in the whole list (what `{{ index }}` shows). */
  offset: number;
  maxParallel: number;
  /** A rate-limited provider's own task queue (absent: the run's queue). */
  taskQueue?: string;
}

export async function forEachChunkWorkflow(input: ForEachChunkInput): Promise<ItemsOutcome> {
  return callForItems(input.base, input.items, input.offset, input.maxParallel, input.taskQueue ?? null);
}
