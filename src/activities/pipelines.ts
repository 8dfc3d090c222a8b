// Loads the pipeline file an `action: pipeline` step runs as a child run: reading a file is I/O, so it is an activity.
import * as path from 'node:path';
import { invalidStep } from '../base/failure-types';
import { compilePipelineFile, formatDiagnostic, resolveRunInputs, withoutSourcePositions, type CompiledPipeline } from '../compiler';

export interface LoadPipelineInput {
  file: string;
  /** The parent pipeline's file: a relative `file` is taken relative to it. */
  relativeTo: string | null;
  inputs: Record<string, unknown>;
}

export function createPipelineActivities() {
  return {
    async loadChildPipeline(input: LoadPipelineInput): Promise<{ pipeline: CompiledPipeline; inputs: Record<string, unknown> }> {
      const file = path.isAbsolute(input.file) || !input.relativeTo ? input.file : path.join(path.dirname(input.relativeTo), input.file);
      const compiled = compilePipelineFile(file);
      if (!compiled.ok) {
        throw invalidStep(`child pipeline ${file} is invalid:\n${compiled.diagnostics.map((diagnostic) => formatDiagnostic(file, diagnostic)).join('\n')}`);
      }
      const inputs = resolveRunInputs(compiled.pipeline, input.inputs);
      if (!inputs.ok) {
        throw invalidStep(`child pipeline ${file}: ${inputs.diagnostics.map((diagnostic) => formatDiagnostic(file, diagnostic)).join('; ')}`);
      }
      // Inputs are checked: the child run's input leaves their source positions out, as a parent run's does.
      return { pipeline: withoutSourcePositions(compiled.pipeline), inputs: inputs.values };
    },
  };
}
