// The worker's side of the run metrics sink: a finished run's steps counted into the runtime's meter.
import { noopMetricMeter, type MetricMeter } from '@temporalio/common';
import { Runtime, type InjectedSinks } from '@temporalio/worker';
import type { RunMetricsSinks, RunStepsSummary } from '../workflows/run-metrics';

/** Counts `summary` into `meter`, labelled as the SDK labels a workflow's own metrics (namespace, task queue, type). */
export function countRunSteps(meter: MetricMeter, labels: Record<string, string>, summary: RunStepsSummary): void {
  const steps = meter.createCounter('orc_steps_total', undefined, 'Steps of finished runs, by pipeline and final status');
  const durations = meter.createHistogram('orc_step_duration_seconds', 'float', 's', 'How long steps ran, from start to end');
  const byStatus = new Map<string, number>();
  for (const [status, actionKind, seconds] of summary.steps) {
    byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
    if (seconds >= 0) durations.record(seconds, { ...labels, pipeline: summary.pipeline, action_kind: actionKind });
  }
  for (const [status, count] of byStatus) steps.add(count, { ...labels, pipeline: summary.pipeline, status });
}

/**
 * The sink every worker that runs pipeline workflows registers (replay workers too: an unregistered sink is logged
 * as an error). Without a metrics endpoint the runtime's meter is a no-op, and nothing is counted.
 */
export function runMetricsSinks(meter: () => MetricMeter = () => Runtime.instance().metricMeter): InjectedSinks<RunMetricsSinks> {
  return {
    orcMetrics: {
      runEnded: {
        fn(info, summary) {
          const target = meter();
          if (target === noopMetricMeter) return;
          countRunSteps(target, { namespace: info.namespace, taskQueue: info.taskQueue, workflowType: info.workflowType }, summary);
        },
        callDuringReplay: false,
      },
    },
  };
}
