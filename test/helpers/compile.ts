// Compiles inline YAML for tests, failing loudly with the diagnostics when it does not compile.
import { compilePipeline, formatDiagnostic, type CompiledPipeline } from '../../src/compiler';

export function compileYaml(yaml: string): CompiledPipeline {
  const result = compilePipeline(yaml, { file: 'test.yaml' });
  if (!result.ok) throw new Error(result.diagnostics.map((diagnostic) => formatDiagnostic('test.yaml', diagnostic)).join('\n'));
  return result.pipeline;
}
