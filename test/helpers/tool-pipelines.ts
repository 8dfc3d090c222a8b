// Compiles inline YAML whose steps may be native tool steps (`tool: NAME`, `action: ACTION`, `parameters`).
// The compiler compiles them; a pipeline it refuses for a tool's sake (an aws-* tool, refused at compile time) is
// compiled with those steps as named actions, then marked tool steps, so that the test sees the run's own refusal.
import YAML from 'yaml';
import type { CompiledPipeline } from '../../src/compiler';
import { compileYaml } from './compile';

export function compileToolYaml(yaml: string): CompiledPipeline {
  const document = YAML.parse(yaml) as { steps: Array<Record<string, unknown>> };
  try {
    const native = compileYaml(yaml);
    const toolSteps = document.steps.filter((step) => typeof step.tool === 'string').map((step) => step.id);
    if (toolSteps.every((id) => native.steps.find((step) => step.id === id)?.actionKind === 'tool')) return native;
  } catch {
    // The compiler of this checkout does not take `tool:` yet: fall through.
  }
  const tools = new Map<string, { name: string; action: string }>();
  for (const step of document.steps) {
    if (typeof step.tool !== 'string') continue;
    tools.set(String(step.id), { name: step.tool, action: String(step.action ?? 'execute') });
    step.action = 'tool_call';
    delete step.tool;
  }
  const pipeline = compileYaml(YAML.stringify(document));
  for (const step of pipeline.steps) {
    const tool = tools.get(step.id);
    if (tool) Object.assign(step, { actionKind: 'tool', action: tool.action, tool });
  }
  return pipeline;
}
