// The echo model and its schema placeholders, plus the model registry's spec handling.
import Ajv from 'ajv';
import { createEchoModel, placeholderForSchema } from '../../../src/models/providers/echo';
import { LocalModelServer } from '../../../src/models/local/local-server-process';
import { createModelResolver } from '../../../src/models/registry';
import { ModelError } from '../../../src/models/types';

describe('echo model', () => {
  const model = createEchoModel();

  it('answers with the last user message', async () => {
    const response = await model.generate({
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'first question' },
        { role: 'assistant', content: 'an answer' },
        { role: 'user', content: 'second question' },
      ],
    });
    expect(model.id).toBe('echo');
    expect(model.provider).toBe('echo');
    expect(response.text).toBe('second question');
    expect(response.json).toBeUndefined();
    // 9 + 14 + 9 + 15 = 47 characters -> 12 tokens; 15 characters -> 4 tokens.
    expect(response.usage).toEqual({ input_tokens: 12, output_tokens: 4, cost_usd: 0 });
  });

  it('answers with JSON that satisfies the schema when one is given', async () => {
    const jsonSchema = {
      type: 'object',
      properties: { summary: { type: 'string' }, score: { type: 'integer', minimum: 1, maximum: 5 } },
      required: ['summary', 'score'],
    };
    const response = await model.generate({ messages: [{ role: 'user', content: 'Summarise this' }], jsonSchema });
    expect(response.json).toEqual({ summary: 'Summarise this', score: 1 });
    expect(response.text).toBe(JSON.stringify(response.json));
  });
});

describe('placeholderForSchema', () => {
  const ajv = new Ajv({ strict: false });

  it('fills nested objects, arrays, enums and bounded numbers', () => {
    const schema = {
      type: 'object',
      properties: {
        title: { type: 'string', minLength: 3, maxLength: 10 },
        kind: { enum: ['article', 'note'] },
        fixed: { const: 42 },
        count: { type: 'integer', minimum: 3 },
        ratio: { type: 'number', exclusiveMinimum: 0 },
        published: { type: 'boolean' },
        tags: { type: 'array', items: { type: 'string' }, minItems: 2 },
        notes: { type: 'array', items: { type: 'string' } },
        author: {
          type: 'object',
          properties: { name: { type: ['null', 'string'] }, age: { type: 'integer', exclusiveMinimum: 17 } },
          required: ['name', 'age'],
        },
        either: { anyOf: [{ type: 'integer', minimum: 7 }, { type: 'string' }] },
      },
      required: ['title', 'kind', 'count', 'tags', 'author'],
    };
    const value = placeholderForSchema(schema, 'a fairly long prompt');
    expect(value).toEqual({
      title: 'a fairly l',
      kind: 'article',
      fixed: 42,
      count: 3,
      ratio: 1,
      published: false,
      tags: ['a fairly long prompt', 'a fairly long prompt'],
      notes: [],
      author: { name: 'a fairly long prompt', age: 18 },
      either: 7,
    });
    expect(ajv.validate(schema, value)).toBe(true);
  });

  it('pads short text up to minLength and follows $ref and allOf', () => {
    const schema = {
      $defs: { point: { type: 'object', properties: { x: { type: 'number' } }, required: ['x'] } },
      type: 'object',
      properties: {
        code: { type: 'string', minLength: 5 },
        where: { $ref: '#/$defs/point' },
        both: { allOf: [{ $ref: '#/$defs/point' }, { properties: { y: { type: 'integer', minimum: 2 } }, required: ['y'] }] },
      },
      required: ['code', 'where', 'both'],
    };
    const value = placeholderForSchema(schema, 'ab');
    expect(value).toEqual({ code: 'ababa', where: { x: 0 }, both: { x: 0, y: 2 } });
    expect(ajv.validate(schema, value)).toBe(true);
  });

  it('uses the text for an unconstrained schema', () => {
    expect(placeholderForSchema({}, 'hello')).toBe('hello');
  });
});

describe('model registry', () => {
  // Never started: resolving a spec must not start the local server.
  const localServer = new LocalModelServer();

  it('resolves echo, local and openai specs and reuses adapters', () => {
    const resolver = createModelResolver({ localServer, environment: { OPENAI_API_KEY: 'sk-test' } });
    expect(resolver.resolve('echo').id).toBe('echo');
    expect(resolver.resolve('local').id).toBe('local:smollm2-135m');
    expect(resolver.resolve('local:smollm2-135m').id).toBe('local:smollm2-135m');
    const openai = resolver.resolve('openai:gpt-4o-mini');
    expect(openai.id).toBe('openai:gpt-4o-mini');
    expect(openai.provider).toBe('openai');
    expect(resolver.resolve('openai:gpt-4o-mini')).toBe(openai);
  });

  it('refuses openai specs without an API key', () => {
    const resolver = createModelResolver({ localServer, environment: {} });
    expect(() => resolver.resolve('openai:gpt-4o-mini')).toThrow(/set OPENAI_API_KEY in the worker's environment/);
    try {
      resolver.resolve('openai:gpt-4o-mini');
    } catch (error) {
      expect(error).toBeInstanceOf(ModelError);
      expect((error as ModelError).isRetryable).toBe(false);
    }
  });

  it('names the supported specs when one is unknown', () => {
    const resolver = createModelResolver({ localServer, environment: {} });
    expect(() => resolver.resolve('acme:claude')).toThrow(ModelError);
    expect(() => resolver.resolve('acme:claude')).toThrow(/"acme:claude".*echo, local, local:<name>, openai:<model>, anthropic:<model>, google:<model>/);
    expect(() => resolver.resolve('openai:')).toThrow(/openai:gpt-4o-mini/);
  });
});
