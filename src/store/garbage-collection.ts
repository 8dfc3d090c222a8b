// `orc gc --older-than D`: deletes stored values and cache entries unused for D, keeping what open runs still reference.
import type { Client } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import type { GcOutcome, RunStore, ValueKey } from './run-store';
import { storedValueKeyOf } from './stored-payloads';

export interface GcReport extends GcOutcome {
  /** Runs (workflow executions) still open whose histories were read. */
  openRuns: number;
  /** Stored values those runs reference, kept whatever their age. */
  keptValues: number;
}

/** Every reference payload under a history event, found by shape (an object with `data` bytes and `metadata`). */
function collectReferences(node: unknown, keys: Set<ValueKey>): void {
  if (node === null || typeof node !== 'object' || node instanceof Uint8Array) return;
  const candidate = node as { data?: unknown; metadata?: unknown };
  if (candidate.data instanceof Uint8Array && typeof candidate.metadata === 'object') {
    const key = storedValueKeyOf(candidate as Payload);
    if (key !== null) keys.add(key);
    return;
  }
  for (const value of Object.values(node)) collectReferences(value, keys);
}

/** The stored values referenced by the histories of every open run of the namespace (their children included). */
export async function valuesOfOpenRuns(client: Client): Promise<{ runs: number; keys: Set<ValueKey> }> {
  const keys = new Set<ValueKey>();
  let runs = 0;
  for await (const execution of client.workflow.list({ query: 'ExecutionStatus = "Running"' })) {
    runs++;
    const history = await client.workflow.getHandle(execution.workflowId, execution.runId).fetchHistory();
    for (const event of history.events ?? []) collectReferences(event, keys);
  }
  return { runs, keys };
}

/**
 * The rule: a stored value is deleted when nothing read or wrote it for `olderThanSeconds` and no open run's history
 * references it; a cache entry when it expired or was not used for that long (its value may then go too). A closed
 * run older than that may show references whose values are gone; an open run never does.
 */
export async function collectGarbage(client: Client, store: RunStore, olderThanSeconds: number, now = new Date()): Promise<GcReport> {
  const open = await valuesOfOpenRuns(client);
  const outcome = await store.collectGarbage(new Date(now.getTime() - olderThanSeconds * 1000), open.keys);
  return { ...outcome, openRuns: open.runs, keptValues: open.keys.size };
}
