// A local server that speaks OpenAI's chat-completions wire protocol: answers after a delay and records every
// request, so durability tests can count how often each step really called its model.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeOpenAICall {
  prompt: string;
  startedAt: number;
  answeredAt?: number;
  /** The client hung up before the answer (a cancelled step aborts its request). */
  aborted?: boolean;
}

export interface FakeOpenAIRequest {
  model?: string;
  seed?: number;
  temperature?: number;
  messages?: Array<{ role: string; content: string }>;
  response_format?: unknown;
}

export class FakeOpenAIServer {
  readonly calls: FakeOpenAICall[] = [];
  private server?: http.Server;
  delayMs = 500;
  /** Prompts whose first request answers 429 with `Retry-After: 2`. */
  readonly rateLimitOnce = new Set<string>();
  /** Models that answer 401, as a provider does for a revoked key. */
  readonly unauthorizedModels = new Set<string>();
  /** Per-prompt delay, when a test needs one call slow and another quick. */
  delayFor?: (prompt: string) => number;
  /** The answer's text for a request (default `done(PROMPT)`); sees the whole body (model, seed, response_format…). */
  answerFor?: (prompt: string, body: FakeOpenAIRequest) => string | undefined;

  async start(): Promise<string> {
    this.server = http.createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        const parsed = JSON.parse(body || '{}') as FakeOpenAIRequest;
        const prompt = [...(parsed.messages ?? [])].reverse().find((message) => message.role === 'user')?.content ?? '';
        if (this.unauthorizedModels.has(parsed.model ?? '')) {
          response.writeHead(401, { 'content-type': 'application/json' });
          response.end(JSON.stringify({ error: { message: 'Incorrect API key provided', type: 'invalid_request_error', code: 'invalid_api_key' } }));
          this.calls.push({ prompt, startedAt: Date.now(), answeredAt: Date.now() });
          return;
        }
        if (this.rateLimitOnce.delete(prompt)) {
          this.calls.push({ prompt, startedAt: Date.now(), answeredAt: Date.now() });
          response.writeHead(429, { 'content-type': 'application/json', 'retry-after': '2' });
          response.end(JSON.stringify({ error: { message: 'Rate limit reached', type: 'requests', code: 'rate_limit_exceeded' } }));
          return;
        }
        const call: FakeOpenAICall = { prompt, startedAt: Date.now() };
        this.calls.push(call);
        response.on('close', () => {
          if (!response.writableEnded) call.aborted = true;
        });
        setTimeout(() => {
          if (call.aborted) return;
          call.answeredAt = Date.now();
          response.writeHead(200, { 'content-type': 'application/json' });
          response.end(
            JSON.stringify({
              id: `chatcmpl-${this.calls.length}`,
              object: 'chat.completion',
              created: Math.floor(Date.now() / 1000),
              model: parsed.model ?? 'fake',
              choices: [{ index: 0, message: { role: 'assistant', content: this.answerFor?.(prompt, parsed) ?? `done(${prompt})` }, finish_reason: 'stop' }],
              usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
            }),
          );
        }, this.delayFor?.(prompt) ?? this.delayMs);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/v1`;
  }

  callsFor(prompt: string): FakeOpenAICall[] {
    return this.calls.filter((call) => call.prompt === prompt);
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
