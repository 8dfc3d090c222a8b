// One local server that speaks the tool-calling wire protocols of OpenAI (chat completions), Anthropic (Messages) and
// Gemini (generateContent), answering from a script that sees each request as one provider-neutral conversation.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export type WireProvider = 'openai' | 'anthropic' | 'google';

/** A turn of the conversation as the fake read it off the wire. */
export interface SeenMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  text: string;
  toolCalls?: Array<{ name: string; arguments: Record<string, unknown> }>;
  /** On a tool turn: the id (OpenAI, Anthropic) or name (Gemini) it answers. */
  answers?: string;
  isError?: boolean;
}

export interface SeenRequest {
  provider: WireProvider;
  model: string;
  messages: SeenMessage[];
  /** The tools offered, by name. */
  tools: string[];
  body: Record<string, unknown>;
}

/** What the scripted model does: call tools, or answer. */
export type ScriptedReply = { toolCalls: Array<{ name: string; arguments: Record<string, unknown> }> } | { text: string };

export type Script = (request: SeenRequest) => ScriptedReply;

/**
 * A script that plays `replies` in order, picking the reply by how many tool-calling turns the conversation holds
 * already: a request sent again (after a crash) gets the same reply.
 */
export function replyByTurn(replies: ScriptedReply[]): Script {
  return (request) => {
    const turns = request.messages.filter((message) => message.role === 'assistant' && (message.toolCalls?.length ?? 0) > 0).length;
    return replies[Math.min(turns, replies.length - 1)]!;
  };
}

export class FakeToolModelServer {
  readonly requests: SeenRequest[] = [];
  /** Scripts by model name; `default` for every other model. */
  readonly scripts = new Map<string, Script>();
  /** Milliseconds before each answer (a crash test needs turns slow enough to kill a worker between them). */
  delayMs = 0;
  private server?: http.Server;
  private nextId = 0;
  baseURL = '';

  async start(): Promise<string> {
    this.server = http.createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
        setTimeout(() => this.handle(request.url ?? '', body, response), this.delayMs);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.baseURL = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.baseURL;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  requestsFor(model: string): SeenRequest[] {
    return this.requests.filter((request) => request.model === model);
  }

  private scriptFor(model: string): Script {
    const script = this.scripts.get(model) ?? this.scripts.get('default');
    if (!script) throw new Error(`no script for model ${model}`);
    return script;
  }

  private handle(url: string, body: Record<string, unknown>, response: http.ServerResponse): void {
    const send = (status: number, value: unknown): void => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(value));
    };
    try {
      const gemini = /\/v1beta\/models\/([^/:]+):generateContent/.exec(url);
      if (url.endsWith('/chat/completions')) {
        const seen = readOpenAI(body);
        this.requests.push(seen);
        send(200, this.openAIReply(seen, this.scriptFor(seen.model)(seen)));
      } else if (url.endsWith('/v1/messages')) {
        const seen = readAnthropic(body);
        this.requests.push(seen);
        send(200, this.anthropicReply(seen, this.scriptFor(seen.model)(seen)));
      } else if (gemini) {
        const seen = readGemini(gemini[1]!, body);
        this.requests.push(seen);
        send(200, geminiReply(this.scriptFor(seen.model)(seen)));
      } else {
        send(404, { error: { message: `not found: ${url}` } });
      }
    } catch (error) {
      send(400, { error: { message: (error as Error).message, type: 'invalid_request_error' }, type: 'error' });
    }
  }

  private openAIReply(seen: SeenRequest, reply: ScriptedReply): unknown {
    const message =
      'text' in reply
        ? { role: 'assistant', content: reply.text }
        : {
            role: 'assistant',
            content: null,
            tool_calls: reply.toolCalls.map((call) => ({ id: `call_${++this.nextId}`, type: 'function', function: { name: call.name, arguments: JSON.stringify(call.arguments) } })),
          };
    return {
      id: `chatcmpl-${this.requests.length}`,
      object: 'chat.completion',
      created: 0,
      model: seen.model,
      choices: [{ index: 0, message, finish_reason: 'text' in reply ? 'stop' : 'tool_calls' }],
      usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
    };
  }

  private anthropicReply(seen: SeenRequest, reply: ScriptedReply): unknown {
    const content =
      'text' in reply
        ? [{ type: 'text', text: reply.text }]
        : reply.toolCalls.map((call) => ({ type: 'tool_use', id: `toolu_${++this.nextId}`, name: call.name, input: call.arguments }));
    return {
      id: `msg_${this.requests.length}`,
      type: 'message',
      role: 'assistant',
      content,
      model: seen.model,
      stop_reason: 'text' in reply ? 'end_turn' : 'tool_use',
      stop_sequence: null,
      usage: { input_tokens: 10, output_tokens: 5 },
    };
  }
}

function geminiReply(reply: ScriptedReply): unknown {
  const parts = 'text' in reply ? [{ text: reply.text }] : reply.toolCalls.map((call) => ({ functionCall: { name: call.name, args: call.arguments } }));
  return {
    candidates: [{ content: { role: 'model', parts }, finishReason: 'STOP', index: 0 }],
    usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 5, totalTokenCount: 15 },
  };
}

type Json = Record<string, unknown>;

function readOpenAI(body: Json): SeenRequest {
  const messages = (body.messages as Json[]).map((message): SeenMessage => {
    const role = message.role as SeenMessage['role'];
    if (role === 'tool') {
      if (typeof message.tool_call_id !== 'string' || message.tool_call_id === '') throw new Error('a tool message needs tool_call_id');
      return { role, text: String(message.content), answers: message.tool_call_id };
    }
    const calls = message.tool_calls as Array<{ function: { name: string; arguments: string } }> | undefined;
    return {
      role,
      text: typeof message.content === 'string' ? message.content : '',
      ...(calls ? { toolCalls: calls.map((call) => ({ name: call.function.name, arguments: JSON.parse(call.function.arguments) as Json })) } : {}),
    };
  });
  const tools = ((body.tools as Array<{ function: { name: string } }> | undefined) ?? []).map((tool) => tool.function.name);
  return { provider: 'openai', model: String(body.model), messages, tools, body };
}

function readAnthropic(body: Json): SeenRequest {
  const messages: SeenMessage[] = typeof body.system === 'string' ? [{ role: 'system', text: body.system }] : [];
  for (const message of body.messages as Array<{ role: 'user' | 'assistant'; content: string | Json[] }>) {
    if (typeof message.content === 'string') {
      messages.push({ role: message.role, text: message.content });
      continue;
    }
    const results = message.content.filter((block) => block.type === 'tool_result');
    if (results.length > 0) {
      if (message.role !== 'user') throw new Error('tool_result blocks belong in a user turn');
      for (const block of results) {
        messages.push({ role: 'tool', text: String(block.content), answers: String(block.tool_use_id), ...(block.is_error ? { isError: true } : {}) });
      }
      continue;
    }
    const uses = message.content.filter((block) => block.type === 'tool_use');
    messages.push({
      role: message.role,
      text: message.content.filter((block) => block.type === 'text').map((block) => String(block.text)).join(''),
      ...(uses.length > 0 ? { toolCalls: uses.map((block) => ({ name: String(block.name), arguments: block.input as Json })) } : {}),
    });
  }
  const tools = ((body.tools as Array<{ name: string }> | undefined) ?? []).map((tool) => tool.name);
  return { provider: 'anthropic', model: String(body.model), messages, tools, body };
}

function readGemini(model: string, body: Json): SeenRequest {
  const system = body.systemInstruction as { parts?: Array<{ text?: string }> } | string | undefined;
  const systemText = typeof system === 'string' ? system : (system?.parts ?? []).map((part) => part.text ?? '').join('');
  const messages: SeenMessage[] = systemText ? [{ role: 'system', text: systemText }] : [];
  for (const content of body.contents as Array<{ role: string; parts: Json[] }>) {
    const responses = content.parts.filter((part) => part.functionResponse);
    if (responses.length > 0) {
      for (const part of responses) {
        const answer = part.functionResponse as { name: string; response: { content?: unknown } };
        messages.push({ role: 'tool', text: String(answer.response.content), answers: answer.name });
      }
      continue;
    }
    const calls = content.parts.filter((part) => part.functionCall).map((part) => part.functionCall as { name: string; args: Json });
    messages.push({
      role: content.role === 'model' ? 'assistant' : 'user',
      text: content.parts.map((part) => (typeof part.text === 'string' ? part.text : '')).join(''),
      ...(calls.length > 0 ? { toolCalls: calls.map((call) => ({ name: call.name, arguments: call.args })) } : {}),
    });
  }
  const declarations = ((body.tools as Array<{ functionDeclarations?: Array<{ name: string }> }> | undefined) ?? []).flatMap((tool) => tool.functionDeclarations ?? []);
  return { provider: 'google', model, messages, tools: declarations.map((declaration) => declaration.name), body };
}
