// The degeneration detector on values a small model really gave (issue 15) and on good values it must leave alone.
import { describeDegeneration, findDegeneration, findLoop, reAskRecord } from '../../../src/models/local/degeneration';

const listSchema = { type: 'array', items: { type: 'string', maxLength: 40 }, minItems: 1, maxItems: 4 };
const autoAnswerSchema = { type: 'object', properties: { value: listSchema }, required: ['value'] };

describe('findDegeneration flags what the seed pipelines got from SmolLM2', () => {
  test.each([
    ['a unit looping inside a list item', ['1.1.1.1.1.1.1.1.1.1.1.1.1.1'], 'loop'],
    ['a date repeated until the length limit', '2022-01-01 2022-01-01 2022-01-01 2022-01-01', 'loop'],
    ['a line said over and over in free text', 'Thanks!\n[Your Name]\n[Your Name]\n[Your Name]\n[Your Name]\n[Your Name]', 'loop'],
    ['the same sentence three times', 'The code is fine. It has tests. The code is fine. Ship it. The code is fine.', 'loop'],
    ['the schema\'s own words as list items', ['type', 'items', 'maxItems'], 'schema-echo'],
    ['the same item twice in a row', ['python', 'python'], 'repeated-items'],
    ['a pasted schema inside a value', '{"type": "array", "maxItems": 4, "minItems": 1}', 'schema-echo'],
    ['the input URL copied as the value', ['https://github.com/acme/shop/pull/42'], 'prompt-echo'],
    ['a placeholder with no content', '…', 'prompt-echo'],
    ['template syntax copied from the pipeline', '{{ results.length }}', 'prompt-echo'],
  ])('%s', (_label, value, kind) => {
    const found = findDegeneration(value, { schema: listSchema, sources: ['Inputs:\n- github pr url: https://github.com/acme/shop/pull/42'] });
    expect(found?.kind).toBe(kind);
  });

  test('the question repeated back as the answer', () => {
    const found = findDegeneration('Style guide', { schema: { type: 'string' }, instructions: ['style_guide', 'style guide', 'Select appropriate style guide for language'] });
    expect(found?.kind).toBe('prompt-echo');
  });

  test('a whole instruction of the prompt copied as a value', () => {
    const prompt = 'Pipeline goal: Generate a comprehensive research report on a given topic\nDecide: Determine appropriate length based on topic';
    expect(findDegeneration({ value: 'Determine appropriate length based on topic.' }, { schema: autoAnswerSchema, sources: [prompt] })?.kind).toBe('prompt-echo');
  });

  test('the wrapper property named as the answer', () => {
    expect(findDegeneration({ value: ['value'] }, { schema: autoAnswerSchema })?.kind).toBe('schema-echo');
  });

  test('the finding names where and what, in one line', () => {
    const found = findDegeneration({ value: ['ok', '1.1.1.1.1.1.1.1.1.1.1.1'] }, { schema: autoAnswerSchema });
    expect(found).not.toBeNull();
    expect(describeDegeneration(found!)).toBe('loop at value.1: "1." repeated 11 times in a row');
  });
});

describe('findDegeneration leaves good values alone', () => {
  test.each([
    ['a list of languages', ['TypeScript', 'Python']],
    ['a version number', '1.1.1'],
    ['a topic reused as a search query', ['post-quantum cryptography', 'lattice-based schemes']],
    ['a short phrase', 'sample 10% of the rows'],
    ['an enum value that is also a schema word', 'number'],
    ['a markdown table and rule', '| a | b |\n|---|---|\n| 1 | 2 |\n\n----------------\nDone.'],
    ['numbers and booleans', { threshold: 0.33333333, enabled: true, count: 1000000000 }],
    ['prose with a word repeated a few times', 'Very, very good: the tests pass, the build passes, the linter passes.'],
    ['a file format named by the input', 'csv'],
  ])('%s', (_label, value) => {
    const schema = _label.startsWith('an enum') ? { type: 'string', enum: ['string', 'number'] } : undefined;
    expect(findDegeneration(value, { schema, sources: ['- data source: sales_2025.csv', '- topic: post-quantum cryptography'] })).toBeNull();
  });
});

describe('findLoop', () => {
  test('reports the shortest unit and how often it repeats', () => {
    expect(findLoop('say ababababababababab now')).toEqual({ unit: 'ab', repeats: 9 });
    expect(findLoop('0000000012')).toEqual({ unit: '0', repeats: 8 });
    expect(findLoop('no loop here')).toBeNull();
  });
});

describe('reAskRecord', () => {
  test('is empty without a re-ask, and says when the re-ask did not help', () => {
    expect(reAskRecord(undefined)).toEqual({});
    expect(reAskRecord({ retries: 1, reason: 'loop at value: "1." repeated 9 times in a row' })).toEqual({ retries: 1, reason: 'loop at value: "1." repeated 9 times in a row' });
    expect(reAskRecord({ retries: 1, reason: 'a', degenerate: 'b' }).reason).toBe('a; the re-ask was degenerate too: b');
  });
});
