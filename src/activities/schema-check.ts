// Checks a model's structured answer against the JSON Schema it was asked to satisfy.
import Ajv, { type ValidateFunction } from 'ajv';
import type { JsonSchema } from '../base/compiled-pipeline';

const ajv = new Ajv({ allErrors: true, strict: false, coerceTypes: true });
const compiled = new Map<string, ValidateFunction>();

/** Coerces in place where JSON Schema allows it ("5" -> 5); returns the problems, or null when valid. */
export function schemaProblems(schema: JsonSchema, value: unknown): string | null {
  const key = JSON.stringify(schema);
  let validate = compiled.get(key);
  if (!validate) {
    validate = ajv.compile(schema);
    compiled.set(key, validate);
  }
  if (validate(value)) return null;
  return (validate.errors ?? []).map((error) => `${error.instancePath || 'value'} ${error.message ?? 'is invalid'}`).join('; ');
}
