// Bounding a JSON Schema to a token budget: every open string, list and object gets a bound, and the longest answer fits.
import { boundSchemaToBudget, DEFAULT_MAX_ITEMS, worstCaseTokens } from '../../../src/models/local/json-budget';

describe('boundSchemaToBudget', () => {
  test('an open string and an open list get bounds that fit max_tokens', () => {
    const schema = { type: 'object', properties: { summary: { type: 'string' }, findings: { type: 'array', items: { type: 'string' } } } };
    const { schema: bounded, worstCaseTokens: worst } = boundSchemaToBudget(schema, 600);
    const properties = bounded.properties as Record<string, Record<string, unknown>>;
    expect(typeof properties.summary!.maxLength).toBe('number');
    expect(properties.findings!.maxItems).toBe(DEFAULT_MAX_ITEMS);
    expect(typeof (properties.findings!.items as Record<string, unknown>).maxLength).toBe('number');
    expect(worst).toBeLessThanOrEqual(600);
    expect(worstCaseTokens(bounded)).toBe(worst);
  });

  test('the compiler\'s implied schema (800-character strings) shrinks to the budget; small bounds stay', () => {
    const schema = {
      type: 'object',
      properties: { parsed_code: { type: 'string', maxLength: 800 }, tags: { type: 'array', items: { type: 'string', maxLength: 6 }, maxItems: 3 } },
    };
    const { schema: bounded, worstCaseTokens: worst } = boundSchemaToBudget(schema, 300);
    const properties = bounded.properties as Record<string, Record<string, unknown>>;
    expect(properties.parsed_code!.maxLength).toBeLessThan(300);
    expect(properties.parsed_code!.maxLength).toBeGreaterThan(150);
    expect(properties.tags).toEqual(schema.properties.tags);
    expect(worst).toBeLessThanOrEqual(300);
  });

  test('lists are halved when shrinking the strings is not enough, never below minItems', () => {
    const schema = { type: 'array', items: { type: 'string', maxLength: 100 }, minItems: 2, maxItems: 40 };
    const { schema: bounded, worstCaseTokens: worst } = boundSchemaToBudget(schema, 100);
    expect(bounded.maxItems).toBeLessThan(40);
    expect(bounded.maxItems).toBeGreaterThanOrEqual(2);
    expect(worst).toBeLessThanOrEqual(100);
  });

  test('an open object gets bounded values and a property limit', () => {
    const { schema: bounded, worstCaseTokens: worst } = boundSchemaToBudget({ type: 'object', additionalProperties: true }, 400);
    expect(typeof bounded.maxProperties).toBe('number');
    expect(bounded.additionalProperties).not.toBe(true);
    expect(Number.isFinite(worst)).toBe(true);
    expect(worst).toBeLessThanOrEqual(400);
  });

  test('enums, numbers and booleans cost what their longest form takes', () => {
    expect(worstCaseTokens({ enum: ['shallow', 'medium', 'deep'] })).toBe(9);
    expect(worstCaseTokens({ type: 'boolean' })).toBe(5);
    expect(worstCaseTokens({ type: 'string' })).toBe(Infinity);
  });
});
