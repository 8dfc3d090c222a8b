// The compiler's public surface: YAML in, CompiledPipeline (plain JSON) out.
export { compilePipeline, compilePipelineFile, compileOrThrow, type CompileOptions, type CompileResult } from './compile';
export { autoTagModel, type ModelSpec } from './auto-tags';
export type { KnownModels } from './model-names';
export { resolveRunInputs, coerceInputString, withoutSourcePositions, type InputResolution } from './inputs';
export { childPipelineFile, compileChildPipeline, type ChildPipeline, type ChildPipelineSource } from './child-pipeline';
export { detectDialect, frontEnd, type Dialect, type FrontEnd, type ParsedPipeline } from './front-end';
export { mappedSource, type SourcePositions } from './source';
export { formatDiagnostic, PipelineValidationError, type Diagnostic } from './diagnostics';
export { parseDuration } from './durations';
export * from '../base/compiled-pipeline';
