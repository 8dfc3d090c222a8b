// A local server that speaks the OpenAI images, chat-with-images and audio-transcription wire protocol, and
// records each request, for the image and audio tools' tests.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A 1x1 PNG. */
export const TINY_PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==', 'base64');

export interface FakeMediaRequest {
  path: string;
  authorization: string;
  contentType: string;
  body: Buffer;
  json?: Record<string, unknown>;
}

export class FakeOpenAIMediaServer {
  readonly requests: FakeMediaRequest[] = [];
  private server?: http.Server;
  /** The next answer's status (then back to 200). */
  failNextWith?: number;
  transcript = 'hello from the recording';
  analysis = 'a red square on white';

  async start(): Promise<string> {
    this.server = http.createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => this.answer(request, Buffer.concat(chunks), response));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/v1`;
  }

  private answer(request: http.IncomingMessage, body: Buffer, response: http.ServerResponse): void {
    const contentType = String(request.headers['content-type'] ?? '');
    const json = contentType.includes('json') ? (JSON.parse(body.toString() || '{}') as Record<string, unknown>) : undefined;
    const url = (request.url ?? '').replace(/^\/v1/, '');
    this.requests.push({ path: url, authorization: String(request.headers.authorization ?? ''), contentType, body, ...(json ? { json } : {}) });
    const send = (status: number, payload: unknown): void => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(payload));
    };
    if (this.failNextWith) {
      const status = this.failNextWith;
      this.failNextWith = undefined;
      return send(status, { error: { message: 'Your request was rejected by the safety system', type: 'invalid_request_error' } });
    }
    if (url === '/images/generations') {
      const count = Number(json?.n ?? 1);
      return send(200, { created: 1, data: Array.from({ length: count }, () => ({ b64_json: TINY_PNG.toString('base64'), revised_prompt: `revised: ${String(json?.prompt)}` })) });
    }
    if (url === '/chat/completions') {
      return send(200, { id: 'c1', object: 'chat.completion', created: 1, model: json?.model, choices: [{ index: 0, message: { role: 'assistant', content: this.analysis }, finish_reason: 'stop' }] });
    }
    if (url === '/audio/transcriptions') return send(200, { text: this.transcript });
    send(404, { error: { message: `no route ${url}` } });
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
