// Loads the pipeline file an `action: pipeline` step runs as a child run: reading a file is I/O, so it is an activity.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { invalidStep } from '../base/failure-types';
import { compilePipeline, compilePipelineFile, formatDiagnostic, resolveRunInputs, withoutSourcePositions, type CompiledPipeline } from '../compiler';

export interface LoadPipelineInput {
  file: string;
  /** The parent pipeline's file: a relative `file` is taken relative to it. */
  relativeTo: string | null;
  inputs: Record<string, unknown>;
  /** The pipeline itself (a pipeline-executor tool step may write it inline); `file` then only names it in messages. */
  yaml?: string;
  /** A relative `file` not found next to the parent pipeline is looked for in the run's workspace. */
  workspace?: string;
}

function childPipelineFile(input: LoadPipelineInput): string {
  if (path.isAbsolute(input.file) || input.yaml !== undefined) return input.file;
  const besideParent = input.relativeTo ? path.join(path.dirname(input.relativeTo), input.file) : input.file;
  if (input.workspace === undefined || fs.existsSync(besideParent)) return besideParent;
  const inWorkspace = path.join(input.workspace, input.file);
  return fs.existsSync(inWorkspace) ? inWorkspace : besideParent;
}

export function createPipelineActivities() {
  return {
    async loadChildPipeline(input: LoadPipelineInput): Promise<{ pipeline: CompiledPipeline; inputs: Record<string, unknown> }> {
      const file = childPipelineFile(input);
      const compiled = input.yaml !== undefined ? compilePipeline(input.yaml, { file }) : compilePipelineFile(file);
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
