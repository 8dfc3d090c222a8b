// Decides the values of a step's <AUTO> tags with a model, under each tag's JSON Schema.
import { Context } from '@temporalio/activity';
import type { AutoTag, JsonSchema } from '../base/compiled-pipeline';
import { placeholderForSchema } from '../models/echo';
import type { ModelResolver } from '../models/registry';
import type { ChatMessage } from '../models/types';
import { zeroUsage } from '../base/run-types';
import { autoCacheKey, noAutoValueCache, type AutoValueCache } from './auto-cache';
import { toApplicationFailure } from './errors';
import { keepHeartbeating } from './generate';
import { schemaProblems } from './schema-check';
import type { ResolveAutoTagsInput, ResolvedAutoTag } from './types';

export interface AutoResolveDependencies {
  models: ModelResolver;
  autoCache?: AutoValueCache;
}

/** Enough for the longest value the bounded schemas allow (4 items of 40 characters, 100-character text), with JSON around it. */
const RESOLUTION_MAX_TOKENS = 400;

function summarize(value: unknown, limit = 600): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > limit ? `${text.slice(0, limit)}…` : text;
}

function describeStep(input: ResolveAutoTagsInput): string {
  const { step } = input;
  const parameters = Object.entries(step.parameters)
    .filter(([, value]) => !(typeof value === 'string' && value.includes('<AUTO')))
    .map(([key, value]) => `${key}=${summarize(value, 120)}`)
    .join(', ');
  return `${step.id} (${step.actionKind === 'prompt' ? step.action.slice(0, 300) : step.action.replace(/_/g, ' ')})${parameters ? `; parameters: ${parameters}` : ''}`;
}

function promptFor(input: ResolveAutoTagsInput, tag: AutoTag): ChatMessage[] {
  const results = Object.entries(input.context.steps)
    .map(([id, view]) => `- ${id}: ${summarize(view.result)}`)
    .join('\n');
  const inputs = Object.entries(input.context.inputs)
    .map(([name, value]) => `- ${name}: ${summarize(value, 200)}`)
    .join('\n');
  const choices = Array.isArray(tag.schema.enum) ? `\nAnswer with one of: ${(tag.schema.enum as unknown[]).join(', ')}.` : '';
  return [
    { role: 'system', content: 'You choose one setting for a step of a pipeline. Answer with JSON only: {"value": ...}.' },
    {
      role: 'user',
      content: [
        input.pipelineDescription ? `Pipeline goal: ${input.pipelineDescription}` : '',
        `Step: ${describeStep(input)}`,
        inputs ? `Inputs:\n${inputs}` : '',
        results ? `Results it builds on:\n${results}` : '',
        `Decide: ${tag.description}${choices}`,
        `The value must satisfy this JSON Schema: ${JSON.stringify(tag.schema)}`,
      ]
        .filter(Boolean)
        .join('\n'),
    },
  ];
}

/**
 * The schema the model answers under. A bounded integer becomes the list of its values: grammar-constrained
 * decoding cannot express minimum/maximum, but it can an enum, so the answer is in range by construction.
 */
function answerSchema(schema: JsonSchema): JsonSchema {
  const { minimum, maximum } = schema as { minimum?: unknown; maximum?: unknown };
  if (schema.type === 'integer' && typeof minimum === 'number' && typeof maximum === 'number' && maximum - minimum <= 200 && maximum >= minimum) {
    const values = Array.from({ length: Math.floor(maximum) - Math.ceil(minimum) + 1 }, (_, index) => Math.ceil(minimum) + index);
    return { type: 'integer', enum: values };
  }
  return schema;
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
    const messages = promptFor(input, tag);
    const jsonSchema = { type: 'object', properties: { value: answerSchema(tag.schema) }, required: ['value'] };
    const key = autoCacheKey(model.id, messages, jsonSchema);
    const cached = cache.get(key);
    if (cached && schemaProblems(jsonSchema, { value: cached.value }) === null) {
      resolved.push({ path: tag.path, value: cached.value, model: model.id, usage: zeroUsage(), cached: true });
      continue;
    }
    let response = await model.generate({ messages, jsonSchema, temperature: 0, maxTokens: RESOLUTION_MAX_TOKENS });
    const usage = { ...response.usage };
    let answer = response.json as { value?: unknown } | undefined;
    let problems = schemaProblems(jsonSchema, answer);
    if (problems !== null) {
      response = await model.generate({
        messages: [...messages, { role: 'assistant', content: response.text }, { role: 'user', content: `That is invalid: ${problems}. Answer again.` }],
        jsonSchema,
        temperature: 0,
        maxTokens: RESOLUTION_MAX_TOKENS,
      });
      answer = response.json as { value?: unknown } | undefined;
      problems = schemaProblems(jsonSchema, answer);
      usage.input_tokens += response.usage.input_tokens;
      usage.output_tokens += response.usage.output_tokens;
    }
    if (problems !== null) {
      throw new Error(`<AUTO> tag at ${tag.path} ("${tag.description}"): ${model.id} gave no valid value, twice: ${problems}`);
    }
    cache.set(key, answer?.value);
    resolved.push({ path: tag.path, value: answer?.value, model: model.id, usage });
  }
  return resolved;
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
