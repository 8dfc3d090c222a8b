// Loads the pipeline file an `action: pipeline` step runs as a child run: reading a file is I/O, so it is an activity.
import { invalidStep } from '../base/failure-types';
import { compileChildPipeline, formatDiagnostic, withoutSourcePositions, type ChildPipelineSource, type CompiledPipeline } from '../compiler';

export interface LoadPipelineInput extends ChildPipelineSource {
  inputs: Record<string, unknown>;
}

export function createPipelineActivities() {
  return {
    async loadChildPipeline(input: LoadPipelineInput): Promise<{ pipeline: CompiledPipeline; inputs: Record<string, unknown> }> {
      const child = compileChildPipeline(input, input.inputs);
      if (!child.ok && child.stage === 'compile') {
        throw invalidStep(`child pipeline ${child.file} is invalid:\n${child.diagnostics.map((diagnostic) => formatDiagnostic(child.file, diagnostic)).join('\n')}`);
      }
      if (!child.ok) {
        throw invalidStep(`child pipeline ${child.file}: ${child.diagnostics.map((diagnostic) => formatDiagnostic(child.file, diagnostic)).join('; ')}`);
      }
      // Inputs are checked: the child run's input leaves their source positions out, as a parent run's does.
      return { pipeline: withoutSourcePositions(child.pipeline), inputs: child.inputs };
    },
  };
}
