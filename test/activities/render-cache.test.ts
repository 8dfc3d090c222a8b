// Templates are parsed and compiled once per text and cached: the same text with another scope renders that
// scope, a broken template fails every time, and a missing name is still named.
import { renderText, renderValue, TemplateRenderError } from '../../src/activities/render';

test('the same template text renders each scope it is given', () => {
  const text = 'Hello {{ inputs.name | upper }} ({{ steps | length }})';
  expect(renderText(text, { inputs: { name: 'ada' }, steps: [1] })).toBe('Hello ADA (1)');
  expect(renderText(text, { inputs: { name: 'grace' }, steps: [1, 2, 3] })).toBe('Hello GRACE (3)');
  expect(renderValue({ greeting: text }, { inputs: { name: 'alan' }, steps: [] })).toEqual({ greeting: 'Hello ALAN (0)' });
});

test('a template that cannot render fails on every call, naming what is missing', () => {
  const text = 'Summary: {{ summary.result }}';
  expect(renderText(text, { summary: { result: 'ok' } })).toBe('Summary: ok');
  for (let attempt = 0; attempt < 2; attempt++) {
    expect(() => renderText(text, {})).toThrow("template reads 'summary.result', which is undefined: 'summary' is not defined");
  }
  for (let attempt = 0; attempt < 2; attempt++) expect(() => renderText('{{ unclosed ', {})).toThrow(TemplateRenderError);
});

test('more distinct templates than the cache holds still render correctly', () => {
  for (let index = 0; index < 1500; index++) expect(renderText(`n{{ value }}-${index}`, { value: index })).toBe(`n${index}-${index}`);
  expect(renderText('n{{ value }}-0', { value: 'again' })).toBe('nagain-0');
});

test('an undefined value read through a set variable names the template line', () => {
  const text = 'Title\n{% set data = raw | from_json %}\n{{ data.overview }}';
  expect(renderText(text, { raw: '{"overview": "fine"}' })).toBe('Title\n\nfine');
  expect(() => renderText(text, { raw: '{"summary": "no overview"}' })).toThrow(
    'template reads an undefined value at line 3: {{ data.overview }} (a variable or field that holds nothing; check what the step before gave)',
  );
});

test('a value read under | default or tested with "is defined" may be missing; an unguarded one still fails', () => {
  const scope = { report: { title: 'T' } };
  expect(renderText("{{ report.goal | default('minimize_cost') }} / {{ report.title }}", scope)).toBe('minimize_cost / T');
  expect(renderText('{% if report.goal is defined %}{{ report.goal }}{% else %}none{% endif %}', scope)).toBe('none');
  expect(() => renderText('{{ report.goal }}', scope)).toThrow("template reads 'report.goal', which is undefined: report is an object with title, with no 'goal'");
});

test('one {{ expression }} whose value is a list or an object yields that value; any other yields text', () => {
  const scope = { search: { results: [{ url: 'a' }, { url: 'b' }, { url: 'c' }] }, count: 3 };
  expect(renderValue({ items: '{{ search.results | first }}', urls: '{{ search.results | map(attribute="url") | list }}' }, scope)).toEqual({ items: { url: 'a' }, urls: ['a', 'b', 'c'] });
  expect(renderValue('{{ count + 1 }}', scope)).toBe('4');
  expect(renderValue('{{ search.results | length }} results', scope)).toBe('3 results');
});
