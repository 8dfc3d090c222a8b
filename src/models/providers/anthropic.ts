// A LanguageModel for Anthropic's Messages API (Claude models), through the official SDK.
import Anthropic from '@anthropic-ai/sdk';
import type { ContentBlockParam, Message, MessageCreateParamsNonStreaming, MessageParam, Tool, ToolResultBlockParam } from '@anthropic-ai/sdk/resources/messages';
import { HOSTED_PROVIDERS } from '../../base/providers';
import { readSettings } from '../../base/settings';
import {
  cutOffNote,
  failedError,
  invalidResponseJsonError,
  isSyntaxError,
  missingKeyError,
  sdkModelError,
  tooLargeHint,
  unprocessableHint,
} from './provider-errors';
import { ModelError, splitSystem, type ChatMessage, type GenerateRequest, type GenerateResponse, type LanguageModel, type ToolCall } from '../types';

export interface AnthropicSettings {
  model: string;
  /** Defaults to ANTHROPIC_API_KEY from the worker's environment. */
  apiKey?: string;
  /** The API root without `/v1`, e.g. `https://api.anthropic.com`; defaults to ANTHROPIC_BASE_URL, then that. */
  baseURL?: string;
  fetch?: typeof fetch;
  /** Per request; 10 minutes when not given, as in the SDK. */
  timeoutMs?: number;
}

const provider = 'anthropic';
const { keyVariable } = HOSTED_PROVIDERS[provider];
/** Anthropic requires max_tokens on every request; this is what a step gets when it does not say. */
export const defaultAnthropicMaxTokens = 1024;
const defaultTimeoutMs = 10 * 60 * 1000;
/** The single tool structured output is forced through: its input is the answer. */
const answerToolName = 'answer';

export function createAnthropicModel(settings: AnthropicSettings): LanguageModel {
  const { model } = settings;
  const id = `${provider}:${model}`;
  let client: Anthropic | undefined;

  function clientFor(): Anthropic {
    if (client) return client;
    const apiKey = settings.apiKey ?? readSettings().apiKey(provider);
    if (!apiKey) {
      throw missingKeyError({ provider, model, keyVariable });
    }
    client = new Anthropic({
      // Passed explicitly so the SDK never falls back to ANTHROPIC_AUTH_TOKEN or credential profiles on disk.
      apiKey,
      baseURL: settings.baseURL ?? readSettings().baseUrl(provider),
      // Retries belong to Temporal, which sees every attempt and applies the pipeline's policy.
      maxRetries: 0,
      // Always explicit: without it the SDK refuses non-streaming requests whose max_tokens could take over 10 minutes.
      timeout: settings.timeoutMs ?? defaultTimeoutMs,
      ...(settings.fetch ? { fetch: settings.fetch } : {}),
    });
    return client;
  }

  async function generate(request: GenerateRequest): Promise<GenerateResponse> {
    const anthropic = clientFor();
    const { system, turns } = splitSystem(request.messages);
    const messages = wireMessages(turns);
    const tools = request.tools && request.tools.length > 0 ? request.tools : undefined;
    const answerSchema = request.jsonSchema && !tools ? toolInputSchema(request.jsonSchema) : undefined;
    const body: MessageCreateParamsNonStreaming = {
      model,
      max_tokens: request.maxTokens ?? defaultAnthropicMaxTokens,
      messages,
      ...(system ? { system } : {}),
      // request.temperature is not sent: API version 2026-10-21, which this SDK speaks, rejects temperature,
      // top_p and top_k with a 400 even at their defaults, so passing it on would fail every step that sets one.
      ...(answerSchema
        ? {
            tools: [{ name: answerToolName, description: 'Give your answer. Its input is the answer, in the required JSON shape.', input_schema: answerSchema.schema }],
            tool_choice: { type: 'tool', name: answerToolName },
          }
        : {}),
      ...(tools ? { tools: tools.map((tool) => ({ name: tool.name, description: tool.description, input_schema: tool.parameters as Tool.InputSchema })) } : {}),
    };

    let message: Message;
    try {
      message = await anthropic.messages.create(body, request.signal ? { signal: request.signal } : undefined);
    } catch (error) {
      if (request.signal?.aborted) throw request.signal.reason ?? error;
      throw toModelError(error, { model, baseURL: anthropic.baseURL, timeoutMs: anthropic.timeout });
    }
    // The SDK returns whatever a 200 carried; a proxy's HTML page or an empty body must not look like an answer.
    if (!message || typeof message !== 'object' || !Array.isArray(message.content)) {
      throw new ModelError(`${id} returned a response that is not a Messages API message (${anthropic.baseURL})`, {
        provider,
        model,
        isRetryable: true,
      });
    }

    const usage = {
      input_tokens: message.usage?.input_tokens ?? 0,
      output_tokens: message.usage?.output_tokens ?? 0,
      cost_usd: 0,
    };
    if (message.stop_reason === 'refusal') {
      const explanation = message.stop_details?.explanation;
      throw new ModelError(`${id} refused to answer${explanation ? `: ${explanation}` : ''}`, { provider, model, isRetryable: false });
    }
    if (!answerSchema) {
      const text = message.content.flatMap((block) => (block.type === 'text' ? [block.text] : [])).join('');
      const toolCalls: ToolCall[] = message.content.flatMap((block) =>
        block.type === 'tool_use' ? [{ id: block.id, name: block.name, arguments: (block.input ?? {}) as Record<string, unknown> }] : [],
      );
      return tools && toolCalls.length > 0 ? { text, usage, toolCalls } : { text, usage };
    }

    const toolUse = message.content.find((block) => block.type === 'tool_use' && block.name === answerToolName);
    if (!toolUse || toolUse.type !== 'tool_use' || toolUse.input === null || typeof toolUse.input !== 'object') {
      const cutOff = cutOffNote(message.stop_reason === 'max_tokens');
      throw new ModelError(`${id} did not answer through the ${answerToolName} tool where the schema asked for JSON.${cutOff}`, {
        provider,
        model,
        isRetryable: true,
      });
    }
    const json = answerSchema.wrapped ? (toolUse.input as { value?: unknown }).value : toolUse.input;
    return { text: JSON.stringify(json), json, usage };
  }

  return { id, provider, generate };
}

/**
 * Turns in the Messages API's shape: an assistant's tool calls as `tool_use` blocks, and the answers to them as
 * `tool_result` blocks of one user turn (the API wants every result of a turn together, right after it).
 */
function wireMessages(turns: ChatMessage[]): MessageParam[] {
  const messages: MessageParam[] = [];
  for (const message of turns) {
    if (message.role === 'tool') {
      const result: ToolResultBlockParam = { type: 'tool_result', tool_use_id: message.toolCallId ?? '', content: message.content };
      const previous = messages[messages.length - 1];
      if (previous && previous.role === 'user' && Array.isArray(previous.content) && previous.content.every((block) => block.type === 'tool_result')) {
        previous.content.push(result);
      } else {
        messages.push({ role: 'user', content: [result] });
      }
      continue;
    }
    if (message.role === 'assistant' && message.toolCalls && message.toolCalls.length > 0) {
      const blocks: ContentBlockParam[] = message.content ? [{ type: 'text', text: message.content }] : [];
      for (const call of message.toolCalls) blocks.push({ type: 'tool_use', id: call.id, name: call.name, input: call.arguments });
      messages.push({ role: 'assistant', content: blocks });
      continue;
    }
    messages.push({ role: message.role === 'assistant' ? 'assistant' : 'user', content: message.content });
  }
  return messages;
}

/** A tool's input must be an object; other schemas (arrays, strings) are wrapped as `{ value: ... }` and unwrapped after. */
function toolInputSchema(schema: Record<string, unknown>): { schema: Tool.InputSchema; wrapped: boolean } {
  if (schema.type === 'object') return { schema: schema as Tool.InputSchema, wrapped: false };
  return { schema: { type: 'object', properties: { value: schema }, required: ['value'] }, wrapped: true };
}

/** Anthropic says "prompt is too long: N tokens > M maximum" when the input does not fit the context window. */
const contextTooLong = /prompt is too long|context (window|length)|too many (input )?tokens/i;

function toModelError(error: unknown, context: { model: string; baseURL: string; timeoutMs: number }): ModelError {
  const { model, baseURL } = context;
  const base = { provider, model };
  const mapped = sdkModelError(error, Anthropic, {
    ...context,
    provider,
    detail: apiErrorDetail,
    keyVariable,
    contextTooLong,
    hints: { 413: tooLargeHint, 422: unprocessableHint },
  });
  if (mapped) return mapped;
  if (isSyntaxError(error)) return invalidResponseJsonError({ ...base, baseURL }, error.message);
  return failedError(error, base);
}

function apiErrorDetail(error: InstanceType<typeof Anthropic.APIError>): string {
  if (error.apiMessage) return error.apiMessage;
  const body = error.error;
  if (body && typeof body === 'object' && 'error' in body && body.error && typeof body.error === 'object' && 'message' in body.error) {
    const message = (body.error as { message: unknown }).message;
    if (typeof message === 'string') return message;
  }
  return '';
}
