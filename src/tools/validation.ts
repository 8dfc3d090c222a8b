// validation: data (JSON, a value, or CSV rows) checked against a JSON Schema by ajv, or against the dialect's
// field rules; `mode: strict` fails on any problem, `lenient` / `permissive` report format problems as warnings.
import Ajv, { type ErrorObject } from 'ajv';
import addFormats from 'ajv-formats';
import { ApplicationFailure } from '@temporalio/activity';
import { z } from 'zod';
import { FailureType } from '../base/failure-types';
import { isPlainObject } from '../compiler/values';
import type { ToolModule } from './types';

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

export const validationTool: ToolModule = {
  name: 'validation',
  description: 'Checks data (JSON, a value, or CSV rows with mode: CSV) against a JSON Schema (ajv) or field rules: {valid, errors, warnings, data}.',
  actions: { validate: { description: 'validates parameters.data', parameters: validateParameters, run: (parameters: z.infer<typeof validateParameters>) => Promise.resolve(validate(parameters)) } },
  defaultAction: 'validate',
  actionFor: (action, parameters) => (action === 'validate' ? action : parameters.action === 'validate' ? 'validate' : undefined),
  availability: () => ({ available: true }),
};
