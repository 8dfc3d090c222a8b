// The LLM step activity: render the step's prompt from the values it refers to, call the model, check the answer.
import { Context } from '@temporalio/activity';
import type { ModelResolver } from '../models/registry';
import { recordOutcome, type CallOutcome } from '../models/selection';
import { selectionStatsFile, updateSelectionStats } from '../models/selection-stats';
import { reAskRecord, type ReAskRecord } from '../models/local/degeneration';
import type { ChatMessage, LanguageModel } from '../models/types';
import { sumUsage, zeroUsage, type Usage } from '../base/run-types';
import { toApplicationFailure } from './errors';
import { heartbeatLiveText, type LiveText } from './live-text';
import { renderText, renderValue, templateScope } from './render';
import { schemaProblems } from './schema-check';
import { noStepCache, type StepCache } from './step-cache';
import { expandStep } from '../base/compact-pipeline';
import type { ExecuteStepInput, ExecuteStepOutput, TransportedStepInput } from './types';

const STRUCTURED_MAX_TOKENS = 600;

function humanize(name: string): string {
  return name.replace(/[_-]+/g, ' ').trim();
}

function formatParameter(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** The prompt a step sends: its own text, or one made from its action name, plus its rendered parameters. */
export function buildPrompt(input: ExecuteStepInput, scope: Record<string, unknown>): string {
  const { step } = input;
  const parameters = renderValue(step.parameters, scope) as Record<string, unknown>;
  let task: string;
  const context = { ...parameters };
  if (step.actionKind === 'prompt') {
    task = renderText(step.action, scope);
  } else if (step.actionKind === 'generate') {
    task = formatParameter(context.prompt ?? '');
    delete context.prompt;
  } else {
    task = `Task: ${humanize(step.action)}${step.name ? ` (${step.name})` : ''}.`;
    if (input.pipelineDescription) task += `\nGoal of the pipeline: ${input.pipelineDescription}`;
  }
  const entries = Object.entries(context);
  if (entries.length === 0) return task;
  return `${task}\n\n${entries.map(([key, value]) => `${humanize(key)}: ${formatParameter(value)}`).join('\n')}`;
}

/**
 * The pipeline's goal is context the model needs; its name is not, and leaving it out lets two pipelines that ask
 * the same thing share cached answers (spec section 9).
 */
export function systemPrompt(input: ExecuteStepInput): string {
  const purpose = input.pipelineDescription ? ` Its goal: ${input.pipelineDescription}` : '';
  const format = input.step.outputSchema ? ' Answer with JSON only.' : ' Answer the task directly and briefly.';
  return `You are one step of a pipeline.${purpose}${format}`;
}

/** What is sent to the model: also what its cache key is made of. */
function modelRequest(input: ExecuteStepInput, scope: Record<string, unknown>) {
  const schema = input.step.outputSchema ?? undefined;
  const messages: ChatMessage[] = [
    { role: 'system', content: systemPrompt(input) },
    { role: 'user', content: buildPrompt(input, scope) },
  ];
  return {
    messages,
    ...(schema ? { jsonSchema: schema } : {}),
    ...(input.temperature !== null ? { temperature: input.temperature } : {}),
    ...(input.seed !== undefined ? { seed: input.seed } : {}),
    // JSON needs room to close its brackets: a structured answer gets more tokens unless the step says otherwise.
    ...(input.maxTokens !== null ? { maxTokens: input.maxTokens } : schema ? { maxTokens: STRUCTURED_MAX_TOKENS } : {}),
  };
}

async function generateChecked(model: LanguageModel, question: ReturnType<typeof modelRequest>, signal: AbortSignal, live?: LiveText): Promise<{ result: unknown; usage: Usage; reAsk?: ReAskRecord }> {
  const schema = question.jsonSchema;
  const { messages } = question;
  const request = { ...question, signal, ...(live ? { onText: (text: string) => live.onText(text) } : {}) };
  const first = await model.generate(request);
  const reAsk = first.reAsk ? { reAsk: first.reAsk } : {};
  if (!schema) return { result: first.text.trim(), usage: first.usage, ...reAsk };
  const problems = schemaProblems(schema, first.json);
  if (problems === null) return { result: first.json, usage: first.usage, ...reAsk };
  // One repair attempt with the validation error fed back, then the step fails.
  live?.nextCall();
  const repair = await model.generate({
    ...request,
    messages: [...messages, { role: 'assistant', content: first.text }, { role: 'user', content: `That JSON is invalid: ${problems}. Answer again with JSON that fixes this.` }],
  });
  const usage = sumUsage(first.usage, repair.usage);
  const repairProblems = schemaProblems(schema, repair.json);
  if (repairProblems !== null) {
    throw new Error(`${model.id} gave JSON that does not match the step's output schema, twice: ${repairProblems}`);
  }
  return { result: repair.json, usage, ...(repair.reAsk ? { reAsk: repair.reAsk } : reAsk) };
}

export interface GenerateDependencies {
  models: ModelResolver;
  /** Where outcomes of selected models are added up; `<data folder>/model-stats.json` by default. */
  selectionStatsFile?: string;
  /** The step result cache (none: steps are never cached). */
  stepCache?: StepCache;
}

export function createGenerateActivities(dependencies: GenerateDependencies) {
  const stepCache = dependencies.stepCache ?? noStepCache;
  /** Teaches selection how a model it chose did; losing one outcome is no reason to fail the step. */
  const learn = (modelId: string, outcome: CallOutcome): void => {
    try {
      updateSelectionStats((statistics) => recordOutcome(statistics, modelId, outcome), dependencies.selectionStatsFile ?? selectionStatsFile());
    } catch (error) {
      Context.current().log.warn('could not record the model call in the selection statistics', { error: String(error) });
    }
  };
  return {
    async executeLlmStep(transported: TransportedStepInput | ExecuteStepInput): Promise<ExecuteStepOutput> {
      const input = expandStepInput(transported);
      const context = Context.current();
      const attempt = context.info.attempt;
      const live = heartbeatLiveText(context, input.step.id, input.context.index ?? null);
      let startedAt: number | undefined;
      let modelId = input.model;
      try {
        const question = modelRequest(input, templateScope(input.context));
        const model = dependencies.models.resolve(input.model);
        modelId = model.id;
        const ask = async () => {
          startedAt = Date.now();
          const answer = await generateChecked(model, question, context.cancellationSignal, live);
          if (input.recordOutcome) learn(modelId, { success: true, latencyMs: Date.now() - startedAt, costUsd: answer.usage.cost_usd });
          return answer;
        };
        // The key holds the model as resolved (`local` -> local:smollm2-135m), so a name and its alias share entries.
        const { value, record } = await stepCache.answer(input.cache, () => ({ action: 'generate', model: model.id, ...question }), ask);
        // A cached answer cost nothing this time.
        const usage = record?.hit ? zeroUsage() : value.usage;
        // A re-ask of a degenerate answer happened in this call only when the answer was not cached.
        return { result: value.result, model: model.id, usage, attempt, ...(record ? { cache: record } : {}), ...(record?.hit ? {} : reAskRecord(value.reAsk)) };
      } catch (error) {
        // Only the model's own failures count: not a prompt that would not render, not a cancelled call.
        if (input.recordOutcome && startedAt !== undefined && !context.cancellationSignal.aborted) {
          learn(modelId, { success: false, latencyMs: Date.now() - startedAt, costUsd: 0 });
        }
        throw toApplicationFailure(error, { step: input.step.id, attempt });
      } finally {
        live.stop();
      }
    },
  };
}

/** A model call's input made whole: the step filled in, the fields left out as null. */
export function expandStepInput(input: TransportedStepInput | ExecuteStepInput): ExecuteStepInput {
  return {
    ...input,
    step: expandStep(input.step),
    pipelineDescription: input.pipelineDescription ?? null,
    temperature: input.temperature ?? null,
    maxTokens: input.maxTokens ?? null,
  };
}

/** Heartbeats while a model call runs, so Temporal can deliver a cancel (it aborts `cancellationSignal`). */
export function keepHeartbeating(context: Context): NodeJS.Timeout {
  const timer = setInterval(() => context.heartbeat(), 1000);
  timer.unref();
  return timer;
}
