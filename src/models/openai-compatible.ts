// A LanguageModel for any OpenAI-compatible chat completions endpoint: OpenAI itself and the local model server.
import OpenAI from 'openai';
import type { ChatCompletionCreateParamsNonStreaming } from 'openai/resources/chat/completions';
import { ModelError, type GenerateRequest, type GenerateResponse, type LanguageModel } from './types';

export interface OpenAICompatibleSettings {
  /** The name callers use for this endpoint, e.g. `openai` or `local`. */
  provider: string;
  model: string;
  /** A fixed URL, or a function for endpoints that come and go (the local server starts on demand). */
  baseURL?: string | (() => Promise<string>);
  apiKey?: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
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
    const baseURL = await resolveBaseURL();
    const client = clientFor(baseURL);
    const body: ChatCompletionCreateParamsNonStreaming = {
      model,
      messages: request.messages.map((message) => ({ role: message.role, content: message.content })),
      ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
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
    if (!request.jsonSchema) return { text, usage };

    const json = parseJsonAnswer(text);
    if (json === undefined) {
      const cutOff = choice.finish_reason === 'length' ? ' It stopped at the token limit, so the answer was cut off; raise max tokens.' : '';
      throw new ModelError(`${id} returned invalid JSON where the schema asked for JSON.${cutOff} Answer began: ${JSON.stringify(text.slice(0, 200))}`, {
        provider,
        model,
        isRetryable: true,
      });
    }
    return { text, json, usage };
  }

  return { id, provider, generate };
}

/** The parsed answer, or undefined when it is not JSON (models sometimes wrap it in a Markdown fence). */
function parseJsonAnswer(text: string): unknown {
  const fenced = /^\s*```[a-zA-Z]*\s*\n([\s\S]*?)\n?\s*```\s*$/.exec(text);
  const candidate = (fenced?.[1] ?? text).trim();
  try {
    return JSON.parse(candidate) as unknown;
  } catch {
    return undefined;
  }
}

/** Seconds from `retry-after` (seconds or an HTTP date) or OpenAI's `retry-after-ms`. */
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

function toModelError(
  error: unknown,
  context: { provider: string; model: string; baseURL: string; timeoutMs: number },
): ModelError {
  const { provider, model, baseURL } = context;
  const id = `${provider}:${model}`;
  const base = { provider, model };

  if (error instanceof OpenAI.APIConnectionTimeoutError) {
    return new ModelError(`${id} did not answer within ${context.timeoutMs} ms (${baseURL})`, { ...base, isRetryable: true });
  }
  if (error instanceof OpenAI.APIConnectionError) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return new ModelError(`${id}: could not connect to ${baseURL}${cause}`, { ...base, isRetryable: true });
  }
  if (error instanceof OpenAI.APIError && typeof error.status === 'number') {
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
    if (status >= 500 || status === 408 || status === 409) {
      return new ModelError(describe('failed on the provider side', 'the request will be retried'), { ...base, isRetryable: true, status });
    }
    const hints: Record<number, [string, string]> = {
      400: ['rejected the request', 'check the prompt, max tokens and output schema of this step'],
      401: [
        'rejected the API key',
        provider === 'openai' ? "check OPENAI_API_KEY in the worker's environment" : `check the API key configured for provider ${provider}`,
      ],
      403: ['refused access', `check that the API key may use model ${model}`],
      404: ['was not found', `check the model name ${model} and the endpoint ${baseURL}`],
      422: ['could not process the request', 'check the prompt and output schema of this step'],
    };
    const [what, hint] = hints[status] ?? ['rejected the request', 'retrying will not help; check the step configuration'];
    return new ModelError(describe(what, hint), { ...base, isRetryable: false, status });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new ModelError(`${id} failed: ${message}`, { ...base, isRetryable: false });
}

function apiErrorDetail(error: InstanceType<typeof OpenAI.APIError>): string {
  const body = error.error;
  if (body && typeof body === 'object' && 'message' in body && typeof body.message === 'string') return body.message;
  return '';
}
