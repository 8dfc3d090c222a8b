// The local model server with the real SmolLM2 GGUF, and how the OpenAI-compatible adapter maps HTTP errors.
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { LocalModelServer } from '../../../src/models/local/local-server-process';
import { createOpenAICompatibleModel } from '../../../src/models/providers/openai-compatible';
import { ModelError } from '../../../src/models/types';
import { localModelServerScript } from '../../../src/base/paths';

describe('local model server (real model)', () => {
  let server: LocalModelServer;
  let baseUrl: string;
  const savedUrl = process.env.ORC_LOCAL_MODEL_URL;

  beforeAll(async () => {
    if (!fs.existsSync(localModelServerScript())) {
      throw new Error(`${localModelServerScript()} is missing: run \`npx tsc -p tsconfig.json\` (or \`npm run build\`) before this test.`);
    }
    // This test is about starting our own process, not about reusing a shared one.
    delete process.env.ORC_LOCAL_MODEL_URL;
    server = new LocalModelServer();
    const started = Date.now();
    const [first, second] = await Promise.all([server.baseUrl(), server.baseUrl()]);
    console.log(`local model server ready in ${Date.now() - started} ms at ${first}`);
    expect(second).toBe(first);
    baseUrl = first;
  });

  afterAll(async () => {
    await server?.stop();
    if (savedUrl !== undefined) process.env.ORC_LOCAL_MODEL_URL = savedUrl;
  });

  const model = () =>
    createOpenAICompatibleModel({ provider: 'local', model: 'smollm2-135m', baseURL: () => server.baseUrl() });

  it('answers a plain question with text and token usage', async () => {
    const started = Date.now();
    const response = await model().generate({
      messages: [{ role: 'user', content: 'What is the capital of France?' }],
      maxTokens: 64,
    });
    console.log(`plain answer in ${Date.now() - started} ms: ${JSON.stringify(response.text)} ${JSON.stringify(response.usage)}`);
    expect(response.text.trim().length).toBeGreaterThan(0);
    expect(response.json).toBeUndefined();
    expect(response.usage.input_tokens).toBeGreaterThan(0);
    expect(response.usage.output_tokens).toBeGreaterThan(0);
  });

  it('answers in JSON shaped by the schema', async () => {
    const started = Date.now();
    const response = await model().generate({
      messages: [
        { role: 'system', content: 'You extract keywords.' },
        { role: 'user', content: 'Text: Cats are small domesticated carnivorous mammals.' },
      ],
      jsonSchema: { type: 'object', properties: { keywords: { type: 'array', items: { type: 'string' } } }, required: ['keywords'] },
      maxTokens: 200,
    });
    console.log(`structured answer in ${Date.now() - started} ms: ${response.text} ${JSON.stringify(response.usage)}`);
    const json = response.json as { keywords?: unknown };
    expect(Array.isArray(json.keywords)).toBe(true);
    expect(response.usage.output_tokens).toBeGreaterThan(0);
  });

  it('rejects a malformed request with 400 in OpenAI error shape', async () => {
    const response = await fetch(`${baseUrl}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'smollm2-135m' }),
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { message: string; type: string } };
    expect(body.error.type).toBe('invalid_request_error');
    expect(body.error.message).toMatch(/messages/);
  });

  it('lists its model', async () => {
    const response = await fetch(`${baseUrl}/models`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { object: string; data: Array<{ id: string }> };
    expect(body.object).toBe('list');
    expect(body.data).toHaveLength(1);
  });

  it('stops the process on stop()', async () => {
    await server.stop();
    await expect(fetch(`${baseUrl}/models`)).rejects.toThrow();
  });
});

describe('OpenAI-compatible adapter error mapping', () => {
  let httpServer: http.Server;
  let baseURL: string;

  beforeAll(async () => {
    httpServer = http.createServer((request, response) => {
      const status = request.url?.includes('rate-limited') ? 429 : request.url?.includes('unauthorized') ? 401 : 500;
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (status === 429) headers['retry-after'] = '2';
      response.writeHead(status, headers);
      response.end(JSON.stringify({ error: { message: `canned ${status}`, type: 'test', code: null } }));
    });
    await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
    baseURL = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    httpServer.closeAllConnections();
    await new Promise((resolve) => httpServer.close(resolve));
  });

  async function failure(path: string): Promise<ModelError> {
    const model = createOpenAICompatibleModel({ provider: 'acme', model: 'tiny-1', baseURL: `${baseURL}/${path}/v1`, apiKey: 'sk-test' });
    try {
      await model.generate({ messages: [{ role: 'user', content: 'hi' }] });
    } catch (error) {
      expect(error).toBeInstanceOf(ModelError);
      return error as ModelError;
    }
    throw new Error('expected generate() to fail');
  }

  it('maps 429 to a retryable error with the retry-after delay', async () => {
    const error = await failure('rate-limited');
    expect(error.isRetryable).toBe(true);
    expect(error.details.status).toBe(429);
    expect(error.details.retryAfterSeconds).toBe(2);
  });

  it('maps 401 to a non-retryable error naming provider and model', async () => {
    const error = await failure('unauthorized');
    expect(error.isRetryable).toBe(false);
    expect(error.details.status).toBe(401);
    expect(error.message).toContain('acme:tiny-1');
    expect(error.message).toContain('canned 401');
  });

  it('maps 5xx and refused connections to retryable errors', async () => {
    expect((await failure('broken')).isRetryable).toBe(true);
    const closedPort = createOpenAICompatibleModel({ provider: 'acme', model: 'tiny-1', baseURL: 'http://127.0.0.1:1/v1' });
    await expect(closedPort.generate({ messages: [{ role: 'user', content: 'hi' }] })).rejects.toMatchObject({
      name: 'ModelError',
      isRetryable: true,
    });
  });

  it('names OPENAI_API_KEY when OpenAI rejects the key', async () => {
    const model = createOpenAICompatibleModel({ provider: 'openai', model: 'gpt-4o-mini', baseURL: `${baseURL}/unauthorized/v1`, apiKey: 'sk-bad' });
    await expect(model.generate({ messages: [{ role: 'user', content: 'hi' }] })).rejects.toThrow(/OPENAI_API_KEY in the worker's environment/);
  });
});
