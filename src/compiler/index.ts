// The compiler's public surface: YAML in, CompiledPipeline (plain JSON) out.
export { compilePipeline, compilePipelineFile, compileOrThrow, type CompileResult } from './compile';
export { resolveRunInputs, coerceInputString, type InputResolution } from './inputs';
export { formatDiagnostic, PipelineValidationError, type Diagnostic } from './diagnostics';
export { parseDuration } from './durations';
export * from './types';
