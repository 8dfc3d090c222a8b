// The OpenAI-compatible adapter against a local server whose 200 answers arrive cut off: a retryable error.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createOpenAICompatibleModel } from '../../../src/models/providers/openai-compatible';
import { ModelError } from '../../../src/models/types';

let server: http.Server;
let baseURL: string;

beforeAll(async () => {
  server = http.createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{"id": "chatcmpl-broken", "choices": [{"message": {"content": "cut of');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

it('maps a 200 with malformed JSON to a retryable error (found by the soak: the step failed for good)', async () => {
  const model = createOpenAICompatibleModel({ provider: 'openai', model: 'gpt-test', apiKey: 'k', baseURL });
  const error = await model.generate({ messages: [{ role: 'user', content: 'hi' }] }).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ModelError);
  expect((error as ModelError).isRetryable).toBe(true);
  expect((error as ModelError).message).toMatch(/not valid JSON/);
});
