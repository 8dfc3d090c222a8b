// A LanguageModel for any OpenAI-compatible chat completions endpoint: OpenAI itself and the local model server.
import { isPlainObject } from '../../base/plain-object';
import OpenAI from 'openai';
import type { ChatCompletionCreateParamsNonStreaming, ChatCompletionCreateParamsStreaming, ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { HOSTED_PROVIDERS } from '../../base/providers';
import type { ReAskRecord } from '../local/degeneration';
import { jsonToolChoice, jsonToolTurns, toolChoiceSchema } from './json-tool-calls';
import { failedError, invalidResponseJsonError, isSyntaxError, jsonAnswer, sdkModelError, unprocessableHint } from './provider-errors';
import { ModelError, type ChatMessage, type GenerateRequest, type GenerateResponse, type LanguageModel, type ToolCall } from '../types';

export interface OpenAICompatibleSettings {
  /** The name callers use for this endpoint, e.g. `openai` or `local`. */
  provider: string;
  model: string;
  /** A fixed URL, or a function for endpoints that come and go (the local server starts on demand). */
  baseURL?: string | (() => Promise<string>);
  apiKey?: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
  /**
   * How tools are offered: `native` as OpenAI `tools` (the model answers with `tool_calls`); `json` as a
   * structured-output choice between the tools and a final answer, for servers without tool calling (the local model).
   */
  toolCalling?: 'native' | 'json';
}

/** Messages in OpenAI's shape: assistant tool calls as `tool_calls`, tool answers as `tool` messages. */
function wireMessages(messages: ChatMessage[]): ChatCompletionMessageParam[] {
  return messages.map((message): ChatCompletionMessageParam => {
    if (message.role === 'tool') return { role: 'tool', tool_call_id: message.toolCallId ?? '', content: message.content };
    if (message.role === 'assistant' && message.toolCalls && message.toolCalls.length > 0) {
      return {
        role: 'assistant',
        content: message.content || null,
        tool_calls: message.toolCalls.map((call) => ({ id: call.id, type: 'function', function: { name: call.name, arguments: JSON.stringify(call.arguments) } })),
      };
    }
    return { role: message.role, content: message.content } as ChatCompletionMessageParam;
  });
}

/** A call's arguments arrive as JSON text; text that is not a JSON object is passed on under `input` for the tool to refuse. */
function parsedArguments(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text || '{}');
    if (isPlainObject(value)) return value;
    return { input: value };
  } catch {
    return { input: text };
  }
}

/** The Chat Completions request for `request` (tools only when the server takes them natively). */
function chatRequestBody(provider: string, model: string, request: GenerateRequest, tools: GenerateRequest['tools']): ChatCompletionCreateParamsNonStreaming {
  return {
    model,
    messages: wireMessages(request.messages),
    ...(tools
      ? { tools: tools.map((tool) => ({ type: 'function' as const, function: { name: tool.name, description: tool.description, parameters: tool.parameters } })) }
      : {}),
    ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
    ...(request.seed !== undefined ? { seed: request.seed } : {}),
    // OpenAI's newer models reject max_tokens; most other compatible servers know only max_tokens.
    ...(request.maxTokens !== undefined
      ? provider === 'openai'
        ? { max_completion_tokens: request.maxTokens }
        : { max_tokens: request.maxTokens }
      : {}),
    ...(request.jsonSchema
      ? { response_format: { type: 'json_schema', json_schema: { name: 'answer', schema: request.jsonSchema, strict: false } } }
      : {}),
  };
}

export function createOpenAICompatibleModel(settings: OpenAICompatibleSettings): LanguageModel {
  const { provider, model } = settings;
  const id = `${provider}:${model}`;
  const clients = new Map<string, OpenAI>();

  function clientFor(baseURL: string | undefined): OpenAI {
    const key = baseURL ?? '';
    let client = clients.get(key);
    if (!client) {
      client = new OpenAI({
        ...(baseURL !== undefined ? { baseURL } : {}),
        // The SDK refuses to run without a key; servers that do not check one get a placeholder.
        apiKey: settings.apiKey ?? 'not-needed',
        // Retries belong to Temporal, which sees every attempt and applies the pipeline's policy.
        maxRetries: 0,
        ...(settings.timeoutMs !== undefined ? { timeout: settings.timeoutMs } : {}),
        ...(settings.fetch ? { fetch: settings.fetch } : {}),
      });
      clients.set(key, client);
    }
    return client;
  }

  async function resolveBaseURL(): Promise<string | undefined> {
    if (typeof settings.baseURL !== 'function') return settings.baseURL;
    try {
      return await settings.baseURL();
    } catch (error) {
      throw new ModelError(`${id}: the endpoint is not available: ${(error as Error).message}`, {
        provider,
        model,
        isRetryable: false,
      });
    }
  }

  async function generate(request: GenerateRequest): Promise<GenerateResponse> {
    const tools = request.tools && request.tools.length > 0 ? request.tools : undefined;
    if (tools && settings.toolCalling === 'json') return generateJsonToolChoice(request, tools);
    const baseURL = await resolveBaseURL();
    const client = clientFor(baseURL);
    const body = chatRequestBody(provider, model, request, tools);

    if (request.onText) return streamAnswer(client, body, request, request.onText);

    let completion: OpenAI.Chat.Completions.ChatCompletion;
    try {
      completion = await client.chat.completions.create(body, request.signal ? { signal: request.signal } : undefined);
    } catch (error) {
      if (request.signal?.aborted) throw request.signal.reason ?? error;
      throw toModelError(error, { provider, model, baseURL: client.baseURL, timeoutMs: client.timeout });
    }

    const usage = {
      input_tokens: completion.usage?.prompt_tokens ?? 0,
      output_tokens: completion.usage?.completion_tokens ?? 0,
      cost_usd: 0,
    };
    const choice = completion.choices[0];
    if (!choice) {
      throw new ModelError(`${id} returned no choices`, { provider, model, isRetryable: true });
    }
    if (choice.message.refusal) {
      throw new ModelError(`${id} refused to answer: ${choice.message.refusal}`, { provider, model, isRetryable: false });
    }
    const text = choice.message.content ?? '';
    const toolCalls: ToolCall[] = (choice.message.tool_calls ?? []).flatMap((call) =>
      call.type === 'function' ? [{ id: call.id, name: call.function.name, arguments: parsedArguments(call.function.arguments) }] : [],
    );
    if (toolCalls.length > 0) return { text, usage, toolCalls };
    // The local model server says when it re-asked a degenerate answer; other servers send no such field.
    const reAsk = (completion as { orc_guard?: ReAskRecord }).orc_guard;
    const extra = reAsk ? { reAsk } : {};
    if (!request.jsonSchema) return { text, usage, ...extra };

    const json = jsonAnswer(text, { provider, model, stoppedAtTokenLimit: choice.finish_reason === 'length' });
    return { text, json, usage, ...extra };
  }

  /** The same request as a stream, so a caller can show the answer as it arrives (`orc run` on a terminal). */
  async function streamAnswer(
    client: OpenAI,
    body: ChatCompletionCreateParamsNonStreaming,
    request: GenerateRequest,
    onText: (textSoFar: string) => void,
  ): Promise<GenerateResponse> {
    const streaming: ChatCompletionCreateParamsStreaming = { ...body, stream: true, stream_options: { include_usage: true } };
    let text = '';
    let refusal = '';
    let finishReason: string | null = null;
    let usage: OpenAI.CompletionUsage | undefined;
    let reAsk: ReAskRecord | undefined;
    try {
      const stream = await client.chat.completions.create(streaming, request.signal ? { signal: request.signal } : undefined);
      for await (const chunk of stream) {
        if (chunk.usage) usage = chunk.usage;
        // The local model server's own fields: it re-asked (drop the text so far), and why.
        const local = chunk as { orc_restart?: boolean; orc_guard?: ReAskRecord };
        if (local.orc_restart) {
          text = '';
          onText(text);
        }
        if (local.orc_guard) reAsk = local.orc_guard;
        const choice = chunk.choices[0];
        if (!choice) continue;
        if (choice.delta?.refusal) refusal += choice.delta.refusal;
        if (choice.delta?.content) {
          text += choice.delta.content;
          onText(text);
        }
        if (choice.finish_reason) finishReason = choice.finish_reason;
      }
    } catch (error) {
      if (request.signal?.aborted) throw request.signal.reason ?? error;
      throw toModelError(error, { provider, model, baseURL: client.baseURL, timeoutMs: client.timeout });
    }
    if (refusal) throw new ModelError(`${id} refused to answer: ${refusal}`, { provider, model, isRetryable: false });
    if (finishReason === null) throw new ModelError(`${id} ended its stream without finishing the answer`, { provider, model, isRetryable: true });
    const tokens = { input_tokens: usage?.prompt_tokens ?? 0, output_tokens: usage?.completion_tokens ?? 0, cost_usd: 0 };
    const extra = reAsk ? { reAsk } : {};
    if (!request.jsonSchema) return { text, usage: tokens, ...extra };
    return { text, json: jsonAnswer(text, { provider, model, stoppedAtTokenLimit: finishReason === 'length' }), usage: tokens, ...extra };
  }

  /** One structured answer: `{tool, arguments}` to call a tool or `{answer}` to finish; the transcript goes as text. */
  async function generateJsonToolChoice(request: GenerateRequest, tools: NonNullable<GenerateRequest['tools']>): Promise<GenerateResponse> {
    const response = await generate({
      ...request,
      tools: undefined,
      messages: jsonToolTurns(request.messages, tools),
      jsonSchema: toolChoiceSchema(tools),
    });
    return jsonToolChoice(response, { provider, model });
  }

  return { id, provider, generate };
}

function toModelError(
  error: unknown,
  context: { provider: string; model: string; baseURL: string; timeoutMs: number },
): ModelError {
  const { provider, model } = context;
  const mapped = sdkModelError(error, OpenAI, {
    ...context,
    detail: apiErrorDetail,
    // Only OpenAI's own key comes from a known variable; for other compatible servers the hint names the provider.
    keyVariable: provider === 'openai' ? HOSTED_PROVIDERS.openai.keyVariable : undefined,
    hints: { 422: unprocessableHint },
  });
  if (mapped) return mapped;
  // A 200 cut off on the way (the soak's malformed JSON): as for Anthropic and Gemini, another attempt can succeed.
  if (isSyntaxError(error)) return invalidResponseJsonError({ provider, model, baseURL: context.baseURL }, error.message);
  return failedError(error, { provider, model });
}

function apiErrorDetail(error: InstanceType<typeof OpenAI.APIError>): string {
  const body = error.error;
  if (body && typeof body === 'object' && 'message' in body && typeof body.message === 'string') return body.message;
  return '';
}
