// Tool calling for models without it (the local model): a structured-output choice between calling a tool and answering.
import { isPlainObject } from '../../base/plain-object';
import { ModelError, type ChatMessage, type GenerateResponse, type ToolCall, type ToolDefinition } from '../types';

/** `{ tool, arguments }` for each tool (its own argument schema), or `{ answer }`: the grammar allows nothing else. */
export function toolChoiceSchema(tools: ToolDefinition[]): Record<string, unknown> {
  return {
    oneOf: [
      ...tools.map((tool) => ({
        type: 'object',
        properties: { tool: { const: tool.name }, arguments: tool.parameters },
        required: ['tool', 'arguments'],
        additionalProperties: false,
      })),
      { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'], additionalProperties: false },
    ],
  };
}

/** `name(a: number, b: number): what it does` — short, because a small model's context is. */
function toolLine(tool: ToolDefinition): string {
  const properties = (tool.parameters.properties ?? {}) as Record<string, { type?: unknown }>;
  const parameters = Object.entries(properties).map(([name, schema]) => `${name}: ${typeof schema?.type === 'string' ? schema.type : 'value'}`);
  return `- ${tool.name}(${parameters.join(', ')}): ${tool.description || 'no description'}`;
}

/**
 * The conversation as plain turns: the tools and the answer format join the system prompt, and each tool call with
 * its answer becomes a user turn that tells what was called and what came back. A small model copies the JSON it
 * sees itself write, so its earlier calls are told, not shown, and it is asked for the answer next.
 */
export function jsonToolTurns(messages: ChatMessage[], tools: ToolDefinition[]): ChatMessage[] {
  // A small model leans to the form it is told first: the tool's until a tool has answered, then the answer's.
  // (SmolLM2-135M told the answer's form first answered every question at once, and wrongly; told the tool's form
  // after a tool had answered, it called the tool again.)
  const toolForm = 'To call a tool: {"tool": "<name>", "arguments": {...}}.';
  const answerForm = 'To give the final answer: {"answer": "<text>"}.';
  const answered = messages.some((message) => message.role === 'tool');
  const instructions = `Tools:\n${tools.map(toolLine).join('\n')}\n\nReply with JSON only. ${answered ? `${answerForm} ${toolForm}` : `${toolForm} ${answerForm}`}`;
  const system = messages.filter((message) => message.role === 'system').map((message) => message.content);
  const turns: ChatMessage[] = [{ role: 'system', content: [...system, instructions].join('\n\n') }];
  const say = (role: 'user' | 'assistant', content: string): void => {
    const previous = turns[turns.length - 1]!;
    if (previous.role === role && role === 'user') previous.content += `\n\n${content}`;
    else turns.push({ role, content });
  };
  const calls = new Map<string, ToolCall>();
  let toldResults = false;
  for (const message of messages) {
    if (message.role === 'system') continue;
    if (message.role === 'assistant' && message.toolCalls && message.toolCalls.length > 0) {
      for (const call of message.toolCalls) calls.set(call.id, call);
      if (message.content) say('assistant', JSON.stringify({ answer: message.content }));
      continue;
    }
    if (message.role === 'tool') {
      const call = message.toolCallId !== undefined ? calls.get(message.toolCallId) : undefined;
      const name = call?.name ?? message.toolName ?? 'a tool';
      say('user', `You called ${name}${call ? ` with ${JSON.stringify(call.arguments)}` : ''}. It answered: ${message.content}`);
      toldResults = true;
      continue;
    }
    say(message.role === 'assistant' ? 'assistant' : 'user', message.content);
  }
  if (toldResults && turns[turns.length - 1]!.role === 'user') say('user', 'If that is enough, give the final answer now as {"answer": "<text>"}.');
  return turns;
}

/** The structured choice as a tool call or a final answer. */
export function jsonToolChoice(response: GenerateResponse, where: { provider: string; model: string }): GenerateResponse {
  const choice = response.json as Record<string, unknown> | null | undefined;
  if (choice && typeof choice === 'object' && typeof choice.tool === 'string') {
    const args = choice.arguments;
    const call: ToolCall = {
      id: 'call_1',
      name: choice.tool,
      arguments: isPlainObject(args) ? args : {},
    };
    return { text: '', usage: response.usage, toolCalls: [call] };
  }
  if (choice && typeof choice === 'object' && 'answer' in choice) {
    const answer = choice.answer;
    return { text: typeof answer === 'string' ? answer : JSON.stringify(answer), usage: response.usage };
  }
  throw new ModelError(`${where.provider}:${where.model} neither called a tool nor answered: ${response.text.slice(0, 200)}`, {
    ...where,
    isRetryable: true,
  });
}
