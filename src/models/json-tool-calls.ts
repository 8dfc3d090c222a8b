// Tool calling for models without it (the local model): a structured-output choice between calling a tool and answering.
import { ModelError, type ChatMessage, type GenerateResponse, type ToolCall, type ToolDefinition } from './types';

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

function toolList(tools: ToolDefinition[]): string {
  return tools.map((tool) => `- ${tool.name}: ${tool.description || 'no description'} Arguments (JSON Schema): ${JSON.stringify(tool.parameters)}`).join('\n');
}

/**
 * The conversation as plain turns: the tools and the answer format join the system prompt, an assistant's tool call
 * becomes the JSON it would have written, and a tool's answer a user turn that names the tool.
 */
export function jsonToolTurns(messages: ChatMessage[], tools: ToolDefinition[]): ChatMessage[] {
  const instructions =
    `You can call these tools:\n${toolList(tools)}\n` +
    'Answer with JSON only: {"tool": NAME, "arguments": {...}} to call a tool, or {"answer": ...} once you know the final answer.';
  const system = messages.filter((message) => message.role === 'system').map((message) => message.content);
  const turns: ChatMessage[] = [{ role: 'system', content: [...system, instructions].join('\n\n') }];
  for (const message of messages) {
    if (message.role === 'system') continue;
    if (message.role === 'tool') {
      turns.push({ role: 'user', content: `Result of ${message.toolName ?? 'the tool'}: ${message.content}` });
    } else if (message.role === 'assistant' && message.toolCalls && message.toolCalls.length > 0) {
      turns.push({ role: 'assistant', content: message.toolCalls.map((call) => JSON.stringify({ tool: call.name, arguments: call.arguments })).join('\n') });
    } else {
      turns.push({ role: message.role, content: message.content });
    }
  }
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
      arguments: args !== null && typeof args === 'object' && !Array.isArray(args) ? (args as Record<string, unknown>) : {},
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
