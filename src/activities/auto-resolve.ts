// Decides the values of a step's <AUTO> tags with a model, under each tag's JSON Schema.
import { Context } from '@temporalio/activity';
import { placeholderForSchema } from '../models/echo';
import type { ModelResolver } from '../models/registry';
import { emptyUsage, type ChatMessage } from '../models/types';
import { toApplicationFailure } from './errors';
import { schemaProblems } from './schema-check';
import type { ResolveAutoTagsInput, ResolvedAutoTag } from './types';

function summarize(value: unknown, limit = 600): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > limit ? `${text.slice(0, limit)}…` : text;
}

export function createAutoResolveActivities(dependencies: { models: ModelResolver }) {
  return {
    async resolveAutoTags(input: ResolveAutoTagsInput): Promise<ResolvedAutoTag[]> {
      const attempt = Context.current().info.attempt;
      const resolved: ResolvedAutoTag[] = [];
      for (const tag of input.tags) {
        if (input.placeholder) {
          resolved.push({ path: tag.path, value: placeholderForSchema(tag.schema, tag.description), model: 'placeholder', usage: emptyUsage() });
          continue;
        }
        try {
          const model = dependencies.models.resolve(input.model);
          const results = Object.entries(input.context.steps)
            .map(([id, view]) => `- ${id}: ${summarize(view.result)}`)
            .join('\n');
          const messages: ChatMessage[] = [
            { role: 'system', content: 'You choose one setting for a step of a pipeline. Answer with JSON only: {"value": ...}.' },
            {
              role: 'user',
              content: [
                input.pipelineDescription ? `Pipeline goal: ${input.pipelineDescription}` : '',
                `Step: ${input.step.id} (${input.step.action.slice(0, 300)})`,
                results ? `Results it builds on:\n${results}` : '',
                `Decide: ${tag.description}`,
                `The value must satisfy this JSON Schema: ${JSON.stringify(tag.schema)}`,
              ]
                .filter(Boolean)
                .join('\n'),
            },
          ];
          const jsonSchema = { type: 'object', properties: { value: tag.schema }, required: ['value'] };
          let response = await model.generate({ messages, jsonSchema, temperature: 0, maxTokens: 200 });
          let answer = response.json as { value?: unknown } | undefined;
          let problems = schemaProblems(jsonSchema, answer);
          const usage = { ...response.usage };
          if (problems !== null) {
            response = await model.generate({
              messages: [...messages, { role: 'assistant', content: response.text }, { role: 'user', content: `Invalid: ${problems}. Answer again.` }],
              jsonSchema,
              temperature: 0,
              maxTokens: 200,
            });
            answer = response.json as { value?: unknown } | undefined;
            problems = schemaProblems(jsonSchema, answer);
            usage.input_tokens += response.usage.input_tokens;
            usage.output_tokens += response.usage.output_tokens;
          }
          if (problems !== null) {
            throw new Error(`<AUTO> tag at ${tag.path} ("${tag.description}"): ${model.id} gave no valid value, twice: ${problems}`);
          }
          resolved.push({ path: tag.path, value: answer?.value, model: model.id, usage });
        } catch (error) {
          throw toApplicationFailure(error, { step: input.step.id, attempt });
        }
      }
      return resolved;
    },
  };
}
