// Pass: the document against schema/pipeline.schema.json (the published language): unknown keys with a
// did-you-mean, missing fields, wrong types, each at its line:column.
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv, { type ErrorObject } from 'ajv';
import type { CompileContext } from '../context';
import { didYouMean, formatPath, type Diagnostic } from '../diagnostics';
import { diagnosticAt, type YamlPath } from '../source';
import { isPlainObject, type PlainObject } from '../values';

export const INPUT_TYPES: ReadonlySet<string> = new Set(['string', 'integer', 'number', 'boolean', 'array', 'object']);

const schemaPath = path.resolve(__dirname, '..', '..', '..', 'schema', 'pipeline.schema.json');
let validateStructure: ReturnType<Ajv['compile']> | undefined;

function structureValidator(): ReturnType<Ajv['compile']> {
  if (!validateStructure) {
    const ajv = new Ajv({ allErrors: true, strict: false, verbose: true });
    validateStructure = ajv.compile(JSON.parse(fs.readFileSync(schemaPath, 'utf8')) as object);
  }
  return validateStructure;
}

/** JSON pointer (`/steps/0/id`) -> YAML path segments. */
function pointerToPath(pointer: string): Array<string | number> {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((segment) => (/^\d+$/.test(segment) ? Number(segment) : segment));
}

/** "in step 'fetch'" (a loop's child: "in step 'each_file.read'"), "at the top level", "in config". */
export function describeLocation(segments: YamlPath, document: PlainObject): string {
  const names: string[] = [];
  let list: unknown = document.steps;
  let index = 0;
  while (segments[index] === 'steps' && typeof segments[index + 1] === 'number' && Array.isArray(list)) {
    const position = segments[index + 1] as number;
    const step: unknown = list[position];
    names.push(isPlainObject(step) && typeof step.id === 'string' ? step.id : `#${position + 1}`);
    list = isPlainObject(step) ? step.steps : undefined;
    index += 2;
  }
  if (names.length > 0) return `in step '${names.join('.')}'`.replace(/'#(\d+)'$/, '#$1');
  if (segments.length === 0) return 'at the top level';
  return `in ${segments.filter((segment) => typeof segment === 'string').join('.')}`;
}

function diagnosticOf(context: CompileContext, error: ErrorObject): Diagnostic {
  const { source, document } = context;
  const at = pointerToPath(error.instancePath);
  const where = describeLocation(at, document);
  if (error.keyword === 'additionalProperties') {
    const key = String(error.params.additionalProperty);
    const known = Object.keys((error.parentSchema as { properties?: object } | undefined)?.properties ?? {});
    return diagnosticAt(source, 'UNKNOWN_KEY', `unknown key '${key}' ${where}${didYouMean(key, known)}`, [...at, key], source.positionOfKey(at, key));
  }
  if (error.keyword === 'required') {
    return diagnosticAt(source, 'MISSING_FIELD', `missing required '${String(error.params.missingProperty)}' ${where}`, at);
  }
  if (error.keyword === 'pattern' && (at[at.length - 1] === 'id' || (at.length === 1 && at[0] === 'name'))) {
    const what = at.length === 1 ? 'pipeline name' : 'step id';
    return diagnosticAt(source, 'BAD_ID', `bad ${what} '${String(error.data)}': use a letter followed by letters, digits, '_' or '-'`, at);
  }
  if (error.keyword === 'pattern' && at[at.length - 1] === 'url') {
    return diagnosticAt(source, 'INVALID_VALUE', `'${formatPath(at)}' must be an http:// or https:// URL, not '${String(error.data)}'`, at);
  }
  if (error.keyword === 'anyOf') {
    const name = at[at.length - 1];
    const message = `input '${String(name)}' must be a type (${[...INPUT_TYPES].join(', ')}) or a spec { type, required, default, enum, description }`;
    return diagnosticAt(source, 'INVALID_VALUE', message, at);
  }
  return diagnosticAt(source, 'INVALID_VALUE', `'${at.join('.') || 'pipeline'}' ${error.message ?? 'is invalid'}`, at);
}

export function checkStructure(context: CompileContext): void {
  const validate = structureValidator();
  if (validate(context.document)) return;
  const all = validate.errors ?? [];
  // An anyOf says it best ("must be a type or a spec"); drop what its branches said about the same value.
  const anyOfPaths = all.filter((error) => error.keyword === 'anyOf').map((error) => error.instancePath);
  const errors = all.filter(
    (error) => error.keyword === 'anyOf' || !anyOfPaths.some((path) => error.instancePath === path || error.instancePath.startsWith(`${path}/`)),
  );
  const seen = new Set<string>();
  for (const error of errors) {
    const diagnostic = diagnosticOf(context, error);
    const key = `${diagnostic.code}:${diagnostic.path}:${diagnostic.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      context.diagnostics.push(diagnostic);
    }
  }
}
