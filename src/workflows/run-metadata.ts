// What the Temporal Web UI shows of a run while it goes: a table of step states, and the Orc* search attributes.
import { setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import { OrcCostUsd, OrcPipeline, OrcStatus, OrcTokens } from './definitions';
import type { RunState } from './run-state';
import type { RunResult } from './run-types';

/** A run with more steps shows this many rows, then how many more there are. */
const MAX_ROWS = 100;

/** The Markdown table `setCurrentDetails` shows: one row per step. */
export function stepTable(result: RunResult): string {
  // Built on every turn of the main loop: only the rows shown are built, whatever the number of steps.
  const entries = Object.entries(result.steps);
  const rows = entries.slice(0, MAX_ROWS).map(([id, step]) => {
    const tokens = step.usage.input_tokens + step.usage.output_tokens;
    const note = (step.error ?? '').replace(/[|\n]/g, ' ').slice(0, 80);
    return `| ${id} | ${step.status} | ${step.model ?? ''} | ${step.attempts} | ${tokens} | ${note} |`;
  });
  const more = entries.length > MAX_ROWS ? [`| … ${entries.length - MAX_ROWS} more steps | | | | | |`] : [];
  return [`**${result.pipeline}**: ${result.status}`, '', '| step | status | model | attempts | tokens | error |', '|---|---|---|---|---|---|', ...rows, ...more].join('\n');
}

export class RunMetadata {
  /** The search attribute values last upserted (as text), so that only a change issues a command. */
  private upserted: string | null = null;

  constructor(
    private readonly run: RunState,
    /** Upsert the Orc* search attributes: set for runs started since `step-metadata` whose client checked the server has them. */
    private readonly searchAttributes: boolean,
  ) {}

  /** Shows the run as it is now. `result`: the final snapshot, once there is one. */
  publish(result: RunResult = this.run.snapshot()): void {
    // Current details are answered to a query, not recorded: no command, nothing to replay.
    setCurrentDetails(stepTable(result));
    if (!this.searchAttributes) return;
    const tokens = Math.round(result.usage.input_tokens + result.usage.output_tokens);
    const values = JSON.stringify([result.status, tokens, result.usage.cost_usd]);
    if (values === this.upserted) return;
    upsertSearchAttributes([
      ...(this.upserted === null ? [{ key: OrcPipeline, value: result.pipeline }] : []),
      { key: OrcStatus, value: result.status },
      { key: OrcTokens, value: tokens },
      { key: OrcCostUsd, value: result.usage.cost_usd },
    ]);
    this.upserted = values;
  }
}
