// What the Temporal Web UI shows of a run while it goes: a table of step states, and the Orc* search attributes.
import { setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import { OrcCostUsd, OrcPipeline, OrcStatus, OrcTokens } from './definitions';
import type { RunState } from './run-state';
import type { RunResult } from '../base/run-types';
import { totalTokens } from '../base/run-types';

/** A run with more steps shows this many rows, then how many more there are. */
const MAX_ROWS = 100;

/**
 * With `search-attributes-throttled`, OrcTokens and OrcCostUsd are upserted at most this often while the status
 * stays the same (and always at the end): an upsert per finished step was an extra command, history event and
 * visibility write per step, the largest cost orc added to a step over bare Temporal (issue 14).
 */
const USAGE_UPSERT_INTERVAL_MS = 10_000;

/** The Markdown table `setCurrentDetails` shows: one row per step. */
export function stepTable(result: RunResult): string {
  // Built on every turn of the main loop: only the rows shown are built, whatever the number of steps.
  const entries = Object.entries(result.steps);
  const rows = entries.slice(0, MAX_ROWS).map(([id, step]) => {
    const tokens = totalTokens(step.usage);
    const note = (step.error ?? '').replace(/[|\n]/g, ' ').slice(0, 80);
    return `| ${id} | ${step.status} | ${step.model ?? ''} | ${step.attempts} | ${tokens} | ${note} |`;
  });
  const more = entries.length > MAX_ROWS ? [`| … ${entries.length - MAX_ROWS} more steps | | | | | |`] : [];
  return [`**${result.pipeline}**: ${result.status}`, '', '| step | status | model | attempts | tokens | error |', '|---|---|---|---|---|---|', ...rows, ...more].join('\n');
}

export class RunMetadata {
  /** The search attribute values last upserted (as text), so that only a change issues a command. */
  private upserted: string | null = null;
  private upsertedStatus: string | null = null;
  private upsertedAt = 0;

  constructor(
    private readonly run: RunState,
    /** Upsert the Orc* search attributes: set for runs started since `step-metadata` whose client checked the server has them. */
    private readonly searchAttributes: boolean,
    /** Runs started since `search-attributes-throttled` upsert usage alone at most every USAGE_UPSERT_INTERVAL_MS. */
    private readonly throttled: boolean,
  ) {}

  private publishQueued = false;

  /** Publishes once the activation's other work is done: many steps ending together publish once. */
  publishSoon(): void {
    if (this.publishQueued) return;
    this.publishQueued = true;
    void Promise.resolve().then(() => {
      this.publishQueued = false;
      this.publish();
    });
  }

  /** Shows the run as it is now. `result`: the final snapshot, once there is one. */
  publish(result: RunResult = this.run.snapshot(), final = false): void {
    // Current details are answered to a query, not recorded: no command, nothing to replay.
    setCurrentDetails(stepTable(result));
    if (!this.searchAttributes) return;
    const tokens = Math.round(totalTokens(result.usage));
    const values = JSON.stringify([result.status, tokens, result.usage.cost_usd]);
    if (values === this.upserted) return;
    // Workflow time (Date.now() in a workflow) is the time of the workflow task: the same on replay.
    if (this.throttled && !final && result.status === this.upsertedStatus && Date.now() - this.upsertedAt < USAGE_UPSERT_INTERVAL_MS) return;
    upsertSearchAttributes([
      ...(this.upserted === null ? [{ key: OrcPipeline, value: result.pipeline }] : []),
      { key: OrcStatus, value: result.status },
      { key: OrcTokens, value: tokens },
      { key: OrcCostUsd, value: result.usage.cost_usd },
    ]);
    this.upserted = values;
    this.upsertedStatus = result.status;
    this.upsertedAt = Date.now();
  }
}
