// A dialect step as native step(s): LLM actions, tool steps, loops over blocks, conditions, on_error forms.
import { parseAutoTag } from '../auto-tags';
import { didYouMean, type Diagnostic } from '../diagnostics';
import type { YamlPath } from '../source';
import { isPlainObject, type PlainObject } from '../values';
import { MODEL_PROVIDERS } from '../../base/providers';
import { conditionExpression, rewriteTemplate, rewriteValue, type TemplateNames } from './templates';

/** The dialect's model actions (pyorc-dialect.md section 4), each a native `generate` step. */
export const LLM_ACTIONS: ReadonlySet<string> = new Set([
  'generate',
  'generate_text',
  'generate-text',
  'analyze_text',
  'analyze',
  'generate_structured',
  'generate-structured',
]);
/** Native actions a dialect file may not mean as a legacy prompt name. */
const NATIVE_BUILT_INS: ReadonlySet<string> = new Set(['run_code', 'mcp', 'approval', 'pipeline', 'agent', 'agents']);
/** Tools whose step `action` the Python orchestrator never reads: a missing one is `execute`. */
const ACTION_FREE_TOOLS: ReadonlySet<string> = new Set(['pipeline-executor', 'web-search', 'mcp-memory', 'mcp-server', 'report-generator']);
/** Step keys the Python orchestrator accepts and ignores (pyorc-dialect.md section 2.2). */
const INERT_STEP_KEYS: ReadonlySet<string> = new Set(['retry', 'retry_config', 'parallel', 'cache', 'add_completion_task', 'loop_name', 'metadata']);
/** Step keys copied as they are (the native language has them with the same meaning). */
const SHARED_STEP_KEYS: ReadonlySet<string> = new Set(['id', 'name', 'description', 'timeout', 'max_retries', 'on_failure', 'max_parallel', 'dependencies', 'on_false', 'on_success', 'goto']);
const PROVIDERS: ReadonlySet<string> = new Set([...MODEL_PROVIDERS, 'ollama', 'huggingface', 'dartmouth']);
const ON_ERROR_KEYS: ReadonlySet<string> = new Set([
  'handler_task_id',
  'handler_action',
  'fallback_value',
  'error_types',
  'error_patterns',
  'retry_with_handler',
  'continue_on_handler_failure',
  'action',
  'continue_on_error',
]);
const PRODUCED_EXTENSIONS: Record<string, string[]> = {
  pdf: ['pdf'],
  json: ['json'],
  markdown: ['md', 'markdown'],
  md: ['md', 'markdown'],
  html: ['html', 'htm'],
  csv: ['csv'],
  text: ['txt', 'text'],
  txt: ['txt', 'text'],
  png: ['png'],
  yaml: ['yaml', 'yml'],
};

export interface StepContext {
  names: TemplateNames;
  /** Each input's default, for settings the dialect lets a template fill (`max_iterations: "{{ n }}"`). */
  inputDefaults: Readonly<Record<string, unknown>>;
  /** Records where a native value came from (native path → dialect path). */
  map(native: YamlPath, original: YamlPath): void;
  error(code: Diagnostic['code'], message: string, at: YamlPath, key?: string | number): void;
  note(code: Diagnostic['code'], message: string, at: YamlPath, key?: string | number): void;
}

type Place = (step: PlainObject, origin: YamlPath) => YamlPath;

/** Normalises a list of dialect steps into `target` (the native list), tracing each back to its origin. */
export function normalizeSteps(raw: unknown, at: YamlPath, nativeAt: YamlPath, context: StepContext): unknown {
  if (!Array.isArray(raw)) return raw;
  const target: unknown[] = [];
  const place: Place = (step, origin) => {
    const native = [...nativeAt, target.length];
    target.push(step);
    context.map(native, origin);
    return native;
  };
  raw.forEach((step, index) => {
    if (isPlainObject(step)) normalizeStep(step, [...at, index], context, place);
    else place(step as PlainObject, [...at, index]);
  });
  return target;
}

function normalizeStep(raw: PlainObject, at: YamlPath, context: StepContext, place: Place): void {
  const step: PlainObject = {};
  const renamed: Array<[string, string]> = [];
  const id = typeof raw.id === 'string' ? raw.id : undefined;
  for (const [key, value] of Object.entries(raw)) {
    if (SHARED_STEP_KEYS.has(key)) step[key] = value;
    else if (INERT_STEP_KEYS.has(key)) context.note('NO_EFFECT', `'${key}' changes nothing (the Python orchestrator ignores it too)`, at, key);
  }
  if (typeof raw.goto === 'string' && parseAutoTag(raw.goto.trim()).kind !== 'none') {
    delete step.goto;
    context.note('NO_EFFECT', 'an <AUTO> goto is not followed: the steps run in their order', at, 'goto');
  }
  if (raw.depends_on !== undefined) step.depends_on = typeof raw.depends_on === 'string' ? [raw.depends_on] : raw.depends_on;
  if (raw.continue_on_error === true && raw.on_failure === undefined) {
    step.on_failure = 'continue';
    renamed.push(['on_failure', 'continue_on_error']);
  } else if (raw.continue_on_error !== undefined) context.note('NO_EFFECT', "'continue_on_error' changes nothing here", at, 'continue_on_error');
  checkProduces(raw, at, context);
  if (raw.requires_model !== undefined) {
    context.note('NO_EFFECT', "'requires_model' is not used to choose a model here: the step runs on its own `model` or the pipeline's", at, 'requires_model');
  }
  if (raw.on_error !== undefined) step.on_error = normalizeOnError(raw.on_error, [...at, 'on_error'], context);

  const items = raw.for_each ?? raw.foreach;
  if (items !== undefined) {
    const itemsKey = raw.for_each !== undefined ? 'for_each' : 'foreach';
    step.for_each = loopItems(items, id, step, [...at, itemsKey], context, place);
    if (itemsKey === 'foreach') renamed.push(['for_each', 'foreach']);
  }
  const loopKey = ['for_each', 'foreach', 'while', 'until'].find((key) => raw[key] !== undefined);
  const conditionLoop = raw.while !== undefined || raw.until !== undefined;
  // A tool called per item: a model step's `for_each` calls the model per item itself, a tool's runs as a block.
  const toolPerItem = items !== undefined && raw.steps === undefined && typeof raw.tool === 'string';
  if (loopKey !== undefined && Array.isArray(raw.steps)) normalizeLoopBlock(raw, step, at, context, renamed);
  else if (toolPerItem) {
    normalizeLoopBlock(raw, step, at, context, renamed);
    delete step.action;
  } else if (conditionLoop && raw.action !== undefined && raw.steps === undefined) {
    normalizeLoopBlock(raw, step, at, context, renamed);
    delete step.action;
    context.note('NO_EFFECT', "a while/until loop with an action runs that action as its one step (the Python orchestrator's schema refuses this form)", at, raw.while !== undefined ? 'while' : 'until');
  } else normalizeAction(raw, step, at, context, renamed);

  for (const key of Object.keys(raw)) {
    if (!KNOWN_STEP_KEYS.has(key)) step[key] = raw[key]; // the native compiler reports it, with a did-you-mean
  }
  const condition = raw.condition ?? raw.if;
  // A one-action loop whose condition reads the item decides per item: the condition goes to the body's step.
  const perItemCondition = Array.isArray(step.steps) && !Array.isArray(raw.steps) && typeof condition === 'string' && /(^|[^\w.])\$?(item|index)\b/.test(condition);
  if (condition !== undefined && !perItemCondition) {
    const conditionKey = raw.condition !== undefined ? 'condition' : 'if';
    const when = conditionStep(condition, id, step, [...at, conditionKey], context, place);
    step.when = when;
    step.when_skips = 'step';
    renamed.push(['when', conditionKey]);
  }
  const native = place(step, at);
  for (const [nativeKey, originalKey] of renamed) context.map([...native, nativeKey], [...at, originalKey]);
  if (Array.isArray(step.steps) && Array.isArray(raw.steps)) {
    // Children were normalised against a placeholder path; trace them from where the loop now stands.
    step.steps = normalizeSteps(raw.steps, [...at, 'steps'], [...native, 'steps'], context);
  } else if (Array.isArray(step.steps)) {
    // A loop written with one action: that action, with its parameters and model, is the body's one step.
    const body: PlainObject = { id: `${id ?? 'loop'}_body` };
    for (const key of ['action', 'tool', 'parameters', 'model', 'max_tokens', 'temperature']) if (raw[key] !== undefined) body[key] = raw[key];
    if (perItemCondition) body[raw.condition !== undefined ? 'condition' : 'if'] = condition;
    step.steps = normalizeSteps([body], at, [...native, 'steps'], context);
    for (const key of ['parameters', 'tool', 'model', 'max_tokens', 'temperature']) delete step[key];
  }
}

const KNOWN_STEP_KEYS: ReadonlySet<string> = new Set([
  ...SHARED_STEP_KEYS,
  ...INERT_STEP_KEYS,
  'depends_on',
  'continue_on_error',
  'produces',
  'location',
  'requires_model',
  'on_error',
  'condition',
  'if',
  'for_each',
  'foreach',
  'while',
  'until',
  'steps',
  'max_iterations',
  'tool',
  'action',
  'parameters',
  'model',
  'max_tokens',
  'temperature',
]);

/** A loop's items; AUTO text becomes a model step of its own, placed before the loop, that answers with the list. */
function loopItems(items: unknown, id: string | undefined, step: PlainObject, at: YamlPath, context: StepContext, place: Place): unknown {
  const tag = typeof items === 'string' ? parseAutoTag(items.trim()) : undefined;
  if (tag?.kind !== 'tag') return rewriteValue(items, context.names);
  const listId = `${id ?? 'loop'}_items`;
  const decider: PlainObject = {
    id: listId,
    action: 'generate',
    parameters: { prompt: `${rewriteTemplate(tag.tag.description, context.names)}\n\nAnswer with the list.` },
    output_schema: { type: 'object', properties: { list: { type: 'array', items: { type: 'string' } } }, required: ['list'] },
  };
  for (const key of ['depends_on', 'dependencies'] as const) if (step[key] !== undefined) decider[key] = step[key];
  const native = place(decider, at);
  context.map([...native, 'parameters', 'prompt'], at);
  return `{{ ${listId}.result.list }}`;
}

/** `for_each`/`foreach`/`while`/`until` with nested `steps`: a native loop step. */
function normalizeLoopBlock(raw: PlainObject, step: PlainObject, at: YamlPath, context: StepContext, renamed: Array<[string, string]>): void {
  for (const key of ['while', 'until'] as const) {
    const condition = raw[key];
    if (condition === undefined) continue;
    step[key] = typeof condition === 'string' ? loopCondition(condition, [...at, key], context) : condition;
  }
  if (raw.max_iterations !== undefined) step.max_iterations = maxIterations(raw.max_iterations, [...at, 'max_iterations'], context);
  step.steps = [];
  if (raw.action !== undefined) step.action = raw.action; // a loop with an action is refused by the native check, as by the dialect's schema
}

/** A loop's condition: AUTO text becomes a model's yes/no over the rendered description. */
function loopCondition(condition: string, at: YamlPath, context: StepContext): string | boolean {
  const tag = parseAutoTag(condition.trim());
  if (tag.kind === 'tag') {
    context.note('NO_EFFECT', 'an <AUTO> loop condition is read as its text: the loop runs until max_iterations unless the text renders to false', at);
    return rewriteTemplate(tag.tag.description, context.names);
  }
  return conditionExpression(condition, context.names);
}

/** `max_iterations` must be a number; a template of one input is read from that input's default. */
function maxIterations(value: unknown, at: YamlPath, context: StepContext): unknown {
  if (typeof value === 'number' || typeof value !== 'string') return value;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const input = /^\{\{\s*(?:inputs\.|parameters\.)?([A-Za-z_]\w*)\s*\}\}$/.exec(value.trim())?.[1];
  const fallback = input !== undefined ? Number(context.inputDefaults[input]) : NaN;
  if (Number.isInteger(fallback) && fallback > 0) {
    context.note('NO_EFFECT', `max_iterations is read once, from the default of input '${input}' (${fallback}): a value given at run time does not change it`, at);
    return fallback;
  }
  context.note('NO_EFFECT', `max_iterations '${value}' cannot be known before the run; the loop stops at 10 iterations`, at);
  return 10;
}

/** The action of a non-loop step: an LLM action, a tool, a legacy prompt name, or an AUTO prompt. */
function normalizeAction(raw: PlainObject, step: PlainObject, at: YamlPath, context: StepContext, renamed: Array<[string, string]>): void {
  const parameters = isPlainObject(raw.parameters) ? { ...raw.parameters } : raw.parameters;
  for (const key of ['model', 'max_tokens', 'temperature'] as const) if (raw[key] !== undefined) step[key] = raw[key];
  if (raw.steps !== undefined) step.steps = raw.steps;
  const tool = typeof raw.tool === 'string' ? raw.tool : raw.action === 'filesystem' ? 'filesystem' : undefined;
  if (tool !== undefined) {
    step.tool = tool;
    let action = raw.tool === undefined && isPlainObject(parameters) ? parameters.action : raw.action;
    if (raw.tool === undefined && isPlainObject(parameters)) delete parameters.action;
    if (action === undefined && ACTION_FREE_TOOLS.has(tool)) {
      action = 'execute';
      context.note('NO_EFFECT', `tool '${tool}' has no action; it runs as 'execute' (the Python orchestrator does not read this tool's action)`, at, 'tool');
    }
    if (action !== undefined) step.action = action;
    if (tool === 'pipeline-executor' && isPlainObject(parameters) && typeof parameters.pipeline === 'string' && parameters.pipeline.includes('\n')) {
      // An inline sub-pipeline's templates are the child's, rendered when it runs: the parent passes them on as text.
      // Its AUTO tags too: the markers are split by an empty raw block so the parent sees no tag, and renders them back.
      const hidden = parameters.pipeline.replace(/<(\/?)AUTO/g, '<{% endraw %}{% raw %}$1AUTO');
      parameters.pipeline = `{% raw %}${hidden}{% endraw %}`;
      const { pipeline, ...rest } = parameters;
      step.parameters = { ...(rewriteValue(rest, context.names) as PlainObject), pipeline };
      return;
    }
    if (parameters !== undefined) step.parameters = rewriteValue(parameters, context.names);
    return;
  }
  const action = raw.action;
  if (typeof action === 'string' && LLM_ACTIONS.has(action) && (isPlainObject(parameters) || parameters === undefined)) {
    modelStep(action, parameters ?? {}, step, at, context);
    return;
  }
  if (typeof action === 'string') {
    const tag = parseAutoTag(action.trim());
    if (tag.kind === 'tag') {
      context.note('NO_EFFECT', 'an <AUTO> action is a prompt to the model: its text is sent as the prompt', at, 'action');
      step.action = rewriteTemplate(tag.tag.description, context.names);
    } else if (NATIVE_BUILT_INS.has(action)) {
      context.error('INVALID_VALUE', `action '${action}' is not an action of the Python orchestrator`, [...at, 'action']);
      step.action = action;
    } else step.action = rewriteTemplate(action, context.names);
  } else if (action !== undefined) step.action = action;
  if (isPlainObject(parameters) && parameters.model !== undefined && step.model === undefined) {
    // A legacy prompt step names its model among its parameters, as the LLM actions do.
    const model = modelOf(parameters.model, [...at, 'parameters', 'model'], context);
    if (model !== undefined) step.model = model;
    delete parameters.model;
  } else if (step.model !== undefined) {
    const model = modelOf(step.model, [...at, 'model'], context);
    if (model === undefined) delete step.model;
    else step.model = model;
  }
  if (parameters !== undefined) step.parameters = rewriteValue(parameters, context.names);
}

/** generate / generate_text / analyze_text / generate_structured → native `generate` with the model settings lifted. */
function modelStep(action: string, parameters: PlainObject, step: PlainObject, at: YamlPath, context: StepContext): void {
  const rest: PlainObject = { ...parameters };
  const parametersAt = [...at, 'parameters'];
  const model = rest.model ?? step.model;
  delete rest.model;
  if (model !== undefined) {
    const modelValue = modelOf(model, parameters.model !== undefined ? [...parametersAt, 'model'] : [...at, 'model'], context);
    if (modelValue === undefined) delete step.model;
    else step.model = modelValue;
  }
  for (const key of ['max_tokens', 'temperature'] as const) {
    if (typeof rest[key] === 'number') {
      step[key] = rest[key];
      delete rest[key];
    }
  }
  for (const key of ['response_format', 'max_completion_tokens'] as const) {
    if (rest[key] !== undefined) {
      context.note('NO_EFFECT', `'${key}' changes nothing (the Python orchestrator ignores it for ${action})`, parametersAt, key);
      delete rest[key];
    }
  }
  if (rest.schema !== undefined) {
    step.output_schema = rest.schema;
    delete rest.schema;
  }
  if (action === 'analyze_text' || action === 'analyze') {
    const prompt = typeof rest.prompt === 'string' ? rest.prompt : `Analyze the following text${typeof rest.analysis_type === 'string' ? ` (${rest.analysis_type})` : ''}.`;
    if (rest.text !== undefined) rest.prompt = `${prompt}\n\nData:\n${typeof rest.text === 'string' ? rest.text : JSON.stringify(rest.text)}`;
    else rest.prompt = prompt;
    delete rest.text;
  }
  step.action = 'generate';
  step.parameters = rewriteValue(rest, context.names);
}

/** A model as the dialect names it: `provider/name` → `provider:name`; an AUTO choice → a requirement or the default. */
function modelOf(model: unknown, at: YamlPath, context: StepContext): unknown {
  if (typeof model !== 'string') return model;
  const trimmed = model.trim();
  if (trimmed === '<AUTO>' || trimmed === '<AUTO/>') {
    context.note('NO_EFFECT', "a bare <AUTO> model runs on the pipeline's default model", at);
    return undefined;
  }
  const tag = parseAutoTag(trimmed);
  if (tag.kind === 'tag' || /^<AUTO\b/.test(trimmed)) {
    const task = tag.kind === 'tag' ? tag.tag.attributes.task : /task\s*=\s*["']([^"']+)/.exec(trimmed)?.[1];
    if (task !== undefined) return { tasks: [task] };
    context.note('NO_EFFECT', "an <AUTO> model without a task runs on the pipeline's default model", at);
    return undefined;
  }
  const slash = /^([a-z][a-z0-9-]*)\/(.+)$/.exec(trimmed);
  if (slash && PROVIDERS.has(slash[1]!)) {
    context.note('NO_EFFECT', `model '${trimmed}' is read as '${slash[1]}:${slash[2]}' (a model is named provider:name)`, at);
    return `${slash[1]}:${slash[2]}`;
  }
  const family = /^(gpt-|o[134]\b|chatgpt-)/.test(trimmed) ? 'openai' : /^claude-/.test(trimmed) ? 'anthropic' : /^gemini-/.test(trimmed) ? 'google' : undefined;
  if (family !== undefined) {
    // The Python orchestrator's registry knows these bare names; here a model names its provider.
    context.note('NO_EFFECT', `model '${trimmed}' is read as '${family}:${trimmed}'`, at);
    return `${family}:${trimmed}`;
  }
  const ollama = /^ollama:(.+)$/.exec(trimmed)?.[1] ?? (/^[a-z][a-z0-9-]*[0-9.][a-z0-9.-]*:[a-z0-9.]+$/.test(trimmed) ? trimmed : undefined);
  if (ollama !== undefined) {
    context.note(
      'NO_EFFECT',
      `model '${trimmed}' is an Ollama model, and orc has no Ollama provider: the step runs on the embedded local model ('local'). To use Ollama, point OPENAI_BASE_URL at it and name the model openai:${ollama}`,
      at,
    );
    return 'local';
  }
  return rewriteTemplate(model, context.names);
}

/**
 * A step's condition as a native `when`. AUTO text becomes a model step of its own, placed before the step, whose
 * answer (true/false) decides; the model sees the condition's rendered description.
 */
function conditionStep(condition: unknown, id: string | undefined, step: PlainObject, at: YamlPath, context: StepContext, place: Place): unknown {
  if (typeof condition !== 'string') return condition;
  const tag = parseAutoTag(condition.trim());
  if (tag.kind !== 'tag') return conditionExpression(condition, context.names);
  const deciderId = `${id ?? 'step'}_condition`;
  const decider: PlainObject = {
    id: deciderId,
    action: 'generate',
    parameters: { prompt: `${rewriteTemplate(tag.tag.description, context.names)}\n\nAnswer with one word: true or false.` },
    max_tokens: 5,
  };
  for (const key of ['depends_on', 'dependencies'] as const) if (step[key] !== undefined) decider[key] = step[key];
  const native = place(decider, at);
  context.map([...native, 'parameters', 'prompt'], at);
  return `{{ ${deciderId}.result | trim | lower in ['true', 'yes', '1'] }}`;
}

/** on_error in its string, object and list forms; keys the native runner does not use are noted and dropped. */
function normalizeOnError(value: unknown, at: YamlPath, context: StepContext): unknown {
  if (typeof value === 'string') return rewriteTemplate(value, context.names);
  const handlers = Array.isArray(value) ? value : [value];
  const ordered = handlers
    .map((handler, index) => ({ handler, index, priority: isPlainObject(handler) && typeof handler.priority === 'number' ? handler.priority : Infinity }))
    .sort((a, b) => a.priority - b.priority || a.index - b.index);
  const normalized = ordered.map(({ handler, index }) => {
    const handlerAt = Array.isArray(value) ? [...at, index] : at;
    if (!isPlainObject(handler)) return handler;
    const kept: PlainObject = {};
    for (const [key, item] of Object.entries(handler)) {
      if (ON_ERROR_KEYS.has(key)) kept[key] = key === 'error_types' && typeof item === 'string' ? [item] : rewriteValue(item, context.names);
      else if (key !== 'priority') {
        context.note('NO_EFFECT', `on_error '${key}' changes nothing here${didYouMean(key, ON_ERROR_KEYS)}`, handlerAt, key);
      }
    }
    return kept;
  });
  return Array.isArray(value) ? normalized : normalized[0];
}

/** `produces` and `location` are metadata, but a type that contradicts the file's extension is an error. */
function checkProduces(raw: PlainObject, at: YamlPath, context: StepContext): void {
  if (typeof raw.produces !== 'string' || typeof raw.location !== 'string') return;
  const allowed = PRODUCED_EXTENSIONS[raw.produces.toLowerCase()];
  const extension = /\.([A-Za-z0-9]+)$/.exec(raw.location.replace(/\{\{[\s\S]*?\}\}/g, ''))?.[1];
  if (!allowed || extension === undefined || raw.location.trim().endsWith('}}')) return;
  if (!allowed.includes(extension.toLowerCase())) {
    context.error('INVALID_VALUE', `produces '${raw.produces}' contradicts location '${raw.location}' (a .${extension} file)`, [...at, 'produces']);
  }
}
