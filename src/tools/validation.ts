// validation: data (JSON, a value, or CSV rows) checked against a JSON Schema by ajv, or against the dialect's
// field rules; `mode: strict` fails on any problem, `lenient` / `permissive` report format problems as warnings.
// `extract_structured` asks a model for the schema's fields out of a text and checks its answer the same way;
// `infer_schema` describes a sample value as a JSON Schema.
import Ajv, { type ErrorObject } from 'ajv';
import addFormats from 'ajv-formats';
import { ApplicationFailure } from '@temporalio/activity';
import { z } from 'zod';
import { FailureType } from '../base/failure-types';
import { isPlainObject } from '../compiler/values';
import { toolFailure } from './tool-failure';
import type { ToolContext, ToolModule } from './types';

/** A field rule, the short form: `{field: age, type: integer, min: 0, required: true}`. */
const ruleSchema = z.object({
  field: z.string(),
  required: z.boolean().optional(),
  type: z.enum(['string', 'number', 'integer', 'boolean', 'object', 'array', 'null']).optional(),
  pattern: z.string().optional(),
  min: z.number().optional(),
  max: z.number().optional(),
  enum: z.array(z.unknown()).optional(),
  format: z.string().optional(),
});

const validateParameters = z.object({
  data: z.unknown(),
  schema: z.union([z.record(z.string(), z.unknown()), z.string()]).optional(),
  rules: z.array(ruleSchema).optional(),
  mode: z.string().default('strict'),
  validation_level: z.string().optional(),
});

/** Rules as the JSON Schema they mean. */
function schemaOfRules(rules: Array<z.infer<typeof ruleSchema>>): Record<string, unknown> {
  const properties: Record<string, Record<string, unknown>> = {};
  for (const rule of rules) {
    const property: Record<string, unknown> = {};
    if (rule.type) property.type = rule.type;
    if (rule.pattern) property.pattern = rule.pattern;
    if (rule.format) property.format = rule.format;
    if (rule.enum) property.enum = rule.enum;
    const numeric = rule.type === 'number' || rule.type === 'integer';
    if (rule.min !== undefined) property[numeric ? 'minimum' : 'minLength'] = rule.min;
    if (rule.max !== undefined) property[numeric ? 'maximum' : 'maxLength'] = rule.max;
    properties[rule.field] = property;
  }
  return { type: 'object', properties, required: rules.filter((rule) => rule.required).map((rule) => rule.field) };
}

/** Comma-separated text with a header line, as row objects (values stay text; ajv coerces them to the schema's types). */
function csvRows(text: string): Array<Record<string, string>> {
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== '');
  const split = (line: string): string[] => [...line.matchAll(/("([^"]|"")*"|[^,]*)(,|$)/g)].map((match) => match[1]!.replace(/^"|"$/g, '').replace(/""/g, '"')).slice(0, -1);
  const header = split(lines[0] ?? '');
  return lines.slice(1).map((line) => Object.fromEntries(split(line).map((value, index) => [header[index] ?? `column_${index + 1}`, value])));
}

function parsedData(data: unknown, csv: boolean): unknown {
  if (typeof data !== 'string') return data;
  if (csv) return csvRows(data);
  try {
    return JSON.parse(data) as unknown;
  } catch {
    return data;
  }
}

function describe(error: ErrorObject): string {
  return `${error.instancePath || '(root)'} ${error.message ?? 'is invalid'}${error.params && 'allowedValues' in error.params ? `: ${(error.params.allowedValues as unknown[]).join(', ')}` : ''}`;
}

function validate(parameters: z.infer<typeof validateParameters>): Record<string, unknown> {
  const mode = (parameters.validation_level ?? parameters.mode).toLowerCase();
  const csv = mode === 'csv';
  let schema: unknown = parameters.schema ?? (parameters.rules ? schemaOfRules(parameters.rules) : undefined);
  if (typeof schema === 'string') schema = JSON.parse(schema) as unknown;
  if (!isPlainObject(schema)) throw ApplicationFailure.create({ type: FailureType.InvalidStep, nonRetryable: true, message: 'validation needs parameters.schema (a JSON Schema) or parameters.rules' });
  const data = parsedData(parameters.data, csv);
  const lenient = mode === 'lenient' || mode === 'permissive';
  const ajv = new Ajv({ allErrors: true, strict: false, coerceTypes: csv || lenient, validateFormats: !lenient });
  addFormats(ajv);
  const check = ajv.compile(schema);
  // CSV rows are each checked against the schema of one row.
  const items = csv && Array.isArray(data) ? data : [data];
  const errors: string[] = [];
  items.forEach((item, index) => {
    if (check(item)) return;
    for (const error of check.errors ?? []) errors.push(`${csv ? `row ${index + 1}: ` : ''}${describe(error)}`);
  });
  const warnings = lenient ? errors : [];
  const valid = lenient || errors.length === 0;
  return { valid, errors: lenient ? [] : errors, warnings, data, mode };
}

const extractParameters = z.object({
  text: z.unknown(),
  schema: z.union([z.record(z.string(), z.unknown()), z.string()]),
  /** A model spec (`gpt-4o-mini`, `openai:gpt-4o-mini`, `local` ...); default ORC_EXTRACT_MODEL, else `local`. */
  model: z.string().optional(),
  mode: z.string().default('strict'),
});

function schemaObject(schema: unknown): Record<string, unknown> {
  const parsed = typeof schema === 'string' ? (JSON.parse(schema) as unknown) : schema;
  if (!isPlainObject(parsed)) throw ApplicationFailure.create({ type: FailureType.InvalidStep, nonRetryable: true, message: 'validation needs parameters.schema (a JSON Schema)' });
  return parsed;
}

/** The schema's fields out of `text`, by a model held to the schema, then checked by ajv like `validate`. */
async function extractStructured(parameters: z.infer<typeof extractParameters>, context: ToolContext): Promise<Record<string, unknown>> {
  const models = context.services?.models;
  if (!models) throw toolFailure(FailureType.ToolUnavailable, 'this worker lends tools no models: run validation.extract_structured on an orc worker');
  const text = typeof parameters.text === 'string' ? parameters.text : JSON.stringify(parameters.text ?? '');
  if (text.trim() === '') throw ApplicationFailure.create({ type: FailureType.InvalidStep, nonRetryable: true, message: 'validation.extract_structured needs parameters.text' });
  const schema = schemaObject(parameters.schema);
  // A dry run asks the echo model, whose answer is a placeholder that fits the schema.
  const model = models.resolve(context.dryRun ? 'echo' : (parameters.model ?? context.env.ORC_EXTRACT_MODEL ?? 'local'));
  const prompt = `Extract structured data from the text below. Fill each field of the JSON Schema from what the text says; leave out a field the text does not give.\n\nSchema:\n${JSON.stringify(schema, null, 2)}\n\nText:\n${text}`;
  const answer = await model.generate({ messages: [{ role: 'user', content: prompt }], jsonSchema: schema, temperature: 0, signal: context.signal });
  const checked = validate({ data: answer.json ?? answer.text, schema, mode: parameters.mode });
  return { ...checked, model_used: model.id, usage: answer.usage };
}

/** A JSON Schema for a sample value: types, required keys of objects, the first item of arrays, common string formats. */
function inferSchema(value: unknown): Record<string, unknown> {
  if (Array.isArray(value)) return { type: 'array', items: value.length > 0 ? inferSchema(value[0]) : {} };
  if (isPlainObject(value)) {
    return {
      type: 'object',
      properties: Object.fromEntries(Object.entries(value).map(([key, item]) => [key, inferSchema(item)])),
      required: Object.entries(value).filter(([, item]) => item !== null && item !== undefined).map(([key]) => key),
    };
  }
  if (typeof value === 'string') {
    const format = /^\S+@\S+\.\S+$/.test(value) ? 'email' : /^\d{4}-\d{2}-\d{2}$/.test(value) ? 'date' : /^https?:\/\//.test(value) ? 'uri' : undefined;
    return format ? { type: 'string', format } : { type: 'string' };
  }
  if (typeof value === 'number') return { type: Number.isInteger(value) ? 'integer' : 'number' };
  if (typeof value === 'boolean') return { type: 'boolean' };
  return { type: 'null' };
}

const inferParameters = z.object({ data: z.unknown() });

const qualityParameters = z.object({ data: z.unknown(), threshold: z.number().min(0).max(1).default(0.8) });

/** Whether a value looks right for a field named like an email, a date or a URL (other fields: any value). */
function plausible(field: string, value: unknown): boolean {
  const name = field.toLowerCase();
  const text = typeof value === 'string' ? value : null;
  if (name.includes('email')) return text !== null && /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(text);
  if (name.includes('date')) return text !== null && !Number.isNaN(Date.parse(text));
  if (name.includes('url')) return text !== null && /^https?:\/\/\S+$/.test(text);
  return true;
}

function filled(value: unknown): boolean {
  return value !== null && value !== undefined && String(value).trim() !== '';
}

/**
 * Scores records from 0 to 1: completeness (fields filled, over every field any record has), accuracy (filled
 * values that look right for their field's name) and consistency (fields whose values share one type in 80% of
 * records); `valid` when their mean reaches `threshold`. The Python orchestrator's action, scored the same way.
 */
function qualityCheck(parameters: z.infer<typeof qualityParameters>): Record<string, unknown> {
  const csv = typeof parameters.data === 'string' && !/^\s*[[{]/.test(parameters.data) && parameters.data.includes(',') && parameters.data.includes('\n');
  const data = parsedData(parameters.data, csv);
  const records = (Array.isArray(data) ? data : [data]).filter(isPlainObject);
  const fields = [...new Set(records.flatMap((record) => Object.keys(record)))];
  const cells = records.flatMap((record) => fields.map((field) => [field, record[field]] as const));
  const values = cells.filter(([, value]) => filled(value));
  const ratio = (part: number, whole: number): number => (whole === 0 ? 1 : part / whole);
  const completeness = records.length === 0 ? (Array.isArray(data) ? 0 : 1) : ratio(values.length, cells.length);
  const accuracy = ratio(values.filter(([field, value]) => plausible(field, value)).length, values.length);
  const consistentFields = fields.filter((field) => {
    const types = values.filter(([name]) => name === field).map(([, value]) => (Array.isArray(value) ? 'array' : typeof value));
    const counts = [...new Set(types)].map((type) => types.filter((each) => each === type).length);
    return types.length === 0 || Math.max(...counts) / types.length >= 0.8;
  });
  const consistency = records.length < 2 ? 1 : ratio(consistentFields.length, fields.length);
  const overall = (completeness + accuracy + consistency) / 3;
  const round = (value: number): number => Math.round(value * 1000) / 1000;
  return {
    completeness: round(completeness),
    accuracy: round(accuracy),
    consistency: round(consistency),
    overall_score: round(overall),
    valid: overall >= parameters.threshold,
    records: records.length,
  };
}

export const validationTool: ToolModule = {
  name: 'validation',
  description: 'Checks data (JSON, a value, or CSV rows with mode: CSV) against a JSON Schema (ajv) or field rules: {valid, errors, warnings, data}.',
  actions: {
    validate: { description: 'validates parameters.data', parameters: validateParameters, run: (parameters: z.infer<typeof validateParameters>) => Promise.resolve(validate(parameters)) },
    extract_structured: {
      description: "the schema's fields out of parameters.text, by `model` (default ORC_EXTRACT_MODEL, else local), checked against the schema",
      parameters: extractParameters,
      run: extractStructured,
    },
    quality_check: {
      description: 'completeness, accuracy and consistency of parameters.data (records as JSON, CSV text or values) from 0 to 1; valid at `threshold` (0.8)',
      parameters: qualityParameters,
      run: (parameters: z.infer<typeof qualityParameters>) => Promise.resolve(qualityCheck(parameters)),
    },
    infer_schema: {
      description: 'a JSON Schema describing parameters.data (JSON text or a value)',
      parameters: inferParameters,
      run: (parameters: z.infer<typeof inferParameters>) => {
        const data = parsedData(parameters.data, false);
        return Promise.resolve({ schema: inferSchema(data), data_type: Array.isArray(data) ? 'list' : isPlainObject(data) ? 'dict' : typeof data });
      },
    },
  },
  defaultAction: 'validate',
  // The dialect names the action in `action:` or in `parameters.action`.
  actionFor: (action, parameters) => {
    const named = [action, parameters.action].find((each): each is string => typeof each === 'string' && Object.hasOwn(validationTool.actions, each));
    return named;
  },
  availability: () => ({ available: true }),
};
