// A LanguageModel for any OpenAI-compatible chat completions endpoint: OpenAI itself and the local model server.
import OpenAI from 'openai';
import type { ChatCompletionCreateParamsNonStreaming } from 'openai/resources/chat/completions';
import { failedError, jsonAnswer, sdkModelError, unprocessableHint } from './provider-errors';
import type { ReAskRecord } from './degeneration';
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
    // The local model server says when it re-asked a degenerate answer; other servers send no such field.
    const reAsk = (completion as { orc_guard?: ReAskRecord }).orc_guard;
    const extra = reAsk ? { reAsk } : {};
    if (!request.jsonSchema) return { text, usage, ...extra };

    const json = jsonAnswer(text, { provider, model, stoppedAtTokenLimit: choice.finish_reason === 'length' });
    return { text, json, usage, ...extra };
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
    keyVariable: provider === 'openai' ? 'OPENAI_API_KEY' : undefined,
    hints: { 422: unprocessableHint },
  });
  return mapped ?? failedError(error, { provider, model });
}

function apiErrorDetail(error: InstanceType<typeof OpenAI.APIError>): string {
  const body = error.error;
  if (body && typeof body === 'object' && 'message' in body && typeof body.message === 'string') return body.message;
  return '';
}
