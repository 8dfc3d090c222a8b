// The Gemini adapter with the real SDK against a local server that speaks the generateContent wire protocol.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGoogleModel, retryDelaySeconds, toGeminiSchema } from '../../../src/models/providers/google';
import { LocalModelServer } from '../../../src/models/local/local-server-process';
import { createModelResolver } from '../../../src/models/registry';
import { ModelError } from '../../../src/models/types';

interface RecordedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: Record<string, unknown>;
}

/** What the fake server does with the next request that passes its checks. */
type Reply = { status: number; body: string; headers?: Record<string, string> } | { hang: true } | { reset: true };

const validKey = 'google-test-key';
const modelName = 'gemini-1.5-flash';

const statusNames: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
};

function errorBody(code: number, message: string, details?: unknown[]): string {
  return JSON.stringify({ error: { code, message, status: statusNames[code] ?? 'UNKNOWN', ...(details ? { details } : {}) } });
}

function answerBody(text: string, usage = { promptTokenCount: 12, candidatesTokenCount: 3 }, finishReason = 'STOP'): string {
  return JSON.stringify({
    candidates: [{ content: { parts: [{ text }], role: 'model' }, finishReason, index: 0 }],
    usageMetadata: { ...usage, totalTokenCount: usage.promptTokenCount + usage.candidatesTokenCount },
    modelVersion: modelName,
  });
}

/**
 * Checks requests the way the Gemini API does (path, key as header or ?key=, contents), records them, and answers
 * with the next scripted reply or a text answer. A wrong key gets Google's real answer: 400 with reason API_KEY_INVALID.
 */
class FakeGeminiServer {
  readonly requests: RecordedRequest[] = [];
  private readonly replies: Reply[] = [];
  private server!: http.Server;
  baseURL = '';

  enqueue(...replies: Reply[]): void {
    this.replies.push(...replies);
  }

  reset(): void {
    this.requests.length = 0;
    this.replies.length = 0;
  }

  async start(): Promise<void> {
    this.server = http.createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => this.handle(request, Buffer.concat(chunks).toString('utf8'), response));
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.baseURL = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private handle(request: http.IncomingMessage, text: string, response: http.ServerResponse): void {
    const send = (status: number, body: string, headers: Record<string, string> = {}): void => {
      response.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', ...headers });
      response.end(body);
    };
    const url = new URL(request.url ?? '/', 'http://fake');
    if (request.method !== 'POST' || !/^\/v1beta\/models\/[^/:]+:generateContent$/.test(url.pathname)) {
      send(404, errorBody(404, `Not found: ${request.method} ${url.pathname}`));
      return;
    }
    const key = request.headers['x-goog-api-key'] ?? url.searchParams.get('key');
    if (key !== validKey) {
      send(
        400,
        errorBody(400, 'API key not valid. Please pass a valid API key.', [
          { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com', metadata: { service: 'generativelanguage.googleapis.com' } },
        ]),
      );
      return;
    }
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      send(400, errorBody(400, 'Invalid JSON payload received.'));
      return;
    }
    this.requests.push({ method: request.method, path: url.pathname + url.search, headers: request.headers, body });
    if (!Array.isArray(body.contents) || body.contents.length === 0) {
      send(400, errorBody(400, '* GenerateContentRequest.contents: contents is not specified'));
      return;
    }

    const reply = this.replies.shift();
    if (!reply) {
      send(200, answerBody('Paris.'));
    } else if ('hang' in reply) {
      // Never answer; the client's timeout has to end it.
    } else if ('reset' in reply) {
      request.socket.destroy();
    } else {
      send(reply.status, reply.body, reply.headers);
    }
  }
}

describe('Google (Gemini) adapter', () => {
  const server = new FakeGeminiServer();

  beforeAll(() => server.start());
  afterAll(() => server.stop());
  beforeEach(() => server.reset());

  const model = (overrides: { apiKey?: string; timeoutMs?: number } = {}) =>
    createGoogleModel({ model: modelName, apiKey: validKey, baseURL: server.baseURL, ...overrides });

  async function failure(promise: Promise<unknown>): Promise<ModelError> {
    try {
      await promise;
    } catch (error) {
      expect(error).toBeInstanceOf(ModelError);
      return error as ModelError;
    }
    throw new Error('expected generate() to fail');
  }

  it('sends contents, system instruction, temperature and max tokens and returns the text with token usage', async () => {
    const response = await model().generate({
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'What is the capital of Germany?' },
        { role: 'assistant', content: 'Berlin.' },
        { role: 'user', content: 'And of France?' },
      ],
      temperature: 0.3,
      maxTokens: 100,
    });

    expect(response).toEqual({ text: 'Paris.', usage: { input_tokens: 12, output_tokens: 3, cost_usd: 0 } });
    expect(server.requests).toHaveLength(1);
    const [sent] = server.requests;
    expect(sent?.method).toBe('POST');
    expect(sent?.path).toBe(`/v1beta/models/${modelName}:generateContent`);
    expect(sent?.headers['x-goog-api-key']).toBe(validKey);
    expect(sent?.headers['content-type']).toBe('application/json');
    expect(sent?.body.contents).toEqual([
      { role: 'user', parts: [{ text: 'What is the capital of Germany?' }] },
      { role: 'model', parts: [{ text: 'Berlin.' }] },
      { role: 'user', parts: [{ text: 'And of France?' }] },
    ]);
    expect(sent?.body.systemInstruction).toMatchObject({ parts: [{ text: 'Be brief.' }] });
    expect(sent?.body.generationConfig).toEqual({ temperature: 0.3, maxOutputTokens: 100 });
  });

  it('sends no system instruction or sampling settings when the request has none', async () => {
    await model().generate({ messages: [{ role: 'user', content: 'hi' }] });
    expect(server.requests[0]?.body).not.toHaveProperty('systemInstruction');
    expect(server.requests[0]?.body.generationConfig).toEqual({});
  });

  it('asks for JSON with the schema converted to Gemini responseSchema and returns the parsed answer', async () => {
    const jsonSchema = {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      additionalProperties: false,
      properties: {
        title: { type: 'string', description: 'A short title', minLength: 3 },
        kind: { enum: ['article', 'note'] },
        score: { type: 'integer', minimum: 1, maximum: 5 },
        published: { type: ['string', 'null'], format: 'date-time' },
        tags: { type: 'array', items: { type: 'string', format: 'email' }, minItems: 1 },
        author: { $ref: '#/$defs/person' },
      },
      required: ['title', 'kind', 'score', 'author'],
      $defs: { person: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'], additionalProperties: false } },
    };
    const answer = { title: 'Cats', kind: 'note', score: 4, published: null, tags: ['a@b.c'], author: { name: 'Ada' } };
    server.enqueue({ status: 200, body: answerBody(JSON.stringify(answer), { promptTokenCount: 80, candidatesTokenCount: 30 }) });

    const response = await model().generate({
      messages: [
        { role: 'system', content: 'You describe texts.' },
        { role: 'user', content: 'Cats are small domesticated carnivorous mammals.' },
      ],
      jsonSchema,
    });

    expect(response.json).toEqual(answer);
    expect(response.text).toBe(JSON.stringify(answer));
    expect(response.usage).toEqual({ input_tokens: 80, output_tokens: 30, cost_usd: 0 });
    expect(server.requests[0]?.body.generationConfig).toEqual({
      responseMimeType: 'application/json',
      responseSchema: {
        type: 'object',
        properties: {
          title: { type: 'string', description: 'A short title' },
          kind: { type: 'string', format: 'enum', enum: ['article', 'note'] },
          score: { type: 'integer' },
          published: { type: 'string', format: 'date-time', nullable: true },
          tags: { type: 'array', items: { type: 'string' }, minItems: 1 },
          author: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'], propertyOrdering: ['name'] },
        },
        required: ['title', 'kind', 'score', 'author'],
        propertyOrdering: ['title', 'kind', 'score', 'published', 'tags', 'author'],
      },
    });
  });

  it('refuses a schema Gemini cannot express without sending anything', async () => {
    const error = await failure(
      model().generate({ messages: [{ role: 'user', content: 'hi' }], jsonSchema: { type: 'object', additionalProperties: { type: 'string' } } }),
    );
    expect(error.isRetryable).toBe(false);
    expect(error.message).toMatch(/cannot take the step's output schema: #: an object without listed properties/);
    expect(server.requests).toHaveLength(0);
  });

  it('maps a structured answer that is not JSON to a retryable error that names a cut-off', async () => {
    server.enqueue({ status: 200, body: answerBody('{"title": "Ca', { promptTokenCount: 20, candidatesTokenCount: 5 }, 'MAX_TOKENS') });
    const error = await failure(
      model().generate({ messages: [{ role: 'user', content: 'hi' }], jsonSchema: { type: 'object', properties: { title: { type: 'string' } } } }),
    );
    expect(error.isRetryable).toBe(true);
    expect(error.message).toMatch(/invalid JSON.*raise max tokens/);
  });

  it('maps 429 to a retryable error with the delay from RetryInfo', async () => {
    server.enqueue({
      status: 429,
      body: errorBody(429, 'You exceeded your current quota, please check your plan and billing details.', [
        {
          '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
          violations: [{ quotaMetric: 'generativelanguage.googleapis.com/generate_content_free_tier_requests', quotaId: 'GenerateRequestsPerMinutePerProjectPerModel-FreeTier' }],
        },
        { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '2s' },
      ]),
    });
    const error = await failure(model().generate({ messages: [{ role: 'user', content: 'hi' }] }));
    expect(error.isRetryable).toBe(true);
    expect(error.details).toMatchObject({ provider: 'google', model: modelName, status: 429, retryAfterSeconds: 2 });
    expect(error.message).toContain(`google:${modelName}`);
    expect(error.message).toContain('You exceeded your current quota');
    expect(server.requests).toHaveLength(1);
  });

  it('maps 500 and 503 to retryable errors without retrying itself; the next call succeeds', async () => {
    server.enqueue(
      { status: 500, body: errorBody(500, 'An internal error has occurred.') },
      { status: 503, body: errorBody(503, 'The model is overloaded. Please try again later.') },
    );
    const adapter = model();
    const messages = [{ role: 'user' as const, content: 'hi' }];

    const first = await failure(adapter.generate({ messages }));
    expect(first.isRetryable).toBe(true);
    expect(first.details.status).toBe(500);
    expect(server.requests).toHaveLength(1);

    const second = await failure(adapter.generate({ messages }));
    expect(second.isRetryable).toBe(true);
    expect(second.details.status).toBe(503);
    expect(server.requests).toHaveLength(2);

    const third = await adapter.generate({ messages });
    expect(third.text).toBe('Paris.');
    expect(server.requests).toHaveLength(3);
  });

  it('maps a server that does not answer within the timeout to a retryable error', async () => {
    server.enqueue({ hang: true });
    const started = Date.now();
    const error = await failure(model({ timeoutMs: 300 }).generate({ messages: [{ role: 'user', content: 'hi' }] }));
    expect(error.isRetryable).toBe(true);
    expect(error.message).toMatch(/did not answer within 300 ms/);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(server.requests).toHaveLength(1);
  });

  it('maps a reset connection to a retryable error', async () => {
    server.enqueue({ reset: true });
    const error = await failure(model().generate({ messages: [{ role: 'user', content: 'hi' }] }));
    expect(error.isRetryable).toBe(true);
    expect(error.message).toMatch(/could not connect/);
  });

  it('maps a 200 with malformed JSON to a retryable error', async () => {
    server.enqueue({ status: 200, body: '{"candidates": [{"content": {"parts": [{"text": "Par' });
    const error = await failure(model().generate({ messages: [{ role: 'user', content: 'hi' }] }));
    expect(error.isRetryable).toBe(true);
    expect(error.message).toMatch(/not valid JSON/);
  });

  it('maps 401 to a non-retryable error naming provider, model and GOOGLE_API_KEY', async () => {
    server.enqueue({ status: 401, body: errorBody(401, 'Request had invalid authentication credentials.') });
    const error = await failure(model().generate({ messages: [{ role: 'user', content: 'hi' }] }));
    expect(error.isRetryable).toBe(false);
    expect(error.details.status).toBe(401);
    expect(error.message).toContain(`google:${modelName}`);
    expect(error.message).toContain('invalid authentication credentials');
    expect(error.message).toContain("GOOGLE_API_KEY in the worker's environment");
  });

  it("maps Google's 400 API_KEY_INVALID for a wrong key to the same non-retryable key error", async () => {
    const error = await failure(model({ apiKey: 'wrong-key' }).generate({ messages: [{ role: 'user', content: 'hi' }] }));
    expect(error.isRetryable).toBe(false);
    expect(error.details.status).toBe(400);
    expect(error.message).toMatch(/rejected the API key.*API key not valid.*GOOGLE_API_KEY/);
  });

  it('maps a too-long input (400) to a non-retryable error that says to shorten the input', async () => {
    server.enqueue({ status: 400, body: errorBody(400, 'The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).') });
    const error = await failure(model().generate({ messages: [{ role: 'user', content: 'a very long text' }] }));
    expect(error.isRetryable).toBe(false);
    expect(error.message).toMatch(/exceeds the maximum number of tokens.*shorten the input/);
  });

  it('maps a blocked prompt to a non-retryable error', async () => {
    server.enqueue({
      status: 200,
      body: JSON.stringify({ promptFeedback: { blockReason: 'SAFETY', safetyRatings: [] }, usageMetadata: { promptTokenCount: 7, totalTokenCount: 7 } }),
    });
    const error = await failure(model().generate({ messages: [{ role: 'user', content: 'hi' }] }));
    expect(error.isRetryable).toBe(false);
    expect(error.message).toMatch(/blocked the prompt \(SAFETY\)/);
  });

  it("rethrows the caller's abort reason instead of a model error", async () => {
    server.enqueue({ hang: true });
    const controller = new AbortController();
    const pending = model().generate({ messages: [{ role: 'user', content: 'hi' }], signal: controller.signal });
    setTimeout(() => controller.abort(new Error('activity cancelled')), 50);
    await expect(pending).rejects.toThrow('activity cancelled');
  });

  it('asks for GOOGLE_API_KEY when no key is given or in the environment', async () => {
    const saved = process.env.GOOGLE_API_KEY;
    delete process.env.GOOGLE_API_KEY;
    try {
      const error = await failure(createGoogleModel({ model: modelName, baseURL: server.baseURL }).generate({ messages: [{ role: 'user', content: 'hi' }] }));
      expect(error.isRetryable).toBe(false);
      expect(error.message).toMatch(/set GOOGLE_API_KEY in the worker's environment/);
      expect(server.requests).toHaveLength(0);
    } finally {
      if (saved !== undefined) process.env.GOOGLE_API_KEY = saved;
    }
  });
});

describe('toGeminiSchema', () => {
  it('turns anyOf with null into nullable and a choice of string constants into an enum', () => {
    expect(
      toGeminiSchema({
        type: 'object',
        properties: {
          note: { anyOf: [{ type: 'string', maxLength: 10 }, { type: 'null' }], description: 'optional note' },
          mood: { oneOf: [{ const: 'happy' }, { const: 'sad' }] },
          level: { type: 'number', enum: [1, 2, 3] },
          anything: {},
        },
      }),
    ).toEqual({
      type: 'object',
      properties: {
        note: { type: 'string', description: 'optional note', nullable: true },
        mood: { type: 'string', format: 'enum', enum: ['happy', 'sad'] },
        level: { type: 'number' },
        anything: { type: 'string' },
      },
      propertyOrdering: ['note', 'mood', 'level', 'anything'],
    });
  });

  it('merges allOf and refuses what Gemini cannot express', () => {
    expect(
      toGeminiSchema({ allOf: [{ type: 'object', properties: { a: { type: 'string' } }, required: ['a'] }, { properties: { b: { type: 'boolean' } } }] }),
    ).toEqual({
      type: 'object',
      properties: { a: { type: 'string' }, b: { type: 'boolean' } },
      required: ['a'],
      propertyOrdering: ['a', 'b'],
    });
    expect(() => toGeminiSchema({ anyOf: [{ type: 'string' }, { type: 'integer' }] })).toThrow(/anyOf with 2 different alternatives/);
    expect(() => toGeminiSchema({ type: ['string', 'integer'] })).toThrow(/several types/);
    expect(() =>
      toGeminiSchema({ $ref: '#/$defs/node', $defs: { node: { type: 'object', properties: { child: { $ref: '#/$defs/node' } } } } }),
    ).toThrow(/recursive \$ref #\/\$defs\/node/);
  });

  it("reads Google's RetryInfo durations", () => {
    expect(retryDelaySeconds([{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '34s' }])).toBe(34);
    expect(retryDelaySeconds([{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '0.5s' }])).toBe(0.5);
    expect(retryDelaySeconds([{ '@type': 'type.googleapis.com/google.rpc.Help' }])).toBeUndefined();
    expect(retryDelaySeconds(undefined)).toBeUndefined();
  });
});

describe('model registry: google specs', () => {
  const server = new FakeGeminiServer();
  // Never started: resolving a spec must not start the local server.
  const localServer = new LocalModelServer();

  beforeAll(() => server.start());
  afterAll(() => server.stop());

  it('resolves google:<model> with GOOGLE_API_KEY and GOOGLE_BASE_URL from the given environment', async () => {
    const resolver = createModelResolver({ localServer, environment: { GOOGLE_API_KEY: validKey, GOOGLE_BASE_URL: `${server.baseURL}/` } });
    const model = resolver.resolve(`google:${modelName}`);
    expect(model.id).toBe(`google:${modelName}`);
    expect(model.provider).toBe('google');
    expect(resolver.resolve(`google:${modelName}`)).toBe(model);
    const response = await model.generate({ messages: [{ role: 'user', content: 'hi' }] });
    expect(response.text).toBe('Paris.');
    expect(server.requests[0]?.path).toBe(`/v1beta/models/${modelName}:generateContent`);
  });

  it('refuses google specs without an API key, or without a model name', () => {
    const resolver = createModelResolver({ localServer, environment: {} });
    expect(() => resolver.resolve(`google:${modelName}`)).toThrow(/set GOOGLE_API_KEY in the worker's environment/);
    try {
      resolver.resolve(`google:${modelName}`);
    } catch (error) {
      expect(error).toBeInstanceOf(ModelError);
      expect((error as ModelError).isRetryable).toBe(false);
    }
    expect(() => resolver.resolve('google:')).toThrow(/google:gemini-1.5-flash/);
  });
});
