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
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
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
  /** A streamed answer (`stream: true`) in these pieces, one every `chunkDelayMs`; by default one piece. */
  chunksFor?: (prompt: string) => string[];
  chunkDelayMs = 0;

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
          if (parsed.stream) {
            this.stream(response, call, parsed.model ?? 'fake', this.chunksFor?.(prompt) ?? [this.answerFor?.(prompt, parsed) ?? `done(${prompt})`], parsed.stream_options?.include_usage === true);
            return;
          }
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

  /** OpenAI's server-sent chunks: the pieces `chunkDelayMs` apart, then the finish (and usage when asked). */
  private stream(response: http.ServerResponse, call: FakeOpenAICall, model: string, pieces: string[], includeUsage: boolean): void {
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    const base = { id: `chatcmpl-${this.calls.length}`, object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000), model };
    const send = (chunk: Record<string, unknown>): void => {
      response.write(`data: ${JSON.stringify({ ...base, ...chunk })}\n\n`);
    };
    let index = 0;
    const next = (): void => {
      if (call.aborted) return;
      if (index < pieces.length) {
        send({ choices: [{ index: 0, delta: { content: pieces[index++] }, finish_reason: null }] });
        setTimeout(next, this.chunkDelayMs);
        return;
      }
      send({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] });
      if (includeUsage) send({ choices: [], usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 } });
      call.answeredAt = Date.now();
      response.end('data: [DONE]\n\n');
    };
    next();
  }

  callsFor(prompt: string): FakeOpenAICall[] {
    return this.calls.filter((call) => call.prompt === prompt);
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
