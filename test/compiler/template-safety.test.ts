// Templates cannot climb from a value to its prototype and on to Function: no way out of the template sandbox.
import { compilePipeline } from '../../src/compiler';
import { renderText, TemplateRenderError } from '../../src/activities/render';

function diagnosticsOf(action: string): string[] {
  const result = compilePipeline(`name: p\ninputs:\n  topic: string\nsteps:\n  - id: a\n    action: '${action}'\n`);
  return result.ok ? [] : result.diagnostics.map((diagnostic) => `${diagnostic.code} ${diagnostic.message}`);
}

test.each([
  ['{{ topic.constructor }}', 'constructor'],
  ['{{ "x".constructor.constructor("return process")() }}', 'constructor'],
  ['{{ range.constructor("return 1")() }}', 'constructor'],
  ['{{ topic.__proto__ }}', '__proto__'],
])('%s is a compile error', (action, key) => {
  expect(diagnosticsOf(action)).toEqual([expect.stringMatching(new RegExp(`^TEMPLATE_SYNTAX template syntax error: templates may not read '${key}'`))]);
});

test('a key computed at run time cannot reach the prototype either', () => {
  expect(() => renderText('{{ data[key] }}', { data: {}, key: 'constructor' })).toThrow(TemplateRenderError);
  expect(() => renderText('{{ data[key] }}', { data: {}, key: 'constructor' })).toThrow("templates may not read 'constructor'");
  expect(renderText('{{ data[key] }}', { data: { name: 'ok' }, key: 'name' })).toBe('ok');
});
