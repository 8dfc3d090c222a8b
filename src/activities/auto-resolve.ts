// Decides the values of a step's <AUTO> tags with a model, under each tag's JSON Schema.
import { Context } from '@temporalio/activity';
import type { AutoTag, JsonSchema } from '../base/compiled-pipeline';
import { examplesInText } from '../compiler/auto-tags';
import { describeDegeneration, findDegeneration, reAskRecord, type ReAskRecord } from '../models/local/degeneration';
import { placeholderForSchema } from '../models/providers/echo';
import { worstCaseTokens } from '../models/local/json-budget';
import type { ModelResolver } from '../models/registry';
import type { ChatMessage, LanguageModel } from '../models/types';
import { addUsage, sumUsage, zeroUsage, type Usage } from '../base/run-types';
import { autoCacheKey, noAutoValueCache, type AutoValueCache } from './auto-cache';
import { toApplicationFailure } from './errors';
import { keepHeartbeating } from './generate';
import { schemaProblems } from './schema-check';
import type { ResolveAutoTagsInput, ResolvedAutoTag } from './types';

export interface AutoResolveDependencies {
  models: ModelResolver;
  autoCache?: AutoValueCache;
}

/** The most a resolution may take; the answer schema usually needs far less (see maxTokensFor). */
const RESOLUTION_MAX_TOKENS = 400;
/** The corrective re-ask samples, so it does not take the greedy path that led to the echo again. */
const REASK_TEMPERATURE = 0.6;
/** A free-text setting is a phrase: short enough that a small model cannot ramble or loop inside it. */
const PHRASE_MAX_LENGTH = 60;
/** A setting from an open set of examples ("csv, json, parquet, etc") is a word or two. */
const EXAMPLE_MAX_LENGTH = 24;

function summarize(value: unknown, limit = 600): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > limit ? `${text.slice(0, limit)}…` : text;
}

function humanize(name: string): string {
  return name.replace(/[_-]+/g, ' ').trim();
}

/** What an answer must not merely repeat: the setting's name and its description. */
function questionTexts(tag: AutoTag): string[] {
  return [settingName(tag), humanize(settingName(tag)), tag.description];
}

/** The step's purpose in a line: its name, or its prompt, or its action, and the settings already fixed. */
function describeStep(input: ResolveAutoTagsInput): string {
  const { step } = input;
  const parameters = Object.entries(step.parameters)
    .filter(([, value]) => !(typeof value === 'string' && value.includes('<AUTO')))
    .map(([key, value]) => `${humanize(key)} = ${summarize(value, 80)}`)
    .join('; ');
  const purpose = step.name ?? (step.actionKind === 'prompt' ? step.action.slice(0, 200) : humanize(step.action));
  return `${purpose}${parameters ? ` (${parameters})` : ''}`;
}

/** The tag's name in the pipeline: `languages` for `steps.code_parsing.parameters.languages`. */
function settingName(tag: AutoTag): string {
  return tag.path.split('.').pop() ?? tag.path;
}

function isStringList(schema: JsonSchema): boolean {
  return schema.type === 'array' && (schema.items as JsonSchema | undefined)?.type === 'string';
}

/**
 * The schema the model answers under: the tag's own, made tighter where a small model needs it, so every
 * answer still satisfies the tag's schema. A bounded integer or number becomes the list of its values
 * (grammar-constrained decoding cannot express minimum/maximum, but it can an enum); a free string becomes
 * a short phrase, or a word or two when the description lists examples.
 */
export function answerSchema(tag: AutoTag): JsonSchema {
  const { schema } = tag;
  const { minimum, maximum } = schema as { minimum?: unknown; maximum?: unknown };
  if (schema.type === 'integer' && typeof minimum === 'number' && typeof maximum === 'number' && maximum - minimum <= 200 && maximum >= minimum) {
    const values = Array.from({ length: Math.floor(maximum) - Math.ceil(minimum) + 1 }, (_, index) => Math.ceil(minimum) + index);
    return { type: 'integer', enum: values };
  }
  if (schema.type === 'number' && typeof minimum === 'number' && typeof maximum === 'number' && maximum > minimum) {
    // Twenty steps across the range, rounded so that 0.1 stays 0.1.
    const values = Array.from({ length: 21 }, (_, index) => Number((minimum + ((maximum - minimum) * index) / 20).toPrecision(6)));
    return { type: 'number', enum: values };
  }
  if (schema.type === 'string' && !Array.isArray(schema.enum)) {
    const declared = typeof schema.maxLength === 'number' ? schema.maxLength : Infinity;
    const limit = examplesInText(tag.description) ? EXAMPLE_MAX_LENGTH : PHRASE_MAX_LENGTH;
    return { ...schema, minLength: Math.max(typeof schema.minLength === 'number' ? schema.minLength : 0, 2), maxLength: Math.min(declared, limit) };
  }
  if (isStringList(schema)) {
    const items = schema.items as JsonSchema;
    return { ...schema, items: { ...items, minLength: Math.max(typeof items.minLength === 'number' ? items.minLength : 0, 2) } };
  }
  return schema;
}

/**
 * The form of the answer in words, and for a list a one-line example of the form. A small model copies any
 * example value verbatim, so examples are the description's own ("csv, json, parquet, etc") or none.
 */
function expectedForm(tag: AutoTag, schema: JsonSchema, named: boolean): string {
  const examples = examplesInText(tag.description);
  const name = humanize(settingName(tag));
  if (Array.isArray(schema.enum)) {
    const choices = (schema.enum as unknown[]).map((choice) => JSON.stringify(choice));
    if (choices.length > 12) return `Answer with one number from ${choices[0]} to ${choices[choices.length - 1]}: {"value": N}`;
    return `Answer with exactly one of: ${choices.join(', ')}.`;
  }
  switch (schema.type) {
    case 'boolean':
      return 'Answer true or false: {"value": true} or {"value": false}';
    case 'integer':
      return 'Answer with one whole number: {"value": N}';
    case 'number':
      return /(threshold|level|ratio|rate|score|weight|confidence)$/.test(settingName(tag))
        ? 'Answer with one number, usually between 0 and 1: {"value": N}'
        : 'Answer with one number: {"value": N}';
    case 'array': {
      const maxItems = typeof schema.maxItems === 'number' ? schema.maxItems : 4;
      return examples && examples.length >= 2
        ? `Answer with a JSON list of 1 to ${maxItems} short items, such as ${JSON.stringify(examples.slice(0, 2))}.`
        : `Answer with a JSON list of 1 to ${maxItems} short items: {"value": ["…", "…"]}`;
    }
    case 'object':
      return 'Answer with a small JSON object: {"value": {"name": value}}';
    default:
      return examples
        ? `Answer with one word or two, such as ${examples.map((example) => JSON.stringify(example)).join(', ')}.`
        : named
          ? `Q: What should the ${name} be? Reply with a concrete value in a few words, not the name of the setting.`
          : 'Reply with a concrete value in a few words.';
  }
}

/**
 * The question for one tag. `named: false` leaves the setting's name out (the task is its description alone):
 * the re-ask after an answer that only repeated the name, which a small model cannot then copy again.
 */
export function promptFor(input: ResolveAutoTagsInput, tag: AutoTag, schema: JsonSchema, named = true): ChatMessage[] {
  const results = Object.entries(input.context.steps)
    .map(([id, view]) => `- ${humanize(id)}: ${summarize(view.result, 300)}`)
    .join('\n');
  const inputs = Object.entries(input.context.inputs)
    .map(([name, value]) => `- ${humanize(name)}: ${summarize(value, 200)}`)
    .join('\n');
  return [
    { role: 'system', content: 'You choose one setting of a pipeline step. Answer with JSON only, in the form {"value": ...}.' },
    {
      role: 'user',
      content: [
        input.pipelineDescription ? `Pipeline goal: ${input.pipelineDescription}` : '',
        `Step: ${describeStep(input)}`,
        inputs ? `Inputs:\n${inputs}` : '',
        results ? `Results so far:\n${results}` : '',
        (named ? `Setting to choose: ${humanize(settingName(tag))}. ${tag.description}.` : `Task: ${tag.description}.`).replace(/\.\.$/, '.'),
        expectedForm(tag, schema, named),
      ]
        .filter(Boolean)
        .join('\n'),
    },
  ];
}

/** Tokens enough for the longest answer the schema allows, with room for the `{"value": …}` around it. */
function maxTokensFor(jsonSchema: JsonSchema): number {
  const worst = worstCaseTokens(jsonSchema);
  return Number.isFinite(worst) ? Math.min(RESOLUTION_MAX_TOKENS, Math.max(32, worst + 8)) : RESOLUTION_MAX_TOKENS;
}

/**
 * The value as a step receives it. A list names each thing once: a grammar cannot say so (uniqueItems), so
 * repeats are dropped. Template delimiters are taken out, because a value takes a parameter's place and
 * parameters are rendered: `{{ results.length }}` from the model must not become a reference.
 */
function cleanValue(value: unknown): unknown {
  if (typeof value === 'string') return value.replace(/\{\{|\}\}|\{%|%\}/g, '').trim() || value;
  if (!Array.isArray(value)) return value;
  const seen = new Set<string>();
  return value.map(cleanValue).filter((item) => {
    const key = typeof item === 'string' ? item.trim().toLowerCase() : JSON.stringify(item);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Resolves every tag of one step: a cached value, or the model's answer under the tag's schema (validated,
 * one repair attempt with the error fed back), or a placeholder for dry runs. Used by the activity and by
 * `orc compile --resolve`.
 */
export async function resolveAutoTagValues(input: ResolveAutoTagsInput, dependencies: AutoResolveDependencies): Promise<ResolvedAutoTag[]> {
  const cache = dependencies.autoCache ?? noAutoValueCache;
  const resolved: ResolvedAutoTag[] = [];
  for (const tag of input.tags) {
    if (input.placeholder) {
      resolved.push({ path: tag.path, value: placeholderForSchema(tag.schema, tag.description), model: 'placeholder', usage: zeroUsage() });
      continue;
    }
    const model = dependencies.models.resolve(input.model);
    const question = questionFor(input, tag);
    const key = autoCacheKey(model.id, question.messages, question.jsonSchema);
    const cached = cache.get(key);
    if (cached && schemaProblems(question.jsonSchema, { value: cached.value }) === null) {
      resolved.push({ path: tag.path, value: cached.value, model: model.id, usage: zeroUsage(), cached: true });
      continue;
    }
    const decided = await askForValue(model, input, tag, question);
    const value = cleanValue(decided.answer?.value);
    cache.set(key, value);
    resolved.push({ path: tag.path, value, model: model.id, usage: decided.usage, ...reAskRecord(decided.reAsk) });
  }
  return resolved;
}

interface TagQuestion {
  schema: JsonSchema;
  messages: ChatMessage[];
  jsonSchema: JsonSchema;
  maxTokens: number;
}

function questionFor(input: ResolveAutoTagsInput, tag: AutoTag): TagQuestion {
  const schema = answerSchema(tag);
  const jsonSchema = { type: 'object', properties: { value: schema }, required: ['value'] };
  return { schema, messages: promptFor(input, tag, schema), jsonSchema, maxTokens: maxTokensFor(jsonSchema) };
}

/**
 * The model's answer under the tag's schema: one repair attempt with the error fed back, then one re-ask when the
 * answer only echoes the question. `usage` is every call's, cost included.
 */
async function askForValue(model: LanguageModel, input: ResolveAutoTagsInput, tag: AutoTag, question: TagQuestion): Promise<{ answer: { value?: unknown } | undefined; usage: Usage; reAsk: ReAskRecord | undefined }> {
  const { messages, jsonSchema, maxTokens } = question;
  let response = await model.generate({ messages, jsonSchema, temperature: 0, maxTokens });
  const usage = sumUsage(response.usage);
  let reAsk = response.reAsk;
  let answer = response.json as { value?: unknown } | undefined;
  let problems = schemaProblems(jsonSchema, answer);
  if (problems !== null) {
    response = await model.generate({
      messages: [...messages, { role: 'assistant', content: response.text }, { role: 'user', content: `That is invalid: ${problems}. Answer again.` }],
      jsonSchema,
      temperature: 0,
      maxTokens,
    });
    addUsage(usage, response.usage);
    reAsk = response.reAsk ?? reAsk;
    answer = response.json as { value?: unknown } | undefined;
    problems = schemaProblems(jsonSchema, answer);
  }
  if (problems !== null) {
    throw new Error(`<AUTO> tag at ${tag.path} ("${tag.description}"): ${model.id} gave no valid value, twice: ${problems}`);
  }
  // The server's guard knows the prompt but not which part of it is the question; an answer that only
  // repeats the setting's name or description is asked once more here (sampled, and without the name to
  // copy), unless the server already re-asked.
  const echo = reAsk ? null : findDegeneration(answer?.value, { schema: tag.schema, instructions: questionTexts(tag), sources: Object.values(input.context.inputs).map((value) => summarize(value, 2000)) });
  if (echo) {
    const again = await model.generate({ messages: promptFor(input, tag, question.schema, false), jsonSchema, temperature: REASK_TEMPERATURE, maxTokens });
    addUsage(usage, again.usage);
    const next = again.json as { value?: unknown } | undefined;
    const still = findDegeneration(next?.value, { schema: tag.schema, instructions: questionTexts(tag) });
    if (schemaProblems(jsonSchema, next) === null) answer = next;
    reAsk = { retries: 1, reason: describeDegeneration(echo), ...(still ? { degenerate: describeDegeneration(still) } : {}) };
  }
  return { answer, usage, reAsk };
}

export function createAutoResolveActivities(dependencies: AutoResolveDependencies) {
  return {
    async resolveAutoTags(input: ResolveAutoTagsInput): Promise<ResolvedAutoTag[]> {
      const context = Context.current();
      const attempt = context.info.attempt;
      const heartbeat = keepHeartbeating(context);
      try {
        return await resolveAutoTagValues(input, dependencies);
      } catch (error) {
        throw toApplicationFailure(error, { step: input.step.id, attempt });
      } finally {
        clearInterval(heartbeat);
      }
    },
  };
}
