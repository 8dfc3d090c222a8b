// A LanguageModel for Anthropic's Messages API (Claude models), through the official SDK.
import Anthropic from '@anthropic-ai/sdk';
import type { Message, MessageCreateParamsNonStreaming, MessageParam, Tool } from '@anthropic-ai/sdk/resources/messages';
import { ModelError, type GenerateRequest, type GenerateResponse, type LanguageModel } from './types';

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
const defaultBaseURL = 'https://api.anthropic.com';
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
    const apiKey = settings.apiKey ?? process.env.ANTHROPIC_API_KEY;
    if (!apiKey) {
      throw new ModelError(`Model ${id} needs an API key: set ANTHROPIC_API_KEY in the worker's environment.`, {
        provider,
        model,
        isRetryable: false,
      });
    }
    client = new Anthropic({
      // Passed explicitly so the SDK never falls back to ANTHROPIC_AUTH_TOKEN or credential profiles on disk.
      apiKey,
      baseURL: settings.baseURL ?? (process.env.ANTHROPIC_BASE_URL || defaultBaseURL),
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
    const system = request.messages
      .filter((message) => message.role === 'system')
      .map((message) => message.content)
      .join('\n\n');
    const messages: MessageParam[] = request.messages
      .filter((message) => message.role !== 'system')
      .map((message) => ({ role: message.role === 'assistant' ? 'assistant' : 'user', content: message.content }));
    const answerSchema = request.jsonSchema ? toolInputSchema(request.jsonSchema) : undefined;
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
      return { text, usage };
    }

    const toolUse = message.content.find((block) => block.type === 'tool_use' && block.name === answerToolName);
    if (!toolUse || toolUse.type !== 'tool_use' || toolUse.input === null || typeof toolUse.input !== 'object') {
      const cutOff =
        message.stop_reason === 'max_tokens' ? ' It stopped at the token limit, so the answer was cut off; raise max tokens.' : '';
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

/** A tool's input must be an object; other schemas (arrays, strings) are wrapped as `{ value: ... }` and unwrapped after. */
function toolInputSchema(schema: Record<string, unknown>): { schema: Tool.InputSchema; wrapped: boolean } {
  if (schema.type === 'object') return { schema: schema as Tool.InputSchema, wrapped: false };
  return { schema: { type: 'object', properties: { value: schema }, required: ['value'] }, wrapped: true };
}

/** Seconds from `retry-after` (seconds or an HTTP date) or `retry-after-ms`. */
function retryAfterSeconds(headers: Headers | undefined): number | undefined {
  if (!headers) return undefined;
  const milliseconds = Number(headers.get('retry-after-ms'));
  if (headers.get('retry-after-ms') !== null && Number.isFinite(milliseconds) && milliseconds >= 0) return milliseconds / 1000;
  const value = headers.get('retry-after');
  if (value === null) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds;
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, (date - Date.now()) / 1000);
}

/** Anthropic says "prompt is too long: N tokens > M maximum" when the input does not fit the context window. */
function isContextTooLong(detail: string): boolean {
  return /prompt is too long|context (window|length)|too many (input )?tokens/i.test(detail);
}

/** By name, not instanceof: the error comes from fetch's JSON parser, which may live in another realm (jest's sandbox does). */
function isSyntaxError(error: unknown): error is { name: 'SyntaxError'; message: string } {
  return typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'SyntaxError' && typeof (error as { message?: unknown }).message === 'string';
}

function toModelError(error: unknown, context: { model: string; baseURL: string; timeoutMs: number }): ModelError {
  const { model, baseURL } = context;
  const id = `${provider}:${model}`;
  const base = { provider, model };

  if (error instanceof Anthropic.APIConnectionTimeoutError) {
    return new ModelError(`${id} did not answer within ${context.timeoutMs} ms (${baseURL})`, { ...base, isRetryable: true });
  }
  if (error instanceof Anthropic.APIConnectionError) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return new ModelError(`${id}: could not connect to ${baseURL}${cause}`, { ...base, isRetryable: true });
  }
  if (error instanceof Anthropic.APIError && typeof error.status === 'number') {
    const status = error.status;
    const detail = apiErrorDetail(error);
    const describe = (what: string, hint: string): string => `${id} ${what} (HTTP ${status}${detail ? `: ${detail}` : ''}); ${hint}`;
    const headers = error.headers instanceof Headers ? error.headers : undefined;

    if (status === 429) {
      const after = retryAfterSeconds(headers);
      return new ModelError(describe('is rate limited', 'the request will be retried' + (after !== undefined ? ` after ${after} s` : '')), {
        ...base,
        isRetryable: true,
        status,
        ...(after !== undefined ? { retryAfterSeconds: after } : {}),
      });
    }
    // 529 (overloaded) is in the 5xx range.
    if (status >= 500 || status === 408 || status === 409) {
      return new ModelError(describe('failed on the provider side', 'the request will be retried'), { ...base, isRetryable: true, status });
    }
    const hints: Record<number, [string, string]> = {
      400: isContextTooLong(detail)
        ? ['rejected the request as too long for its context window', 'shorten the input of this step or choose a model with a larger context window']
        : ['rejected the request', 'check the prompt, max tokens and output schema of this step'],
      401: ['rejected the API key', "check ANTHROPIC_API_KEY in the worker's environment"],
      403: ['refused access', `check that the API key may use model ${model}`],
      404: ['was not found', `check the model name ${model} and the endpoint ${baseURL}`],
      413: ['rejected the request as too large', 'shorten the input of this step'],
      422: ['could not process the request', 'check the prompt and output schema of this step'],
    };
    const [what, hint] = hints[status] ?? ['rejected the request', 'retrying will not help; check the step configuration'];
    return new ModelError(describe(what, hint), { ...base, isRetryable: false, status });
  }
  // A 200 whose body is cut off or not JSON: the response was damaged on the way, so another attempt can succeed.
  if (isSyntaxError(error)) {
    return new ModelError(`${id} returned a response that is not valid JSON (${baseURL}): ${error.message}`, { ...base, isRetryable: true });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new ModelError(`${id} failed: ${message}`, { ...base, isRetryable: false });
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
