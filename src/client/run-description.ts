// What a run shows in the Temporal Web UI before it runs: its summary and its details.
import type { CompiledPipeline } from '../compiler';

const BRIEF_LENGTH = 80;

function brief(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > BRIEF_LENGTH ? `${line.slice(0, BRIEF_LENGTH - 1)}…` : line;
}

/** The one line the Web UI shows for a run (its "summary"). */
export function runSummary(pipeline: CompiledPipeline): string {
  const count = pipeline.steps.length;
  return `${pipeline.name}: ${count} step${count === 1 ? '' : 's'}${pipeline.description ? ` - ${brief(pipeline.description)}` : ''}`;
}

/** The Web UI's "details" (Markdown): the pipeline, its steps with what they wait for, its inputs in brief. */
export function runDetails(pipeline: CompiledPipeline, inputs: Record<string, unknown>): string {
  const lines = [`**Pipeline** \`${pipeline.name}\`${pipeline.version ? ` ${pipeline.version}` : ''}${pipeline.sourceFile ? ` (${pipeline.sourceFile})` : ''}`, '', '**Steps**', ''];
  for (const step of pipeline.steps) {
    const model = typeof step.model === 'string' ? ` · ${step.model}` : '';
    const after = step.dependsOn.length > 0 ? ` ← ${step.dependsOn.join(', ')}` : '';
    lines.push(`- \`${step.id}\` ${step.actionKind}${model}${after}`);
  }
  const entries = Object.entries(inputs);
  if (entries.length > 0) {
    lines.push('', '**Inputs**', '');
    for (const [name, value] of entries) lines.push(`- \`${name}\`: ${brief(value)}`);
  }
  return lines.join('\n');
}
