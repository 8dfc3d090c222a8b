// A deterministic stand-in model that answers with the prompt itself, for dry runs and tests.
import { isPlainObject } from '../../base/plain-object';
import type { ChatMessage, GenerateRequest, GenerateResponse, LanguageModel } from '../types';

export function createEchoModel(): LanguageModel {
  return {
    id: 'echo',
    provider: 'echo',
    async generate(request: GenerateRequest): Promise<GenerateResponse> {
      const lastUserMessage = [...request.messages].reverse().find((message) => message.role === 'user');
      const prompt = lastUserMessage?.content ?? '';
      let text = prompt;
      let json: unknown;
      if (request.jsonSchema) {
        json = placeholderForSchema(request.jsonSchema, prompt);
        text = JSON.stringify(json);
      }
      const usage = { input_tokens: estimateTokens(request.messages), output_tokens: Math.ceil(text.length / 4), cost_usd: 0 };
      return request.jsonSchema ? { text, json, usage } : { text, usage };
    },
  };
}

/** The rule of thumb of ~4 characters per token; good enough for dry-run cost estimates. */
function estimateTokens(messages: ChatMessage[]): number {
  const characters = messages.reduce((total, message) => total + message.content.length, 0);
  return Math.ceil(characters / 4);
}

type Schema = Record<string, unknown>;

const isSchema: (value: unknown) => value is Schema = isPlainObject;

/**
 * A value that satisfies `schema` (for the keywords pipelines use), built from `text` where a
 * string is wanted, so dry runs show where the prompt would flow.
 */
export function placeholderForSchema(schema: Record<string, unknown>, text: string): unknown {
  return placeholder(schema, text, schema, 0);
}

// Deep enough for any sensible schema, shallow enough to stop a self-referencing one.
const maximumDepth = 32;

function placeholder(schema: unknown, text: string, root: Schema, depth: number): unknown {
  if (!isSchema(schema) || depth > maximumDepth) return text;

  if (typeof schema.$ref === 'string') {
    const target = resolveReference(schema.$ref, root);
    return target === undefined ? text : placeholder(target, text, root, depth + 1);
  }
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  for (const keyword of ['anyOf', 'oneOf'] as const) {
    const alternatives = schema[keyword];
    if (Array.isArray(alternatives) && alternatives.length > 0) return placeholder(alternatives[0], text, root, depth + 1);
  }
  if (Array.isArray(schema.allOf) && schema.allOf.length > 0) {
    return placeholder(mergeAllOf(schema, root), text, root, depth + 1);
  }

  switch (schemaType(schema)) {
    case 'null':
      return null;
    case 'boolean':
      return false;
    case 'integer':
      return numberPlaceholder(schema, true);
    case 'number':
      return numberPlaceholder(schema, false);
    case 'array': {
      const count = typeof schema.minItems === 'number' ? schema.minItems : 0;
      return Array.from({ length: count }, () => placeholder(schema.items, text, root, depth + 1));
    }
    case 'object': {
      const properties = isSchema(schema.properties) ? schema.properties : {};
      const required = Array.isArray(schema.required) ? schema.required.filter((name): name is string => typeof name === 'string') : [];
      const result: Record<string, unknown> = {};
      for (const name of new Set([...Object.keys(properties), ...required])) {
        const propertySchema = properties[name] ?? (isSchema(schema.additionalProperties) ? schema.additionalProperties : undefined);
        result[name] = placeholder(propertySchema, text, root, depth + 1);
      }
      return result;
    }
    default:
      return stringPlaceholder(schema, text);
  }
}

/** The schema's type; the first non-null one of a type list, or a guess from its other keywords. */
function schemaType(schema: Schema): string | undefined {
  const type = schema.type;
  if (typeof type === 'string') return type;
  if (Array.isArray(type)) {
    const types = type.filter((entry): entry is string => typeof entry === 'string');
    return types.find((entry) => entry !== 'null') ?? types[0];
  }
  if ('properties' in schema || 'required' in schema) return 'object';
  if ('items' in schema || 'minItems' in schema) return 'array';
  return undefined;
}

function stringPlaceholder(schema: Schema, text: string): string {
  let value = text;
  if (typeof schema.minLength === 'number' && value.length < schema.minLength) value = value.padEnd(schema.minLength, value.length > 0 ? value : 'x');
  if (typeof schema.maxLength === 'number' && value.length > schema.maxLength) value = value.slice(0, schema.maxLength);
  return value;
}

function numberPlaceholder(schema: Schema, integer: boolean): number {
  const round = (value: number): number => (integer ? Math.ceil(value) : value);
  let value = 0;
  if (typeof schema.minimum === 'number') {
    // Draft 4 spelled an exclusive bound as a flag next to `minimum`.
    value = schema.exclusiveMinimum === true ? schema.minimum + 1 : schema.minimum;
  } else if (typeof schema.exclusiveMinimum === 'number') {
    value = schema.exclusiveMinimum + 1;
  }
  value = round(value);
  const maximum = typeof schema.maximum === 'number' ? schema.maximum : typeof schema.exclusiveMaximum === 'number' ? schema.exclusiveMaximum - 1 : undefined;
  if (maximum !== undefined && value > maximum) value = integer ? Math.floor(maximum) : maximum;
  return value;
}

function resolveReference(reference: string, root: Schema): unknown {
  if (!reference.startsWith('#')) return undefined;
  let current: unknown = root;
  for (const part of reference.slice(1).split('/').filter((segment) => segment.length > 0)) {
    if (!isSchema(current)) return undefined;
    current = current[decodeURIComponent(part).replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return current;
}

/** Folds `allOf` members into one schema, combining their properties and required lists. */
function mergeAllOf(schema: Schema, root: Schema): Schema {
  const { allOf, ...rest } = schema;
  const merged: Schema = { ...rest };
  for (const entry of Array.isArray(allOf) ? allOf : []) {
    const member = isSchema(entry) && typeof entry.$ref === 'string' ? resolveReference(entry.$ref, root) : entry;
    if (!isSchema(member)) continue;
    for (const [key, value] of Object.entries(member)) {
      if (key === 'properties' && isSchema(value)) merged.properties = { ...(isSchema(merged.properties) ? merged.properties : {}), ...value };
      else if (key === 'required' && Array.isArray(value)) merged.required = [...(Array.isArray(merged.required) ? merged.required : []), ...value];
      else if (!(key in merged)) merged[key] = value;
    }
  }
  return merged;
}
