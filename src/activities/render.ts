// Renders templates with Nunjucks, strictly: reading anything undefined is an error, never an empty string.
// Values are data: text that came out of a model or an input is inserted as-is and never rendered again.
import { isPlainObject } from '../base/plain-object';
import * as nunjucks from 'nunjucks';
import { registerDialectTemplates } from '../compiler/pyorc/filters';
import { FORBIDDEN_KEYS, parseTemplate, singleExpressionPath, containsTemplate, TEMPLATE_GLOBALS } from '../compiler/templates';
import type { StepView, TemplateContext } from './types';

export class TemplateRenderError extends Error {
  override readonly name = 'TemplateRenderError';
}

// Nunjucks' strict mode also rejects null; a `continue`d step's null result must still render, so only
// undefined is an error. The runtime module is Nunjucks' own singleton, used by every compiled template.
const runtime = (
  nunjucks as unknown as {
    runtime: { ensureDefined: (value: unknown, line: number, column: number) => unknown; memberLookup: (target: unknown, key: unknown) => unknown };
  }
).runtime;
runtime.ensureDefined = (value: unknown, line: number, column: number): unknown => {
  if (value === undefined) throw new TemplateRenderError(`template reads an undefined value (line ${line + 1}, column ${column + 1})`);
  return value;
};
// The compiler rejects `x.constructor` written out; this also stops keys computed at run time (`x[name]`).
const memberLookup = runtime.memberLookup;
runtime.memberLookup = (target: unknown, key: unknown): unknown => {
  if (typeof key === 'string' && FORBIDDEN_KEYS.has(key)) throw new TemplateRenderError(`templates may not read '${key}'`);
  return memberLookup(target, key);
};

const environment = registerDialectTemplates(new nunjucks.Environment(null, { autoescape: false, throwOnUndefined: true }));


/** A step as templates see it: result fields at the top, plus result/output/status/error. */
function stepScope(view: StepView): Record<string, unknown> {
  const fields = isPlainObject(view.result) ? view.result : {};
  return { ...fields, result: view.result, output: view.result, status: view.status, error: view.error, ...(view.evidence !== undefined ? { evidence: view.evidence } : {}) };
}

/** The names a template can read, from the values the workflow handed over. */
export function templateScope(context: TemplateContext): Record<string, unknown> {
  const steps: Record<string, unknown> = {};
  for (const [id, view] of Object.entries(context.steps)) steps[id] = stepScope(view);
  return {
    ...context.inputs,
    ...steps,
    ...context.vars,
    inputs: context.inputs,
    steps,
    ...(context.item !== undefined ? { item: context.item, index: context.index } : {}),
    ...(context.failed ? { failed: context.failed } : {}),
  };
}

/** Objects and lists print as JSON rather than "[object Object]". */
function printable(value: unknown): unknown {
  if (Array.isArray(value) || isPlainObject(value)) {
    const copy: unknown = Array.isArray(value) ? value.map(printable) : Object.fromEntries(Object.entries(value).map(([key, item]) => [key, printable(item)]));
    Object.defineProperty(copy, 'toString', { value: () => JSON.stringify(value), enumerable: false });
    return copy;
  }
  return value;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return `text (${JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value)})`;
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (isPlainObject(value)) return `an object with ${Object.keys(value).join(', ') || 'no fields'}`;
  return typeof value;
}

/**
 * A bounded cache by template text: a worker renders the same few templates for every run of a pipeline, and
 * parsing or compiling one costs more than rendering it. The oldest entry goes first.
 */
class TextCache<T> {
  private readonly entries = new Map<string, T>();
  constructor(private readonly limit: number) {}

  get(text: string, make: (text: string) => T): T {
    const cached = this.entries.get(text);
    if (cached !== undefined) return cached;
    const made = make(text);
    if (this.entries.size >= this.limit) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(text, made);
    return made;
  }
}

const TEMPLATE_CACHE_SIZE = 1000;
const parses = new TextCache<ReturnType<typeof parseTemplate>>(TEMPLATE_CACHE_SIZE);
const compiled = new TextCache<nunjucks.Template>(TEMPLATE_CACHE_SIZE);

/** Fails with a message naming the exact path when a template reads something that is not there. */
function checkReferences(text: string, scope: Record<string, unknown>): void {
  const parsed = parses.get(text, parseTemplate);
  if (!parsed.ok) throw new TemplateRenderError(`template syntax error: ${parsed.message}`);
  // `x.y | default(…)` and `x is defined` handle a missing value themselves, and a read of x.y elsewhere in the
  // same template is left to them (`{% if x.y is defined %}{{ x.y }}{% endif %}`); Nunjucks still stops at an
  // undefined value it prints.
  const guarded = parsed.references.filter((reference) => reference.guarded).map((reference) => reference.path.join('.'));
  for (const reference of parsed.references) {
    if (TEMPLATE_GLOBALS.has(reference.path[0]!) && !(reference.path[0]! in scope)) continue;
    const path = reference.path.join('.');
    if (guarded.some((prefix) => path === prefix || path.startsWith(`${prefix}.`))) continue;
    let current: unknown = scope;
    for (let depth = 0; depth < reference.path.length; depth++) {
      const key = reference.path[depth]!;
      const container = current;
      const present = container !== null && container !== undefined && (typeof container === 'object' || typeof container === 'string') && key in Object(container);
      if (!present) {
        const where = reference.path.slice(0, depth).join('.');
        const detail = depth === 0 ? `'${key}' is not defined` : `${where} is ${describe(container)}, with no '${key}'`;
        throw new TemplateRenderError(`template reads '${reference.path.join('.')}', which is undefined: ${detail}`);
      }
      current = (container as Record<string, unknown>)[key];
    }
  }
}

function lookup(scope: Record<string, unknown>, path: string[]): unknown {
  return path.reduce<unknown>((value, key) => (value as Record<string, unknown>)[key], scope);
}

/** Names the template line that read an undefined value (a variable it set, a field of a parsed value). */
function undefinedValueMessage(text: string, line: number): string {
  const source = text.split('\n')[line - 1]?.trim() ?? '';
  const shown = source.length > 80 ? `${source.slice(0, 77)}...` : source;
  return `template reads an undefined value at line ${line}${shown ? `: ${shown}` : ''} (a variable or field that holds nothing; check what the step before gave)`;
}

/** Renders one template string to text. */
export function renderText(text: string, scope: Record<string, unknown>): string {
  if (!containsTemplate(text)) return text;
  checkReferences(text, scope);
  const printableScope = Object.fromEntries(Object.entries(scope).map(([key, value]) => [key, printable(value)]));
  try {
    // eagerCompile: a syntax error is thrown here, once, and never cached.
    return compiled.get(text, (source) => new nunjucks.Template(source, environment, undefined, true)).render(printableScope);
  } catch (error) {
    if (error instanceof TemplateRenderError) throw error;
    const message = (error as Error).message.replace(/^\(unknown path\)\s*/, '').replace(/\s+/g, ' ');
    const undefinedAt = /template reads an undefined value \(line (\d+), column \d+\)/.exec(message);
    if (undefinedAt) throw new TemplateRenderError(undefinedValueMessage(text, Number(undefinedAt[1])));
    throw new TemplateRenderError(`template failed: ${message}`);
  }
}

/** What the last `__orc_value` filter was given: how a template hands back a value rather than text. */
let captured: { value: unknown } | undefined;
environment.addFilter('__orc_value', (value: unknown) => {
  captured = { value };
  return '';
});

/** The expression of a string that is exactly one `{{ … }}` and nothing else, or undefined. */
function singleExpression(text: string): string | undefined {
  const match = /^\s*\{\{([\s\S]*)\}\}\s*$/.exec(text);
  if (!match || match[1]!.includes('{{') || match[1]!.includes('}}') || text.includes('{%')) return undefined;
  return match[1]!.trim();
}

/**
 * A string that is exactly one `{{ expression }}` whose value is a list or an object (`{{ s.results[:5] }}`,
 * `{{ rows | selectattr('ok') | list }}`): that value itself, not its text. Undefined otherwise.
 */
function expressionValue(text: string, scope: Record<string, unknown>): unknown[] | Record<string, unknown> | undefined {
  const expression = singleExpression(text);
  if (expression === undefined) return undefined;
  checkReferences(text, scope);
  captured = undefined;
  try {
    compiled.get(`{{ (${expression}) | __orc_value }}`, (source) => new nunjucks.Template(source, environment, undefined, true)).render(scope);
  } catch {
    return undefined; // rendered as text below, which reports the error as it always has
  }
  const value = (captured as { value: unknown } | undefined)?.value;
  return Array.isArray(value) || isPlainObject(value) ? value : undefined;
}

/**
 * Renders every string inside `value`. A string that is exactly one `{{ path }}` yields the value itself
 * (a list stays a list), as does one `{{ expression }}` whose value is a list or an object; anything else
 * yields text.
 */
export function renderValue(value: unknown, scope: Record<string, unknown>): unknown {
  if (typeof value === 'string') {
    const path = singleExpressionPath(value);
    if (path) {
      checkReferences(value, scope);
      return lookup(scope, path);
    }
    return expressionValue(value, scope) ?? renderText(value, scope);
  }
  if (Array.isArray(value)) return value.map((item) => renderValue(item, scope));
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, renderValue(item, scope)]));
  return value;
}
