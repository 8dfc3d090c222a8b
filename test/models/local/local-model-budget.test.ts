// The real local model under a schema that leaves its strings and lists open: the answer still closes its JSON
// within a small max_tokens, because the server bounds the grammar to the budget.
import { LocalModelServer } from '../../../src/models/local/local-server-process';

describe('local model server: structured answers close within max_tokens', () => {
  const server = new LocalModelServer();
  afterAll(async () => {
    await server.stop();
  });

  test.each([40, 90])('an open string and an open list, asked for a long story, with max_tokens %i', async (maxTokens) => {
    const schema = {
      type: 'object',
      properties: { story: { type: 'string' }, morals: { type: 'array', items: { type: 'string' } } },
      required: ['story', 'morals'],
    };
    const response = await fetch(`${await server.baseUrl()}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        messages: [{ role: 'user', content: 'Write a very long story about a river, with many morals. Make it as long as you can.' }],
        max_tokens: maxTokens,
        response_format: { type: 'json_schema', json_schema: { name: 'story', schema } },
      }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { choices: Array<{ message: { content: string }; finish_reason: string }>; usage: { completion_tokens: number } };
    const choice = body.choices[0]!;
    const answer = JSON.parse(choice.message.content) as { story: unknown; morals: unknown };
    expect(typeof answer.story).toBe('string');
    expect(Array.isArray(answer.morals)).toBe(true);
    expect(choice.finish_reason).toBe('stop');
    expect(body.usage.completion_tokens).toBeLessThanOrEqual(maxTokens * 2);
  }, 120_000);
});
