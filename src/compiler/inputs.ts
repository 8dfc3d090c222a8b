// A run's inputs checked against the pipeline's declarations before anything runs: required, type, enum.
import { isPlainObject } from '../base/plain-object';
import { didYouMean, type Diagnostic } from './diagnostics';
import type { CompiledPipeline, InputSpec, InputType } from '../base/compiled-pipeline';

export type InputResolution =
  | { ok: true; values: Record<string, unknown> }
  | { ok: false; diagnostics: Diagnostic[] };

/** `-i n=3` arrives as the string "3"; turn CLI strings into the declared type where that is unambiguous. */
export function coerceInputString(type: InputType, text: string): unknown {
  switch (type) {
    case 'integer':
    case 'number': {
      const number = Number(text);
      return text.trim() !== '' && Number.isFinite(number) ? number : text;
    }
    case 'boolean':
      return /^(true|yes|1)$/i.test(text) ? true : /^(false|no|0)$/i.test(text) ? false : text;
    case 'array':
    case 'object':
      try {
        return JSON.parse(text) as unknown;
      } catch {
        return type === 'array' ? text.split(',').map((part) => part.trim()) : text;
      }
    default:
      return text;
  }
}

function typeMatches(type: InputType, value: unknown): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'array':
      return Array.isArray(value);
    case 'object':
      return isPlainObject(value);
  }
}

function diagnosticFor(spec: InputSpec, code: Diagnostic['code'], message: string): Diagnostic {
  return { code, message, path: spec.declaredAt?.path ?? 'inputs', line: spec.declaredAt?.line ?? 1, column: spec.declaredAt?.column ?? 1 };
}

export function resolveRunInputs(
  pipeline: CompiledPipeline,
  provided: Record<string, unknown>,
  options: { coerceStrings?: boolean } = {},
): InputResolution {
  const diagnostics: Diagnostic[] = [];
  const values: Record<string, unknown> = {};
  const declared = Object.keys(pipeline.inputs);
  for (const name of Object.keys(provided)) {
    if (!pipeline.inputs[name]) {
      diagnostics.push({
        code: 'INPUT_MISSING',
        message: `unknown input '${name}'${didYouMean(name, declared)}; this pipeline takes: ${declared.join(', ') || 'no inputs'}`,
        path: 'inputs',
        line: 1,
        column: 1,
      });
    }
  }
  for (const [name, spec] of Object.entries(pipeline.inputs)) {
    let value = provided[name];
    if (value === undefined || value === null) {
      if (spec.default !== undefined) values[name] = spec.default;
      else if (spec.required) diagnostics.push(diagnosticFor(spec, 'INPUT_MISSING', `required input '${name}' (${spec.type}) is missing`));
      continue;
    }
    if (options.coerceStrings && typeof value === 'string') value = coerceInputString(spec.type, value);
    if (!typeMatches(spec.type, value)) {
      diagnostics.push(diagnosticFor(spec, 'INPUT_TYPE', `input '${name}' must be ${spec.type === 'integer' ? 'an' : 'a'} ${spec.type}, got ${JSON.stringify(value)}`));
      continue;
    }
    if (spec.enum && !spec.enum.some((allowed) => JSON.stringify(allowed) === JSON.stringify(value))) {
      diagnostics.push(diagnosticFor(spec, 'INPUT_TYPE', `input '${name}' must be one of ${spec.enum.map((item) => JSON.stringify(item)).join(', ')}, got ${JSON.stringify(value)}`));
      continue;
    }
    values[name] = value;
  }
  return diagnostics.length > 0 ? { ok: false, diagnostics } : { ok: true, values };
}

/**
 * The compiled pipeline without the source positions of its inputs: they serve only errors about input values,
 * reported before a run starts, so a run's input (the Web UI's Input panel) leaves them out.
 */
export function withoutSourcePositions(pipeline: CompiledPipeline): CompiledPipeline {
  const inputs = Object.fromEntries(
    Object.entries(pipeline.inputs).map(([name, spec]) => {
      const { declaredAt: _declaredAt, ...rest } = spec;
      return [name, rest];
    }),
  );
  return { ...pipeline, inputs };
}
