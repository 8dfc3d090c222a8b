// `orc graph`: a pipeline's steps as a Mermaid flowchart, coloured by each step's status when a run is given.
import type { CompiledPipeline } from '../compiler';
import type { StepRecord, StepStatus } from '../base/run-types';

/** Fill and border per status; steps of a run that have not started keep Mermaid's default look. */
const STATUS_STYLES: Record<Exclude<StepStatus, 'pending'>, string> = {
  completed: 'fill:#d3f9d8,stroke:#2b8a3e',
  failed: 'fill:#ffe3e3,stroke:#c92a2a',
  running: 'fill:#d0ebff,stroke:#1864ab',
  waiting: 'fill:#fff3bf,stroke:#e67700',
  skipped: 'fill:#f1f3f5,stroke:#868e96,stroke-dasharray:4 2',
  cancelled: 'fill:#f1f3f5,stroke:#495057',
};

/** Mermaid labels are quoted strings: a quote inside one is written as an entity. */
function label(text: string): string {
  return text.replace(/"/g, '#quot;');
}

export function pipelineFlowchart(pipeline: CompiledPipeline, steps?: Record<string, Pick<StepRecord, 'status'>>): string {
  // Node ids are generated: a step may be called `end` or `graph`, which Mermaid reserves.
  const nodeId = new Map(pipeline.steps.map((step, index) => [step.id, `s${index}`]));
  const lines = ['flowchart TD'];
  for (const step of pipeline.steps) {
    const status = steps?.[step.id]?.status;
    const kind = step.forEach !== null ? `${step.actionKind}, for each` : step.actionKind;
    lines.push(`  ${nodeId.get(step.id)}["${label(step.id)}<br/><small>${label(status ?? kind)}</small>"]`);
  }
  for (const step of pipeline.steps) {
    for (const dependency of step.dependsOn) lines.push(`  ${nodeId.get(dependency)} --> ${nodeId.get(step.id)}`);
    if (step.onFailure.kind === 'handler') lines.push(`  ${nodeId.get(step.id)} -. on failure .-> ${nodeId.get(step.onFailure.step)}`);
  }
  if (steps) {
    const used = new Set<string>();
    for (const step of pipeline.steps) {
      const status = steps[step.id]?.status;
      if (!status || status === 'pending') continue;
      used.add(status);
      lines.push(`  class ${nodeId.get(step.id)} ${status}`);
    }
    for (const [status, style] of Object.entries(STATUS_STYLES)) if (used.has(status)) lines.push(`  classDef ${status} ${style}`);
  }
  return `${lines.join('\n')}\n`;
}
