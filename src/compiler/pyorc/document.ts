// The top level of a dialect file as a native document: id and free-text name, parameters as inputs, metadata.
import { didYouMean } from '../diagnostics';
import type { YamlPath } from '../source';
import { isPlainObject, type PlainObject } from '../values';
import { normalizeSteps, type StepContext } from './steps';
import { rewriteValue } from './templates';

const ID_PATTERN = /^[a-zA-Z][a-zA-Z0-9_-]*$/;
/** Top-level keys the Python orchestrator accepts and never reads (pyorc-dialect.md section 1). */
const IGNORED_TOP_KEYS: ReadonlySet<string> = new Set(['config', 'type', 'variables', 'context']);
const HANDLED_TOP_KEYS: ReadonlySet<string> = new Set(['id', 'name', 'description', 'version', 'parameters', 'inputs', 'outputs', 'metadata', 'model', 'steps']);
const PYTHON_TYPES: Record<string, string> = {
  str: 'string',
  string: 'string',
  text: 'string',
  int: 'integer',
  integer: 'integer',
  float: 'number',
  number: 'number',
  bool: 'boolean',
  boolean: 'boolean',
  list: 'array',
  array: 'array',
  dict: 'object',
  object: 'object',
};
const SPEC_KEYS: ReadonlySet<string> = new Set(['type', 'default', 'description', 'required', 'choices', 'enum']);

export interface DocumentResult {
  document: PlainObject;
  id?: string;
  title?: string;
}

/** A name the native `name` pattern accepts, made from free text (`Minimal Research Pipeline` → `Minimal_Research_Pipeline`). */
function nameFrom(text: string): string {
  const name = text.trim().replace(/[^a-zA-Z0-9_-]+/g, '_').replace(/^_+|_+$/g, '');
  return /^[a-zA-Z]/.test(name) ? name : `pipeline_${name}`;
}

export function normalizeDocument(raw: PlainObject, context: StepContext): DocumentResult {
  const document: PlainObject = {};
  const id = typeof raw.id === 'string' ? raw.id : undefined;
  const title = typeof raw.name === 'string' ? raw.name : undefined;
  if (id !== undefined) {
    // An id the pattern refuses is still the name: the native check then points at the id.
    document.name = id;
    context.map(['name'], ['id']);
  } else if (title !== undefined) {
    document.name = ID_PATTERN.test(title) ? title : nameFrom(title);
  } else if (raw.name !== undefined) document.name = raw.name;
  if (typeof raw.description === 'string') document.description = raw.description;
  else if (title !== undefined && title !== document.name) {
    document.description = title;
    context.map(['description'], ['name']);
  }
  if (raw.version !== undefined) document.version = String(raw.version);

  const inputs = normalizeInputs(raw, context);
  if (inputs) document.inputs = inputs;
  const config = configOf(raw, context);
  if (config) document.config = config;
  if (isPlainObject(raw.pipeline) && raw.steps === undefined) {
    context.error('INVALID_VALUE', "the pipeline is wrapped in 'pipeline:': its keys (inputs, steps, outputs) belong at the top level (the Python orchestrator refuses this file too)", [], 'pipeline');
  }
  for (const key of Object.keys(raw)) {
    if (HANDLED_TOP_KEYS.has(key) || (key === 'config' && isNativeConfig(raw.config))) continue;
    const known = [...HANDLED_TOP_KEYS, 'config'];
    const typo = didYouMean(key, known) !== '' || known.includes(key.toLowerCase());
    if (IGNORED_TOP_KEYS.has(key) || key.startsWith('enhanced_') || !typo) {
      // The Python orchestrator reads no other top-level key; one that is not a misspelling is noted and left out.
      context.note('NO_EFFECT', `top-level '${key}' changes nothing (the Python orchestrator does not read it either)`, [], key);
    } else document[key] = raw[key]; // a misspelling: the native compiler reports it, with a did-you-mean
  }
  if (raw.steps !== undefined) document.steps = normalizeSteps(raw.steps, ['steps'], ['steps'], context);
  if (raw.outputs !== undefined) document.outputs = rewriteValue(raw.outputs, context.names);
  return { document, ...(id !== undefined ? { id } : {}), ...(title !== undefined ? { title } : {}) };
}

/** The native `config` keys (schema/pipeline.schema.json definitions.config). */
const NATIVE_CONFIG_KEYS: ReadonlySet<string> = new Set([
  'model', 'auto_model', 'fallback_models', 'timeout', 'max_retries', 'max_parallel', 'budget',
  'checkpoint_strategy', 'temperature', 'max_tokens', 'cache_results', 'cache_ttl', 'mcp_servers',
]);

/**
 * A `config` the Python orchestrator never reads; one written only with native keys (a native file that uses a
 * `tool:` step is read as the dialect) keeps its native meaning, since reading a file as the dialect changes
 * only what the dialect adds.
 */
export function isNativeConfig(value: unknown): value is PlainObject {
  return isPlainObject(value) && Object.keys(value).length > 0 && Object.keys(value).every((key) => NATIVE_CONFIG_KEYS.has(key));
}

/** `metadata.default_timeout` and a top-level `model` are the native config's timeout and model. */
function configOf(raw: PlainObject, context: StepContext): PlainObject | undefined {
  const config: PlainObject = {};
  if (isNativeConfig(raw.config)) {
    Object.assign(config, raw.config);
    for (const key of Object.keys(raw.config)) context.map(['config', key], ['config', key]);
  }
  if (isPlainObject(raw.metadata) && raw.metadata.default_timeout !== undefined) {
    config.timeout = raw.metadata.default_timeout;
    context.map(['config', 'timeout'], ['metadata', 'default_timeout']);
  }
  if (raw.model !== undefined) {
    config.model = raw.model;
    context.map(['config', 'model'], ['model']);
  }
  return Object.keys(config).length > 0 ? config : undefined;
}

/** `inputs` then `parameters` (the first to name an input wins), each a spec or a bare default value. */
function normalizeInputs(raw: PlainObject, context: StepContext): PlainObject | undefined {
  const sources = (['inputs', 'parameters'] as const).filter((key) => isPlainObject(raw[key]));
  if (sources.length === 0) {
    // Not a map (or empty): handed on as it is, for the native check to report where it stands.
    if (raw.inputs === undefined && raw.parameters !== undefined && raw.parameters !== null) context.map(['inputs'], ['parameters']);
    return (raw.inputs ?? raw.parameters ?? undefined) as PlainObject | undefined;
  }
  context.map(['inputs'], [sources.includes('parameters') ? 'parameters' : 'inputs']);
  const inputs: PlainObject = {};
  for (const key of sources) {
    for (const [name, value] of Object.entries(raw[key] as PlainObject)) {
      if (name in inputs) continue;
      inputs[name] = inputSpec(value, [key, name], context);
      context.map(['inputs', name], [key, name]);
    }
  }
  return inputs;
}

function typeOfValue(value: unknown): string {
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  if (typeof value === 'boolean') return 'boolean';
  if (Array.isArray(value)) return 'array';
  if (isPlainObject(value)) return 'object';
  return 'string';
}

function inputSpec(value: unknown, at: YamlPath, context: StepContext): PlainObject {
  const isSpec = isPlainObject(value) && Object.keys(value).some((key) => SPEC_KEYS.has(key)) && (value.type === undefined || typeof value.type === 'string');
  if (!isSpec) return { type: typeOfValue(value), ...(value === null || value === undefined ? {} : { default: value }) };
  let fallback = value.default;
  if (isPlainObject(fallback) && (fallback === value || ('type' in fallback && 'default' in fallback))) {
    context.note('NO_EFFECT', "this input's default is its own parameter spec (a YAML alias); its inner default is used", at, 'default');
    fallback = fallback.default;
  }
  const declared = typeof value.type === 'string' ? PYTHON_TYPES[value.type.toLowerCase()] : undefined;
  if (typeof value.type === 'string' && declared === undefined) {
    context.note('NO_EFFECT', `input type '${value.type}' is read as string`, at, 'type');
  }
  const spec: PlainObject = { type: declared ?? (fallback !== undefined && fallback !== null ? typeOfValue(fallback) : 'string') };
  if (value.required === true) spec.required = true;
  if (fallback !== undefined && fallback !== null) spec.default = fallback;
  const choices = value.enum ?? value.choices;
  if (Array.isArray(choices)) spec.enum = choices;
  if (typeof value.description === 'string') spec.description = value.description;
  for (const key of Object.keys(value)) {
    if (!SPEC_KEYS.has(key)) context.note('NO_EFFECT', `input setting '${key}' is not checked here`, at, key);
  }
  return spec;
}
