// A finished run's steps as worker metrics (orc_steps_total, orc_step_duration_seconds); the SDK skips them on replay.
import { metricMeter } from '@temporalio/workflow';
import type { CompiledPipeline } from '../base/compiled-pipeline';
import type { RunResult } from '../base/run-types';

/**
 * Counted once, when the run ends (a run that continues as new is counted by its last execution), so a step is
 * counted once however often its workflow is replayed. Metrics are no commands: histories replay unchanged.
 */
export function recordRunMetrics(pipeline: CompiledPipeline, result: RunResult): void {
  const steps = metricMeter.createCounter('orc_steps_total', undefined, 'Steps of finished runs, by pipeline and final status');
  const durations = metricMeter.createHistogram('orc_step_duration_seconds', 'float', 's', 'How long steps ran, from start to end');
  for (const step of pipeline.steps) {
    const record = result.steps[step.id];
    if (!record) continue;
    steps.add(1, { pipeline: pipeline.name, status: record.status });
    if (record.started_at && record.completed_at) {
      const seconds = (Date.parse(record.completed_at) - Date.parse(record.started_at)) / 1000;
      if (seconds >= 0) durations.record(seconds, { pipeline: pipeline.name, action_kind: step.actionKind });
    }
  }
}
