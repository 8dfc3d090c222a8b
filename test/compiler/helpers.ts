// Shared helpers for the compiler tests: dedented inline YAML, compiling with assertions, finding diagnostics.
import { compilePipeline, type CompiledPipeline, type CompiledStep, type CompileOptions, type Diagnostic } from '../../src/compiler';

/**
 * Dedents an inline YAML template literal: drops the first newline and the last whitespace-only line and
 * removes the common indentation, so line 1 is the first line written after the backtick.
 */
export function yaml(strings: TemplateStringsArray, ...values: unknown[]): string {
  let text = strings.reduce((whole, part, index) => whole + part + (index < values.length ? String(values[index]) : ''), '');
  text = text.replace(/^\n/, '').replace(/\n[ \t]*$/, '\n');
  const lines = text.split('\n');
  const indents = lines.filter((line) => line.trim() !== '').map((line) => line.length - line.trimStart().length);
  const common = indents.length > 0 ? Math.min(...indents) : 0;
  return lines.map((line) => line.slice(common)).join('\n');
}

/** Compiles text that must compile; fails the test with the diagnostics otherwise. */
export function compileOk(text: string, options: CompileOptions = {}): CompiledPipeline {
  const result = compilePipeline(text, options);
  if (!result.ok) throw new Error(`expected the pipeline to compile, got:\n${JSON.stringify(result.diagnostics, null, 2)}`);
  return result.pipeline;
}

/** Compiles text that must not compile; returns every diagnostic. */
export function compileErrors(text: string, options: CompileOptions = {}): Diagnostic[] {
  const result = compilePipeline(text, options);
  if (result.ok) throw new Error('expected diagnostics, but the pipeline compiled');
  return result.diagnostics;
}

/** The one diagnostic of `code` (fails if there is none or more than one). */
export function onlyDiagnostic(text: string, code: Diagnostic['code'], options: CompileOptions = {}): Diagnostic {
  const diagnostics = compileErrors(text, options);
  const matching = diagnostics.filter((diagnostic) => diagnostic.code === code);
  if (matching.length !== 1) {
    throw new Error(`expected exactly one ${code}, got:\n${JSON.stringify(diagnostics, null, 2)}`);
  }
  return matching[0]!;
}

export function stepOf(pipeline: CompiledPipeline, id: string): CompiledStep {
  const step = pipeline.steps.find((candidate) => candidate.id === id);
  if (!step) throw new Error(`no step '${id}' in ${pipeline.steps.map((candidate) => candidate.id).join(', ')}`);
  return step;
}

/** step id -> its dependencies, sorted, for order-independent comparisons. */
export function dependencyMap(pipeline: CompiledPipeline): Record<string, string[]> {
  return Object.fromEntries(pipeline.steps.map((step) => [step.id, [...step.dependsOn].sort()]));
}

/**
 * The native grammar's own helpers: `dialect: 'native'` so that a construct both languages have (tool steps,
 * loops, on_error) is checked by the native compiler whatever the dialect's detection says.
 */
export const NATIVE = { dialect: 'native' } as const;
export const native = {
  compileOk: (text: string): CompiledPipeline => compileOk(text, NATIVE),
  compileErrors: (text: string): Diagnostic[] => compileErrors(text, NATIVE),
  onlyDiagnostic: (text: string, code: Diagnostic['code']): Diagnostic => onlyDiagnostic(text, code, NATIVE),
};
