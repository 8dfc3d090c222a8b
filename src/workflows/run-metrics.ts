// A finished run's steps as worker metrics (orc_steps_total, orc_step_duration_seconds), sent once per run.
import { proxySinks, type Sinks } from '@temporalio/workflow';
import type { CompiledPipeline } from '../base/compiled-pipeline';
import type { RunResult } from '../base/run-types';

/** A finished run's steps, as the worker's metrics count them: one sink call per run, however many steps it has. */
export interface RunStepsSummary {
  pipeline: string;
  /** Per step: its final status, its action kind, and how long it ran in seconds (-1: it never started). */
  steps: Array<[status: string, actionKind: string, seconds: number]>;
}

/**
 * The workflow's side of the metrics sink (the worker's side is `runMetricsSinks` in src/worker). Sink calls are
 * not commands: a history replays the same with or without them.
 */
export interface RunMetricsSinks extends Sinks {
  orcMetrics: {
    runEnded(summary: RunStepsSummary): void;
  };
}

const { orcMetrics } = proxySinks<RunMetricsSinks>();

/** What `recordRunMetrics` sends: each step's status, kind and duration. */
export function runStepsSummary(pipeline: CompiledPipeline, result: RunResult): RunStepsSummary {
  const steps: RunStepsSummary['steps'] = [];
  for (const step of pipeline.steps) {
    const record = result.steps[step.id];
    if (!record) continue;
    const seconds = record.started_at && record.completed_at ? (Date.parse(record.completed_at) - Date.parse(record.started_at)) / 1000 : -1;
    steps.push([record.status, step.actionKind, seconds >= 0 ? seconds : -1]);
  }
  return { pipeline: pipeline.name, steps };
}

/**
 * Counted once, when the run ends (a run that continues as new is counted by its last execution), so a step is
 * counted once however often its workflow is replayed. One sink call for the run: the SDK's metric meter made two
 * per step, each carrying a copy of the workflow's info to the worker's thread (issue 24).
 */
export function recordRunMetrics(pipeline: CompiledPipeline, result: RunResult): void {
  orcMetrics.runEnded(runStepsSummary(pipeline, result));
}
