// The pipeline a step runs as a child run (an `action: pipeline` step's file, a pipeline-executor tool step's file or
// YAML): where its file is, compiled, and its run inputs resolved. The activity that loads it for the run and the
// forecast made at the run's start both come here, so they find and read the same child.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CompiledPipeline } from '../base/compiled-pipeline';
import { compilePipeline, compilePipelineFile, type CompileResult } from './compile';
import type { Diagnostic } from './diagnostics';
import { resolveRunInputs } from './inputs';

export interface ChildPipelineSource {
  file: string;
  /** The parent pipeline's file: a relative `file` is taken relative to it. */
  relativeTo: string | null;
  /** The pipeline itself (a pipeline-executor tool step may write it inline); `file` then only names it in messages. */
  yaml?: string;
  /** A relative `file` not found next to the parent pipeline is looked for in the run's workspace. */
  workspace?: string;
}

export type ChildPipeline =
  | { ok: true; file: string; pipeline: CompiledPipeline; inputs: Record<string, unknown> }
  /** The child does not compile (or its file cannot be read). */
  | { ok: false; stage: 'compile'; file: string; diagnostics: Diagnostic[] }
  /** The child compiles; the inputs given it do not resolve against what it declares. */
  | { ok: false; stage: 'inputs'; file: string; pipeline: CompiledPipeline; diagnostics: Diagnostic[] };

/** The file a child pipeline is read from. */
export function childPipelineFile(source: ChildPipelineSource): string {
  if (path.isAbsolute(source.file) || source.yaml !== undefined) return source.file;
  const besideParent = source.relativeTo ? path.join(path.dirname(source.relativeTo), source.file) : source.file;
  if (source.workspace === undefined || fs.existsSync(besideParent)) return besideParent;
  const inWorkspace = path.join(source.workspace, source.file);
  return fs.existsSync(inWorkspace) ? inWorkspace : besideParent;
}

/**
 * The child pipeline compiled, with `inputs` resolved against what it declares. `compileFile` reads and compiles a
 * file (a caller may put a cache in front of it); inline YAML is compiled as it is.
 */
export function compileChildPipeline(
  source: ChildPipelineSource,
  inputs: Record<string, unknown>,
  compileFile: (file: string) => CompileResult = compilePipelineFile,
): ChildPipeline {
  const file = childPipelineFile(source);
  const compiled = source.yaml !== undefined ? compilePipeline(source.yaml, { file }) : compileFile(file);
  if (!compiled.ok) return { ok: false, stage: 'compile', file, diagnostics: compiled.diagnostics };
  const resolved = resolveRunInputs(compiled.pipeline, inputs);
  if (!resolved.ok) return { ok: false, stage: 'inputs', file, pipeline: compiled.pipeline, diagnostics: resolved.diagnostics };
  return { ok: true, file, pipeline: compiled.pipeline, inputs: resolved.values };
}
