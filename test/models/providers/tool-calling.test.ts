// Tool calling in every adapter, with the real SDKs against a server that speaks each provider's wire protocol.
import { createAnthropicModel } from '../../../src/models/providers/anthropic';
import { createGoogleModel } from '../../../src/models/providers/google';
import { createOpenAICompatibleModel } from '../../../src/models/providers/openai-compatible';
import type { ChatMessage, LanguageModel, ToolDefinition } from '../../../src/models/types';
import { FakeToolModelServer, replyByTurn } from '../../helpers/fake-tool-models';

const getSum: ToolDefinition = {
  name: 'everything_get-sum',
  description: 'Returns the sum of two numbers.',
  parameters: { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } }, required: ['a', 'b'] },
};

describe('tool calling on the wire', () => {
  const server = new FakeToolModelServer();
  beforeAll(async () => {
    await server.start();
    server.scripts.set('default', replyByTurn([{ toolCalls: [{ name: getSum.name, arguments: { a: 40, b: 2 } }] }, { text: 'The sum is 42.' }]));
  });
  afterAll(() => server.stop());
  beforeEach(() => (server.requests.length = 0));

  const models: Array<[string, () => LanguageModel]> = [
    ['openai', () => createOpenAICompatibleModel({ provider: 'openai', model: 'gpt-test', apiKey: 'k', baseURL: `${server.baseURL}/v1` })],
    ['anthropic', () => createAnthropicModel({ model: 'claude-test', apiKey: 'k', baseURL: server.baseURL })],
    ['google', () => createGoogleModel({ model: 'gemini-test', apiKey: 'k', baseURL: server.baseURL })],
  ];

  it.each(models)('%s: offers the tools, returns the call, sends its result back and gets the final answer', async (provider, create) => {
    const model = create();
    const messages: ChatMessage[] = [
      { role: 'system', content: 'You add numbers with tools.' },
      { role: 'user', content: 'What is 40 + 2?' },
    ];
    const first = await model.generate({ messages, tools: [getSum] });
    expect(first.toolCalls).toEqual([{ id: expect.any(String), name: getSum.name, arguments: { a: 40, b: 2 } }]);
    expect(first.usage.input_tokens).toBe(10);

    const call = first.toolCalls![0]!;
    messages.push({ role: 'assistant', content: first.text, toolCalls: first.toolCalls! }, { role: 'tool', content: '42', toolCallId: call.id, toolName: call.name });
    const second = await model.generate({ messages, tools: [getSum] });
    expect(second.toolCalls ?? []).toEqual([]);
    expect(second.text).toBe('The sum is 42.');

    const [offered, answered] = server.requests;
    expect(offered!.provider).toBe(provider);
    expect(offered!.tools).toEqual([getSum.name]);
    // The second request carries the call and its result in the provider's own shape, paired by id (or name).
    const seenCall = answered!.messages.find((message) => message.toolCalls);
    expect(seenCall!.toolCalls).toEqual([{ name: getSum.name, arguments: { a: 40, b: 2 } }]);
    const seenResult = answered!.messages.find((message) => message.role === 'tool');
    expect(seenResult).toMatchObject({ text: '42', answers: provider === 'google' ? getSum.name : call.id });
  });

  it('anthropic: the results of several calls of one turn go back in one user turn', async () => {
    const model = createAnthropicModel({ model: 'claude-test', apiKey: 'k', baseURL: server.baseURL });
    const calls = [
      { id: 'toolu_a', name: getSum.name, arguments: { a: 1, b: 2 } },
      { id: 'toolu_b', name: getSum.name, arguments: { a: 3, b: 4 } },
    ];
    await model.generate({
      messages: [
        { role: 'user', content: 'Add both.' },
        { role: 'assistant', content: '', toolCalls: calls },
        { role: 'tool', content: '3', toolCallId: 'toolu_a' },
        { role: 'tool', content: '7', toolCallId: 'toolu_b' },
      ],
      tools: [getSum],
    });
    const wire = server.requests[0]!.body.messages as Array<{ role: string; content: unknown }>;
    expect(wire).toHaveLength(3);
    expect(wire[2]).toEqual({
      role: 'user',
      content: [
        { type: 'tool_result', tool_use_id: 'toolu_a', content: '3' },
        { type: 'tool_result', tool_use_id: 'toolu_b', content: '7' },
      ],
    });
  });

  it('a model without tool calling (json mode) gets a JSON-schema choice between the tools and an answer', async () => {
    // The local model's endpoint: the fake answers as an OpenAI server whose content is the structured choice.
    server.scripts.set('smollm-test', (request) =>
      request.messages.some((message) => message.role === 'user' && message.text.includes('It answered:'))
        ? { text: JSON.stringify({ answer: 'It is 42.' }) }
        : { text: JSON.stringify({ tool: getSum.name, arguments: { a: 40, b: 2 } }) },
    );
    const model = createOpenAICompatibleModel({ provider: 'local', model: 'smollm-test', baseURL: `${server.baseURL}/v1`, toolCalling: 'json' });
    const messages: ChatMessage[] = [{ role: 'user', content: 'What is 40 + 2?' }];
    const first = await model.generate({ messages, tools: [getSum] });
    expect(first.toolCalls).toEqual([{ id: expect.any(String), name: getSum.name, arguments: { a: 40, b: 2 } }]);
    const format = server.requests[0]!.body.response_format as { json_schema: { schema: { oneOf: Array<{ properties: Record<string, unknown> }> } } };
    expect(format.json_schema.schema.oneOf.map((branch) => Object.keys(branch.properties))).toEqual([['tool', 'arguments'], ['answer']]);
    expect(server.requests[0]!.tools).toEqual([]);

    messages.push({ role: 'assistant', content: '', toolCalls: first.toolCalls! }, { role: 'tool', content: '42', toolCallId: 'call_1', toolName: getSum.name });
    const second = await model.generate({ messages, tools: [getSum] });
    expect(second).toMatchObject({ text: 'It is 42.' });
    expect(second.toolCalls).toBeUndefined();
    // Before a tool has answered, the tool's form is told first; after, the answer's (a small model leans to the first).
    const order = (index: number): string[] => server.requests[index]!.messages[0]!.text.match(/To (call a tool|give the final answer)/g)!;
    expect(order(0)).toEqual(['To call a tool', 'To give the final answer']);
    expect(order(1)).toEqual(['To give the final answer', 'To call a tool']);
    // The call and its result went back as one user turn that tells what was called and what came back.
    expect(server.requests[1]!.messages.slice(1)).toEqual([
      {
        role: 'user',
        text: `What is 40 + 2?\n\nYou called ${getSum.name} with {"a":40,"b":2}. It answered: 42\n\nIf that is enough, give the final answer now as {"answer": "<text>"}.`,
      },
    ]);
  });
});
