// YAML text -> validated, serializable CompiledPipeline, or every problem at once with line:column.
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv, { type ErrorObject } from 'ajv';
import { compileAgents, compileAgentStep } from './agents';
import { autoTagSchema, AUTO_FIELDS, parseAutoTag, type AutoField } from './auto-tags';
import { didYouMean, formatPath, PipelineValidationError, type Diagnostic } from './diagnostics';
import { badDurationMessage, parseDuration } from './durations';
import { cycleOrder, executionLevels, findCycles } from './graph';
import { checkMcpStep, compileMcpServers } from './mcp-servers';
import { compileExpect } from './expect';
import { compileReplicates, EVIDENCE_FIELDS } from './replicates';
import { checkRunCodeStep } from './run-code';
import { diagnosticAt, PipelineSource, type YamlPath } from './source';
import { modelNameProblem, type KnownModels } from './model-names';
import { containsTemplate, parseTemplate, TEMPLATE_GLOBALS } from './templates';
import {
  DEFAULT_CACHE_TTL_SECONDS,
  DEFAULT_MAX_PARALLEL,
  DEFAULT_MAX_RETRIES,
  DEFAULT_MODEL,
  DEFAULT_TIMEOUT_SECONDS,
  type ActionKind,
  type AutoTag,
  type Budget,
  type CompiledPipeline,
  type CompiledStep,
  type InputSpec,
  type InputType,
  type JsonSchema,
  type OnFailure,
  type Reference,
} from '../base/compiled-pipeline';
import { isPlainObject, type PlainObject } from './values';

export type CompileResult =
  | { ok: true; pipeline: CompiledPipeline; diagnostics: []; /** Keys accepted that change nothing (NO_EFFECT), for the author to know. */ notes: Diagnostic[] }
  | { ok: false; pipeline?: undefined; diagnostics: Diagnostic[] };

const BUILT_IN_ACTIONS: ReadonlySet<string> = new Set(['generate', 'run_code', 'mcp', 'approval', 'pipeline', 'agent', 'agents']);
const LLM_ACTIONS: ReadonlySet<ActionKind> = new Set(['prompt', 'named', 'generate']);
/**
 * Steps that send one request and get one answer (spec section 9). A person's decision, a child run and an agent's
 * turns with their tool calls are not that: they are never cached.
 */
const CACHEABLE_ACTIONS: ReadonlySet<ActionKind> = new Set([...LLM_ACTIONS, 'run_code', 'mcp']);
const STEP_RESULT_KEYS: ReadonlySet<string> = new Set(['result', 'output']);
const STEP_META_KEYS: ReadonlySet<string> = new Set(['error', 'status', 'evidence']);
const ON_FAILURE_KEYWORDS: ReadonlySet<string> = new Set(['fail', 'continue', 'skip', 'retry']);
const INPUT_TYPES: ReadonlySet<string> = new Set(['string', 'integer', 'number', 'boolean', 'array', 'object']);

const schemaPath = path.resolve(__dirname, '..', '..', 'schema', 'pipeline.schema.json');
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

function describeLocation(segments: YamlPath, document: PlainObject): string {
  if (segments[0] === 'steps' && typeof segments[1] === 'number') {
    const steps = document.steps as unknown[];
    const step = steps[segments[1]];
    const id = isPlainObject(step) && typeof step.id === 'string' ? `'${step.id}'` : `#${segments[1] + 1}`;
    return `in step ${id}`;
  }
  if (segments.length === 0) return 'at the top level';
  return `in ${segments.filter((segment) => typeof segment === 'string').join('.')}`;
}

function structureDiagnostics(source: PipelineSource, document: PlainObject): Diagnostic[] {
  const validate = structureValidator();
  if (validate(document)) return [];
  const all = validate.errors ?? [];
  // An anyOf says it best ("must be a type or a spec"); drop what its branches said about the same value.
  const anyOfPaths = all.filter((error) => error.keyword === 'anyOf').map((error) => error.instancePath);
  const errors = all.filter(
    (error) => error.keyword === 'anyOf' || !anyOfPaths.some((path) => error.instancePath === path || error.instancePath.startsWith(`${path}/`)),
  );
  const diagnostics: Diagnostic[] = [];
  const seen = new Set<string>();
  for (const error of errors as ErrorObject[]) {
    const at = pointerToPath(error.instancePath);
    const where = describeLocation(at, document);
    let diagnostic: Diagnostic;
    if (error.keyword === 'additionalProperties') {
      const key = String(error.params.additionalProperty);
      const known = Object.keys((error.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      diagnostic = diagnosticAt(source, 'UNKNOWN_KEY', `unknown key '${key}' ${where}${didYouMean(key, known)}`, [...at, key], source.positionOfKey(at, key));
    } else if (error.keyword === 'required') {
      const missing = String(error.params.missingProperty);
      diagnostic = diagnosticAt(source, 'MISSING_FIELD', `missing required '${missing}' ${where}`, at);
    } else if (error.keyword === 'pattern' && (at[at.length - 1] === 'id' || at.length === 1 && at[0] === 'name')) {
      const what = at.length === 1 ? 'pipeline name' : 'step id';
      diagnostic = diagnosticAt(source, 'BAD_ID', `bad ${what} '${String(error.data)}': use a letter followed by letters, digits, '_' or '-'`, at);
    } else if (error.keyword === 'pattern' && at[at.length - 1] === 'url') {
      diagnostic = diagnosticAt(source, 'INVALID_VALUE', `'${formatPath(at)}' must be an http:// or https:// URL, not '${String(error.data)}'`, at);
    } else if (error.keyword === 'anyOf') {
      const name = at[at.length - 1];
      diagnostic = diagnosticAt(
        source,
        'INVALID_VALUE',
        `input '${String(name)}' must be a type (${[...INPUT_TYPES].join(', ')}) or a spec { type, required, default, enum, description }`,
        at,
      );
    } else {
      diagnostic = diagnosticAt(source, 'INVALID_VALUE', `'${at.join('.') || 'pipeline'}' ${error.message ?? 'is invalid'}`, at);
    }
    const key = `${diagnostic.code}:${diagnostic.path}:${diagnostic.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      diagnostics.push(diagnostic);
    }
  }
  return diagnostics;
}

function normalizeInputs(source: PipelineSource, raw: unknown): Record<string, InputSpec> {
  const inputs: Record<string, InputSpec> = {};
  if (!isPlainObject(raw)) return inputs;
  for (const [name, spec] of Object.entries(raw)) {
    const position = source.positionOfKey(['inputs'], name);
    const declaredAt = { ...position, path: `inputs.${name}` };
    if (typeof spec === 'string' && INPUT_TYPES.has(spec)) {
      inputs[name] = { type: spec as InputType, required: false, declaredAt };
    } else if (isPlainObject(spec)) {
      const type = typeof spec.type === 'string' && INPUT_TYPES.has(spec.type) ? (spec.type as InputType) : 'string';
      inputs[name] = {
        type,
        required: spec.required === true,
        ...(spec.default !== undefined ? { default: spec.default } : {}),
        ...(Array.isArray(spec.enum) ? { enum: spec.enum } : {}),
        ...(typeof spec.description === 'string' ? { description: spec.description } : {}),
        declaredAt,
      };
    } else {
      // A bad declaration is reported by the schema check; keep the name so templates using it are not also wrong.
      inputs[name] = { type: 'string', required: false, declaredAt };
    }
  }
  return inputs;
}

function budgetOf(value: unknown): Budget | null {
  if (!isPlainObject(value)) return null;
  return {
    ...(typeof value.tokens === 'number' ? { tokens: value.tokens } : {}),
    ...(typeof value.cost_usd === 'number' ? { costUsd: value.cost_usd } : {}),
  };
}

function stringList(value: unknown): string[] | undefined {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : undefined;
}

function actionKindOf(action: string): ActionKind {
  if (/\s/.test(action.trim()) || containsTemplate(action)) return 'prompt';
  if (BUILT_IN_ACTIONS.has(action)) return action as ActionKind;
  return 'named';
}

/**
 * Plural-looking field names are lists; everything else is text (what a small model can fill). Bounds keep a
 * model that starts repeating itself from running past its token limit inside the JSON.
 */
function inferredFieldSchema(field: string): JsonSchema {
  return /[a-z]s$/.test(field) && !/(ss|us|is|status|analysis)$/.test(field)
    ? { type: 'array', items: { type: 'string', maxLength: 120 }, maxItems: 6 }
    : { type: 'string', maxLength: 800 };
}

interface TemplateScope {
  step?: string;
  inForEach: boolean;
  isHandler: boolean;
}

interface Reader {
  references: Map<string, Reference>;
  /** Step ids read by this step's templates (dependencies). */
  stepsRead: Set<string>;
}

export interface CompileOptions {
  file?: string;
  /** The models that exist (from models.yaml): with it, a model no provider or catalog entry knows is an error. */
  models?: KnownModels;
}

export function compilePipeline(text: string, options: CompileOptions = {}): CompileResult {
  try {
    return compileText(text, options);
  } catch (error) {
    // The YAML parser and the checks recurse once per level of nesting: a file nested deeper than the call stack
    // (fuzzing found `a: a: a: …` thousands deep on one line) is an author's error to report, not a crash.
    if (error instanceof RangeError && /call stack/i.test(error.message)) return { ok: false, diagnostics: [nestedTooDeeply(text)] };
    throw error;
  }
}

/** Where a too-deep nesting most likely is: the longest line (a run of `key: ` or of brackets). */
function nestedTooDeeply(text: string): Diagnostic {
  const lines = text.split('\n');
  let longest = 0;
  lines.forEach((line, index) => {
    if (line.length > lines[longest]!.length) longest = index;
  });
  return {
    code: 'YAML_SYNTAX',
    message: 'malformed YAML: nested too deeply to read (thousands of levels of `key: key: …`, brackets or indentation); the longest line is here',
    path: '(root)',
    line: longest + 1,
    column: 1,
  };
}

function compileText(text: string, options: CompileOptions): CompileResult {
  const parsed = PipelineSource.parse(text);
  const source = parsed.source;
  if (parsed.errors.length > 0) return { ok: false, diagnostics: parsed.errors };
  if (!isPlainObject(parsed.value)) {
    return {
      ok: false,
      diagnostics: [diagnosticAt(source, 'INVALID_VALUE', 'a pipeline file must be a YAML mapping with at least `name` and `steps`', [])],
    };
  }
  const document = parsed.value;
  const diagnostics: Diagnostic[] = structureDiagnostics(source, document);
  const report = (code: Diagnostic['code'], message: string, at: YamlPath, position = source.positionOf(at)): void => {
    diagnostics.push(diagnosticAt(source, code, message, at, position));
  };

  const rawSteps: PlainObject[] = Array.isArray(document.steps) ? document.steps.map((step) => (isPlainObject(step) ? step : {})) : [];
  const configKey = isPlainObject(document.config) ? 'config' : 'context';
  const rawConfig: PlainObject = isPlainObject(document[configKey]) ? (document[configKey] as PlainObject) : {};
  const mcpServers = compileMcpServers(
    [
      { raw: rawConfig.mcp_servers, at: [configKey, 'mcp_servers'] },
      { raw: document.mcp_servers, at: ['mcp_servers'] },
    ],
    report,
    options.file ?? null,
  );
  const keyPosition = (mapPath: YamlPath, key: string): ReturnType<PipelineSource['positionOfKey']> => source.positionOfKey(mapPath, key);
  const agents = compileAgents(document.agents, report, keyPosition, Object.keys(mcpServers), options.file ?? null);

  // Ids, duplicates and the handler set come first: every later check refers to them.
  const stepIndex = new Map<string, number>();
  rawSteps.forEach((step, index) => {
    if (typeof step.id !== 'string') return;
    if (stepIndex.has(step.id)) {
      report('DUPLICATE_ID', `duplicate step id '${step.id}' (first used by step #${stepIndex.get(step.id)! + 1})`, ['steps', index, 'id']);
    } else {
      stepIndex.set(step.id, index);
    }
  });
  const stepIds = [...stepIndex.keys()];
  const handlers = new Set<string>();
  rawSteps.forEach((step, index) => {
    const onFailure = step.on_failure;
    if (typeof onFailure !== 'string' || ON_FAILURE_KEYWORDS.has(onFailure)) return;
    if (stepIndex.has(onFailure) && onFailure !== step.id) handlers.add(onFailure);
    else {
      report(
        'UNKNOWN_HANDLER',
        `on_failure '${onFailure}' is neither fail, continue, skip, retry nor another step's id${didYouMean(onFailure, [...ON_FAILURE_KEYWORDS, ...stepIds])}`,
        ['steps', index, 'on_failure'],
      );
    }
  });

  const inputsDeclared = isPlainObject(document.inputs);
  const inputs = normalizeInputs(source, document.inputs);
  const implicitInputs = new Map<string, { line: number; column: number; path: string }>();
  const fieldsRead = new Map<string, Set<string>>();

  // AUTO tags may stand only as a whole parameter value or as a step's model/timeout/max_retries/max_parallel/replicates.
  const autoTags: AutoTag[] = [];
  const scanForAutoTags = (value: unknown, at: Array<string | number>): void => {
    if (typeof value === 'string') {
      const tag = parseAutoTag(value);
      if (tag.kind === 'none') return;
      if (tag.kind === 'error') {
        report('AUTO_TAG', tag.message, at, source.positionInString(at, tag.index));
        return;
      }
      const inParameters = at[0] === 'steps' && at[2] === 'parameters' && at.length > 3;
      const field = at[0] === 'steps' && at.length === 3 ? (AUTO_FIELDS as readonly unknown[]).includes(at[2]) ? (at[2] as AutoField) : undefined : undefined;
      if (!inParameters && !field) {
        report(
          'AUTO_TAG',
          `an <AUTO> tag cannot stand in '${at.filter((segment) => typeof segment === 'string').join('.')}'; it may be the whole value of a parameter or of a step's ${AUTO_FIELDS.join(', ')}`,
          at,
        );
        return;
      }
      const step = rawSteps[at[1] as number];
      const stepId = typeof step?.id === 'string' ? step.id : null;
      const keys = inParameters ? at.slice(3) : [];
      const lastKey = [...keys].reverse().find((key): key is string => typeof key === 'string');
      autoTags.push({
        path: `steps.${stepId}.${inParameters ? 'parameters.' : ''}${(inParameters ? keys : [field!]).map(String).join('.')}`,
        step: stepId,
        target: inParameters ? { kind: 'parameter', keys } : { kind: 'field', field: field! },
        description: tag.tag.description,
        schema: autoTagSchema(tag.tag, lastKey, field),
        ...(tag.tag.attributes.task !== undefined ? { task: tag.tag.attributes.task } : {}),
      });
      return;
    }
    if (Array.isArray(value)) value.forEach((item, index) => scanForAutoTags(item, [...at, index]));
    else if (isPlainObject(value)) for (const [key, item] of Object.entries(value)) scanForAutoTags(item, [...at, key]);
  };
  scanForAutoTags(document, []);

  const readTemplate = (text: string, at: YamlPath, scope: TemplateScope, reader: Reader): void => {
    if (!containsTemplate(text)) return;
    const parsedTemplate = parseTemplate(text);
    if (!parsedTemplate.ok) {
      report('TEMPLATE_SYNTAX', `template syntax error: ${parsedTemplate.message}`, at, source.positionInString(at, parsedTemplate.index));
      return;
    }
    for (const reference of parsedTemplate.references) {
      const position = source.positionInString(at, reference.index);
      const [root, ...rest] = reference.path as [string, ...string[]];
      if (TEMPLATE_GLOBALS.has(root) && !stepIndex.has(root) && !inputs[root]) continue;
      const readStep = (stepId: string, fieldPath: string[]): void => {
        if (stepId === scope.step) {
          report('CYCLE', `step '${stepId}' refers to its own result`, at, position);
          return;
        }
        if (scope.step !== undefined && handlers.has(stepId)) {
          report('INVALID_VALUE', `step '${scope.step}' reads '${stepId}', which only runs as another step's on_failure handler`, at, position);
          return;
        }
        const [first, second] = fieldPath;
        if (first === 'evidence') {
          const target = rawSteps[stepIndex.get(stepId)!];
          if (target?.replicates === undefined && target?.models === undefined) {
            report('UNKNOWN_REFERENCE', `'${stepId}.evidence' exists only for a step with 'replicates'`, at, position);
            return;
          }
          if (second !== undefined && !EVIDENCE_FIELDS.has(second)) {
            report('UNKNOWN_REFERENCE', `'${stepId}.evidence' has no field '${second}'${didYouMean(second, EVIDENCE_FIELDS)}`, at, position);
            return;
          }
        }
        reader.references.set(`step:${stepId}`, { kind: 'step', step: stepId });
        reader.stepsRead.add(stepId);
        const field = first !== undefined && STEP_RESULT_KEYS.has(first) ? second : first !== undefined && !STEP_META_KEYS.has(first) ? first : undefined;
        if (field !== undefined && !/^\d+$/.test(field)) {
          const fields = fieldsRead.get(stepId) ?? new Set<string>();
          fields.add(field);
          fieldsRead.set(stepId, fields);
        }
      };
      const readInput = (name: string): void => {
        if (!inputsDeclared && !inputs[name] && !implicitInputs.has(name)) {
          implicitInputs.set(name, { ...position, path: formatPath(at) });
        }
        reader.references.set(`input:${name}`, { kind: 'input', name });
      };
      const unknown = (name: string, what: string, candidates: Iterable<string>): void => {
        report('UNKNOWN_REFERENCE', `template refers to unknown ${what} '${name}'${didYouMean(name, candidates)}`, at, position);
      };
      if (root === 'inputs') {
        const name = rest[0];
        if (name === undefined) Object.keys(inputs).forEach(readInput);
        else if (inputsDeclared && !inputs[name]) unknown(name, 'input', Object.keys(inputs));
        else readInput(name);
      } else if (root === 'steps') {
        const stepId = rest[0];
        if (stepId === undefined) report('UNKNOWN_REFERENCE', 'template must name a step: steps.STEP.result', at, position);
        else if (!stepIndex.has(stepId)) unknown(stepId, 'step', stepIds);
        else readStep(stepId, rest.slice(1));
      } else if (stepIndex.has(root)) {
        readStep(root, rest);
      } else if (root === 'item' || root === 'index') {
        if (!scope.inForEach) report('ITEM_OUTSIDE_FOR_EACH', `'${root}' is only defined in a step with for_each`, at, position);
      } else if (root === 'failed') {
        if (!scope.isHandler) report('UNKNOWN_REFERENCE', `'failed' is only defined in a step that handles another step's failure (on_failure)`, at, position);
      } else if (inputs[root]) {
        readInput(root);
      } else if (!inputsDeclared) {
        readInput(root);
      } else {
        unknown(root, 'input, step or variable', ['inputs', 'steps', ...Object.keys(inputs), ...stepIds]);
      }
    }
  };

  const readValue = (value: unknown, at: Array<string | number>, scope: TemplateScope, reader: Reader): void => {
    if (typeof value === 'string') {
      if (parseAutoTag(value).kind === 'none') readTemplate(value, at, scope, reader);
    } else if (Array.isArray(value)) value.forEach((item, index) => readValue(item, [...at, index], scope, reader));
    else if (isPlainObject(value)) for (const [key, item] of Object.entries(value)) readValue(item, [...at, key], scope, reader);
  };

  const defaultTimeout = (() => {
    if (rawConfig.timeout === undefined) return DEFAULT_TIMEOUT_SECONDS;
    const seconds = parseDuration(rawConfig.timeout);
    if (seconds === undefined) {
      report('BAD_DURATION', badDurationMessage(rawConfig.timeout), [configKey, 'timeout']);
      return DEFAULT_TIMEOUT_SECONDS;
    }
    return seconds;
  })();
  const defaultRetries = typeof rawConfig.max_retries === 'number' ? rawConfig.max_retries : DEFAULT_MAX_RETRIES;

  const ttlOf = (value: unknown, at: YamlPath): number | undefined => {
    if (value === undefined) return undefined;
    const seconds = parseDuration(value);
    if (seconds === undefined) report('BAD_DURATION', badDurationMessage(value), at);
    return seconds;
  };
  const configCacheTtl = ttlOf(rawConfig.cache_ttl, [configKey, 'cache_ttl']) ?? DEFAULT_CACHE_TTL_SECONDS;
  /** Spec section 9: a step's own `cache_results`/`cache_ttl` win over config's; only CACHEABLE_ACTIONS are cached. */
  const cachePolicyOf = (step: PlainObject, actionKind: ActionKind, at: (...rest: Array<string | number>) => YamlPath): CompiledStep['cache'] => {
    const ttlSeconds = ttlOf(step.cache_ttl, at('cache_ttl')) ?? configCacheTtl;
    const cacheable = CACHEABLE_ACTIONS.has(actionKind);
    if (!cacheable && (step.cache_results === true || step.cache_ttl !== undefined)) {
      const key = step.cache_results === true ? 'cache_results' : 'cache_ttl';
      report('INVALID_VALUE', `'${key}' does not apply to action ${actionKind}: only LLM, run_code and mcp steps are cached`, at(key));
    }
    const enabled = typeof step.cache_results === 'boolean' ? step.cache_results : rawConfig.cache_results === true;
    return cacheable && enabled ? { ttlSeconds } : null;
  };

  const compiledSteps: CompiledStep[] = [];
  const dependencies = new Map<string, string[]>();
  rawSteps.forEach((step, index) => {
    const id = typeof step.id === 'string' ? step.id : `#${index + 1}`;
    const at = (...rest: Array<string | number>): Array<string | number> => ['steps', index, ...rest];
    const isHandler = handlers.has(id);
    const inForEach = step.for_each !== undefined && step.for_each !== null;
    const scope: TemplateScope = { step: id, inForEach, isHandler };
    const reader: Reader = { references: new Map(), stepsRead: new Set() };
    const action = typeof step.action === 'string' ? step.action : '';
    const actionKind = actionKindOf(action);
    if (actionKind === 'run_code') checkRunCodeStep(step, ['steps', index], report, (mapPath, key) => source.positionOfKey(mapPath, key));
    if (actionKind === 'mcp') checkMcpStep(step, ['steps', index], report, (mapPath, key) => source.positionOfKey(mapPath, key), Object.keys(mcpServers));
    const agentStep =
      actionKind === 'agent' || actionKind === 'agents'
        ? compileAgentStep(step, actionKind, ['steps', index], report, keyPosition, agents, Object.keys(mcpServers), options.file ?? null)
        : null;
    if (actionKind === 'prompt') readTemplate(action, at('action'), scope, reader);
    readValue(step.parameters, at('parameters'), scope, reader);
    const expectation = compileExpect(step, at, report, keyPosition, (value, where) => readValue(value, [...where], scope, reader));
    if (typeof step.when === 'string') readTemplate(step.when, at('when'), scope, reader);
    const forEachReader: Reader = { references: new Map(), stepsRead: new Set() };
    if (inForEach) readValue(step.for_each, at('for_each'), { ...scope, inForEach: false }, forEachReader);
    if (typeof step.model === 'string' && parseAutoTag(step.model).kind === 'none') readTemplate(step.model, at('model'), scope, reader);

    const explicit: string[] = [];
    for (const dependencyKey of ['depends_on', 'dependencies'] as const) {
      const declared = Array.isArray(step[dependencyKey]) ? (step[dependencyKey] as unknown[]) : [];
      declared.forEach((dependency, position) => {
        if (typeof dependency !== 'string') return;
        if (!stepIndex.has(dependency)) {
          report('UNKNOWN_DEPENDENCY', `step '${id}' depends on unknown step '${dependency}'${didYouMean(dependency, stepIds)}`, at(dependencyKey, position));
        } else if (handlers.has(dependency) && dependency !== id) {
          report('INVALID_VALUE', `step '${id}' depends on '${dependency}', which only runs as another step's on_failure handler`, at(dependencyKey, position));
        } else {
          explicit.push(dependency);
        }
      });
    }
    const dependsOn = [...new Set([...explicit, ...reader.stepsRead, ...forEachReader.stepsRead])];
    if (stepIndex.get(id) === index) dependencies.set(id, dependsOn);

    const timeoutAt = at('timeout');
    let timeoutSeconds = defaultTimeout;
    if (step.timeout !== undefined && !(typeof step.timeout === 'string' && parseAutoTag(step.timeout).kind !== 'none')) {
      const seconds = parseDuration(step.timeout);
      if (seconds === undefined) report('BAD_DURATION', badDurationMessage(step.timeout), timeoutAt);
      else timeoutSeconds = seconds;
    }
    const cache = cachePolicyOf(step, actionKind, at);
    for (const field of ['max_retries', 'max_parallel', 'replicates'] as const) {
      const value = step[field];
      if (typeof value === 'string' && parseAutoTag(value).kind === 'none') {
        report('INVALID_VALUE', `'${field}' must be a whole number or an <AUTO> tag, not '${value}'`, at(field));
      }
    }

    let onFailure: OnFailure = { kind: 'fail' };
    if (typeof step.on_failure === 'string') {
      if (ON_FAILURE_KEYWORDS.has(step.on_failure)) onFailure = { kind: step.on_failure as 'fail' | 'continue' | 'skip' | 'retry' };
      else if (handlers.has(step.on_failure)) onFailure = { kind: 'handler', step: step.on_failure };
    }

    const replicates = compileReplicates(step, actionKind, (code, message, where) => report(code, message, where), at);
    const stepTags = autoTags.filter((tag) => tag.step === id);
    compiledSteps.push({
      id,
      name: typeof step.name === 'string' ? step.name : null,
      actionKind,
      action,
      parameters: isPlainObject(step.parameters) ? step.parameters : {},
      dependsOn,
      model: typeof step.model === 'string' || isPlainObject(step.model) ? (step.model as string | PlainObject) : null,
      outputSchema: isPlainObject(step.output_schema) ? step.output_schema : null,
      budget: budgetOf(step.budget),
      fallbackModels: stringList(step.fallback) ?? stringList(rawConfig.fallback_models) ?? [],
      timeoutSeconds,
      maxRetries: typeof step.max_retries === 'number' ? step.max_retries : defaultRetries,
      onFailure,
      isHandler,
      when: typeof step.when === 'string' || typeof step.when === 'boolean' ? step.when : null,
      forEach: typeof step.for_each === 'string' || Array.isArray(step.for_each) ? (step.for_each as string | unknown[]) : null,
      maxParallel: typeof step.max_parallel === 'number' ? step.max_parallel : null,
      temperature: typeof step.temperature === 'number' ? step.temperature : null,
      maxTokens: typeof step.max_tokens === 'number' ? step.max_tokens : null,
      references: [...reader.references.values()],
      forEachReferences: [...forEachReader.references.values()],
      autoTags: stepTags,
      cache,
      ...(agentStep ? { agent: agentStep } : {}),
      ...(replicates ? { replicates } : {}),
      ...expectation,
    });
  });

  const outputsReader: Reader = { references: new Map(), stepsRead: new Set() };
  const rawOutputs = isPlainObject(document.outputs) ? document.outputs : {};
  readValue(rawOutputs, ['outputs'], { inForEach: false, isHandler: false }, outputsReader);

  for (const members of findCycles(dependencies)) {
    const ordered = cycleOrder(members, dependencies);
    const chain = [...ordered, ordered[0]!].join(' -> ');
    for (const member of ordered) {
      const index = stepIndex.get(member);
      if (index === undefined) continue;
      report('CYCLE', `step '${member}' is in a dependency cycle: ${chain}`, ['steps', index, 'id']);
    }
  }

  if (options.models) {
    const checkModel = (value: unknown, at: YamlPath): void => {
      const problem = typeof value === 'string' ? modelNameProblem(value, options.models!) : undefined;
      if (problem) report('UNKNOWN_MODEL', problem, at);
    };
    const checkModels = (value: unknown, at: YamlPath): void => {
      if (Array.isArray(value)) value.forEach((model, position) => checkModel(model, [...at, position]));
    };
    checkModel(rawConfig.model, [configKey, 'model']);
    checkModel(rawConfig.auto_model, [configKey, 'auto_model']);
    checkModels(rawConfig.fallback_models, [configKey, 'fallback_models']);
    rawSteps.forEach((step, index) => {
      checkModel(step.model, ['steps', index, 'model']);
      checkModels(step.fallback, ['steps', index, 'fallback']);
      checkModels(step.models, ['steps', index, 'models']);
      checkModel(step.judge_model, ['steps', index, 'judge_model']);
      // An inline agent (`action: agent` without a named one) names its model among the parameters.
      if ((step.action === 'agent' || step.action === 'agents') && isPlainObject(step.parameters)) checkModel(step.parameters.model, ['steps', index, 'parameters', 'model']);
    });
    if (isPlainObject(document.agents)) {
      for (const [name, agent] of Object.entries(document.agents)) if (isPlainObject(agent)) checkModel(agent.model, ['agents', name, 'model']);
    }
  }

  if (diagnostics.length > 0) {
    diagnostics.sort((a, b) => a.line - b.line || a.column - b.column);
    return { ok: false, diagnostics };
  }

  for (const [name, declaredAt] of implicitInputs) {
    inputs[name] = { type: 'string', required: true, declaredAt };
  }
  // A step whose fields are read downstream is asked for structured output with those fields.
  for (const step of compiledSteps) {
    const fields = fieldsRead.get(step.id);
    if (!fields || step.outputSchema || !LLM_ACTIONS.has(step.actionKind)) continue;
    step.outputSchema = {
      type: 'object',
      properties: Object.fromEntries([...fields].map((field) => [field, inferredFieldSchema(field)])),
      required: [...fields],
    };
  }

  const scheduled = compiledSteps.map((step) => step.id);
  const pipeline: CompiledPipeline = {
    name: String(document.name),
    version: document.version === undefined ? null : String(document.version),
    description: typeof document.description === 'string' ? document.description : null,
    sourceFile: options.file ?? null,
    inputs,
    config: {
      model: typeof rawConfig.model === 'string' || isPlainObject(rawConfig.model) ? (rawConfig.model as string | PlainObject) : DEFAULT_MODEL,
      autoModel: typeof rawConfig.auto_model === 'string' ? rawConfig.auto_model : null,
      timeoutSeconds: defaultTimeout,
      maxRetries: defaultRetries,
      maxParallel: typeof rawConfig.max_parallel === 'number' ? rawConfig.max_parallel : DEFAULT_MAX_PARALLEL,
      temperature: typeof rawConfig.temperature === 'number' ? rawConfig.temperature : null,
      maxTokens: typeof rawConfig.max_tokens === 'number' ? rawConfig.max_tokens : null,
      budget: budgetOf(rawConfig.budget),
    },
    steps: compiledSteps,
    outputs: rawOutputs,
    outputReferences: [...outputsReader.references.values()],
    levels: executionLevels(scheduled, dependencies),
    autoTags,
    ...(Object.keys(mcpServers).length > 0 ? { mcpServers } : {}),
  };
  return { ok: true, pipeline, diagnostics: [], notes: noEffectNotes(source, rawConfig, configKey) };
}

export function compilePipelineFile(file: string, options: Omit<CompileOptions, 'file'> = {}): CompileResult {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    return {
      ok: false,
      diagnostics: [{ code: 'FILE_UNREADABLE', message: `cannot read file: ${(error as Error).message}`, path: '(root)', line: 1, column: 1 }],
    };
  }
  return compilePipeline(text, { ...options, file });
}

/** For callers that want an exception: the API and `orc run`. */
export function compileOrThrow(text: string, file = '<pipeline>'): CompiledPipeline {
  const result = compilePipeline(text, { file });
  if (!result.ok) throw new PipelineValidationError(file, result.diagnostics);
  return result.pipeline;
}

/**
 * `checkpoint_strategy` is accepted (spec section 1) and changes nothing: Temporal records each step's outcome as
 * it finishes, so every step is a checkpoint. The author is told so, at the key, rather than left to guess.
 */
function noEffectNotes(source: PipelineSource, rawConfig: PlainObject, configKey: string): Diagnostic[] {
  if (rawConfig.checkpoint_strategy === undefined) return [];
  const at: YamlPath = [configKey, 'checkpoint_strategy'];
  return [
    diagnosticAt(
      source,
      'NO_EFFECT',
      `checkpoint_strategy ${JSON.stringify(rawConfig.checkpoint_strategy)} changes nothing: every step is checkpointed (Temporal records each step's outcome as it finishes, and a resumed run starts after the last one)`,
      at,
      source.positionOfKey([configKey], 'checkpoint_strategy'),
    ),
  ];
}
