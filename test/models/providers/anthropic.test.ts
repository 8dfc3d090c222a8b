// The Anthropic adapter with the real SDK against a local server that speaks the Messages API wire protocol.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAnthropicModel } from '../../../src/models/providers/anthropic';
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

const validKey = 'sk-ant-test';
const modelName = 'claude-haiku-4-5';

function errorBody(type: string, message: string): string {
  return JSON.stringify({ type: 'error', error: { type, message }, request_id: 'req_test' });
}

function messageBody(content: unknown[], usage = { input_tokens: 21, output_tokens: 4 }, stopReason = 'end_turn'): string {
  return JSON.stringify({
    id: 'msg_01Test',
    type: 'message',
    role: 'assistant',
    content,
    model: modelName,
    stop_reason: stopReason,
    stop_sequence: null,
    usage,
  });
}

/**
 * Checks requests the way the Messages API does (path, key, anthropic-version, required fields, no sampling
 * parameters under API version 2026-10-21), records them, and answers with the next scripted reply or a text answer.
 */
class FakeAnthropicServer {
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
      response.writeHead(status, { 'content-type': 'application/json', 'request-id': 'req_test', ...headers });
      response.end(body);
    };
    if (request.method !== 'POST' || request.url !== '/v1/messages') {
      send(404, errorBody('not_found_error', `Not found: ${request.method} ${request.url}`));
      return;
    }
    // The API takes the key as x-api-key or as a bearer token; SDK 1.x sends the bearer form.
    const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    const key = request.headers['x-api-key'] ?? bearer;
    if (key !== validKey) {
      send(401, errorBody('authentication_error', 'invalid x-api-key'));
      return;
    }
    if (!request.headers['anthropic-version']) {
      send(400, errorBody('invalid_request_error', 'anthropic-version: header is required'));
      return;
    }
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      send(400, errorBody('invalid_request_error', 'There was an issue with the format of your request: invalid JSON'));
      return;
    }
    this.requests.push({ method: request.method, path: request.url, headers: request.headers, body });
    for (const field of ['model', 'max_tokens', 'messages']) {
      if (body[field] === undefined) {
        send(400, errorBody('invalid_request_error', `${field}: Field required`));
        return;
      }
    }
    for (const field of ['temperature', 'top_p', 'top_k']) {
      if (body[field] !== undefined) {
        send(400, errorBody('invalid_request_error', `${field}: Extra inputs are not permitted`));
        return;
      }
    }

    const reply = this.replies.shift();
    if (!reply) {
      send(200, messageBody([{ type: 'text', text: 'Paris.' }]));
    } else if ('hang' in reply) {
      // Never answer; the client's timeout has to end it.
    } else if ('reset' in reply) {
      request.socket.destroy();
    } else {
      send(reply.status, reply.body, reply.headers);
    }
  }
}

describe('Anthropic adapter', () => {
  const server = new FakeAnthropicServer();

  beforeAll(() => server.start());
  afterAll(() => server.stop());
  beforeEach(() => server.reset());

  const model = (overrides: { apiKey?: string; timeoutMs?: number } = {}) =>
    createAnthropicModel({ model: modelName, apiKey: validKey, baseURL: server.baseURL, ...overrides });

  async function failure(promise: Promise<unknown>): Promise<ModelError> {
    try {
      await promise;
    } catch (error) {
      expect(error).toBeInstanceOf(ModelError);
      return error as ModelError;
    }
    throw new Error('expected generate() to fail');
  }

  it('sends the model, system prompt, messages and max tokens and returns the text with token usage', async () => {
    const response = await model().generate({
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'What is the capital of Germany?' },
        { role: 'assistant', content: 'Berlin.' },
        { role: 'user', content: 'And of France?' },
      ],
      temperature: 0.2,
      maxTokens: 100,
    });

    expect(response).toEqual({ text: 'Paris.', usage: { input_tokens: 21, output_tokens: 4, cost_usd: 0 } });
    expect(server.requests).toHaveLength(1);
    const [sent] = server.requests;
    expect(sent?.method).toBe('POST');
    expect(sent?.path).toBe('/v1/messages');
    expect(sent?.headers.authorization).toBe(`Bearer ${validKey}`);
    expect(sent?.headers['anthropic-version']).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(sent?.headers['content-type']).toMatch(/^application\/json/);
    expect(sent?.body).toEqual({
      model: modelName,
      max_tokens: 100,
      system: 'Be brief.',
      messages: [
        { role: 'user', content: 'What is the capital of Germany?' },
        { role: 'assistant', content: 'Berlin.' },
        { role: 'user', content: 'And of France?' },
      ],
    });
  });

  it('sends max_tokens 1024 when the step does not set it, and no system field without a system message', async () => {
    await model().generate({ messages: [{ role: 'user', content: 'hi' }] });
    expect(server.requests[0]?.body.max_tokens).toBe(1024);
    expect(server.requests[0]?.body).not.toHaveProperty('system');
    expect(server.requests[0]?.body).not.toHaveProperty('tools');
  });

  it('forces the answer tool with the JSON Schema as its input schema and returns the tool input as JSON', async () => {
    const jsonSchema = {
      type: 'object',
      properties: { keywords: { type: 'array', items: { type: 'string' } }, score: { type: 'integer', minimum: 1 } },
      required: ['keywords', 'score'],
      additionalProperties: false,
    };
    server.enqueue({
      status: 200,
      body: messageBody(
        [{ type: 'tool_use', id: 'toolu_01Test', name: 'answer', input: { keywords: ['cats', 'mammals'], score: 4 } }],
        { input_tokens: 310, output_tokens: 42 },
        'tool_use',
      ),
    });

    const response = await model().generate({
      messages: [
        { role: 'system', content: 'You extract keywords.' },
        { role: 'user', content: 'Cats are small domesticated carnivorous mammals.' },
      ],
      jsonSchema,
    });

    expect(response.json).toEqual({ keywords: ['cats', 'mammals'], score: 4 });
    expect(JSON.parse(response.text)).toEqual(response.json);
    expect(response.usage).toEqual({ input_tokens: 310, output_tokens: 42, cost_usd: 0 });
    const sent = server.requests[0]?.body;
    expect(sent?.tools).toEqual([{ name: 'answer', description: expect.any(String), input_schema: jsonSchema }]);
    expect(sent?.tool_choice).toEqual({ type: 'tool', name: 'answer' });
    expect(sent?.system).toBe('You extract keywords.');
  });

  it('wraps a schema that is not an object, since a tool input must be one', async () => {
    const jsonSchema = { type: 'array', items: { type: 'string' } };
    server.enqueue({
      status: 200,
      body: messageBody([{ type: 'tool_use', id: 'toolu_02Test', name: 'answer', input: { value: ['a', 'b'] } }], undefined, 'tool_use'),
    });
    const response = await model().generate({ messages: [{ role: 'user', content: 'List two letters.' }], jsonSchema });
    expect(response.json).toEqual(['a', 'b']);
    expect(response.text).toBe('["a","b"]');
    expect((server.requests[0]?.body.tools as Array<{ input_schema: unknown }>)[0]?.input_schema).toEqual({
      type: 'object',
      properties: { value: jsonSchema },
      required: ['value'],
    });
  });

  it('maps 429 to a retryable error with the retry-after delay', async () => {
    server.enqueue({
      status: 429,
      headers: { 'retry-after': '7' },
      body: errorBody('rate_limit_error', 'Number of request tokens has exceeded your per-minute rate limit'),
    });
    const error = await failure(model().generate({ messages: [{ role: 'user', content: 'hi' }] }));
    expect(error.isRetryable).toBe(true);
    expect(error.details).toMatchObject({ provider: 'anthropic', model: modelName, status: 429, retryAfterSeconds: 7 });
    expect(error.message).toContain(`anthropic:${modelName}`);
    expect(error.message).toContain('per-minute rate limit');
    expect(server.requests).toHaveLength(1);
  });

  it('maps 500 and 529 to retryable errors without retrying itself; the next call succeeds', async () => {
    server.enqueue(
      { status: 500, body: errorBody('api_error', 'Internal server error') },
      { status: 529, body: errorBody('overloaded_error', 'Overloaded') },
    );
    const adapter = model();
    const messages = [{ role: 'user' as const, content: 'hi' }];

    const first = await failure(adapter.generate({ messages }));
    expect(first.isRetryable).toBe(true);
    expect(first.details.status).toBe(500);
    expect(server.requests).toHaveLength(1);

    const second = await failure(adapter.generate({ messages }));
    expect(second.isRetryable).toBe(true);
    expect(second.details.status).toBe(529);
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
    server.enqueue({ status: 200, body: '{"id":"msg_01Test","type":"message","content":[{"type":"te' });
    const error = await failure(model().generate({ messages: [{ role: 'user', content: 'hi' }] }));
    expect(error.isRetryable).toBe(true);
    expect(error.message).toMatch(/not valid JSON/);
  });

  it('maps 401 to a non-retryable error naming provider, model and ANTHROPIC_API_KEY', async () => {
    const error = await failure(model({ apiKey: 'sk-ant-wrong' }).generate({ messages: [{ role: 'user', content: 'hi' }] }));
    expect(error.isRetryable).toBe(false);
    expect(error.details.status).toBe(401);
    expect(error.message).toContain(`anthropic:${modelName}`);
    expect(error.message).toContain('invalid x-api-key');
    expect(error.message).toContain("ANTHROPIC_API_KEY in the worker's environment");
  });

  it('maps a too-long prompt (400) to a non-retryable error that says to shorten the input', async () => {
    server.enqueue({ status: 400, body: errorBody('invalid_request_error', 'prompt is too long: 250123 tokens > 200000 maximum') });
    const error = await failure(model().generate({ messages: [{ role: 'user', content: 'a very long text' }] }));
    expect(error.isRetryable).toBe(false);
    expect(error.details.status).toBe(400);
    expect(error.message).toMatch(/prompt is too long.*shorten the input/);
  });

  it('maps a refusal to a non-retryable error and a missing tool answer to a retryable one', async () => {
    server.enqueue(
      { status: 200, body: messageBody([], { input_tokens: 9, output_tokens: 0 }, 'refusal') },
      { status: 200, body: messageBody([{ type: 'text', text: '{"keywo' }], { input_tokens: 9, output_tokens: 5 }, 'max_tokens') },
    );
    const refused = await failure(model().generate({ messages: [{ role: 'user', content: 'hi' }] }));
    expect(refused.isRetryable).toBe(false);
    expect(refused.message).toMatch(/refused to answer/);

    const cutOff = await failure(model().generate({ messages: [{ role: 'user', content: 'hi' }], jsonSchema: { type: 'object', properties: {} } }));
    expect(cutOff.isRetryable).toBe(true);
    expect(cutOff.message).toMatch(/raise max tokens/);
  });

  it("rethrows the caller's abort reason instead of a model error", async () => {
    server.enqueue({ hang: true });
    const controller = new AbortController();
    const pending = model().generate({ messages: [{ role: 'user', content: 'hi' }], signal: controller.signal });
    setTimeout(() => controller.abort(new Error('activity cancelled')), 50);
    await expect(pending).rejects.toThrow('activity cancelled');
  });

  it('asks for ANTHROPIC_API_KEY when no key is given or in the environment', async () => {
    const saved = process.env.ANTHROPIC_API_KEY;
    delete process.env.ANTHROPIC_API_KEY;
    try {
      const error = await failure(createAnthropicModel({ model: modelName, baseURL: server.baseURL }).generate({ messages: [{ role: 'user', content: 'hi' }] }));
      expect(error.isRetryable).toBe(false);
      expect(error.message).toMatch(/set ANTHROPIC_API_KEY in the worker's environment/);
      expect(server.requests).toHaveLength(0);
    } finally {
      if (saved !== undefined) process.env.ANTHROPIC_API_KEY = saved;
    }
  });
});

describe('model registry: anthropic specs', () => {
  const server = new FakeAnthropicServer();
  // Never started: resolving a spec must not start the local server.
  const localServer = new LocalModelServer();

  beforeAll(() => server.start());
  afterAll(() => server.stop());

  it('resolves anthropic:<model> with ANTHROPIC_API_KEY and ANTHROPIC_BASE_URL from the given environment', async () => {
    const resolver = createModelResolver({ localServer, environment: { ANTHROPIC_API_KEY: validKey, ANTHROPIC_BASE_URL: server.baseURL } });
    const model = resolver.resolve(`anthropic:${modelName}`);
    expect(model.id).toBe(`anthropic:${modelName}`);
    expect(model.provider).toBe('anthropic');
    expect(resolver.resolve(`anthropic:${modelName}`)).toBe(model);
    const response = await model.generate({ messages: [{ role: 'user', content: 'hi' }] });
    expect(response.text).toBe('Paris.');
    expect(server.requests[0]?.body.model).toBe(modelName);
  });

  it('refuses anthropic specs without an API key, or without a model name', () => {
    const resolver = createModelResolver({ localServer, environment: {} });
    expect(() => resolver.resolve(`anthropic:${modelName}`)).toThrow(/set ANTHROPIC_API_KEY in the worker's environment/);
    try {
      resolver.resolve(`anthropic:${modelName}`);
    } catch (error) {
      expect(error).toBeInstanceOf(ModelError);
      expect((error as ModelError).isRetryable).toBe(false);
    }
    expect(() => resolver.resolve('anthropic:')).toThrow(/anthropic:claude-sonnet-4-20250514/);
  });

  it('lists anthropic and google among the supported specs', () => {
    const resolver = createModelResolver({ localServer, environment: {} });
    expect(() => resolver.resolve('acme:tiny')).toThrow(/"acme:tiny".*openai:<model>, anthropic:<model>, google:<model>/);
  });
});
