// Templates are Nunjucks (Jinja syntax). The compiler parses them with Nunjucks' own parser to learn what
// each one reads, so dependencies and unknown names are found before anything runs.
import * as nunjucks from 'nunjucks';

export interface TemplateReference {
  /** The dotted path read, e.g. ['steps', 'analyze', 'result', 'score']; cut at the first computed key. */
  path: string[];
  /** Character offset of the reference inside the template text. */
  index: number;
  /** Read under `| default(...)` or tested with `is defined`: the template itself handles its absence. */
  guarded?: true;
}

export type TemplateParse = { ok: true; references: TemplateReference[] } | { ok: false; message: string; index: number };

/** Functions Nunjucks provides to every template (a step or input of the same name takes precedence). */
export const TEMPLATE_GLOBALS: ReadonlySet<string> = new Set(['range', 'cycler', 'joiner', 'caller', 'super']);

/** Filters that stand in for a missing value: what they read may be absent at run time. */
const GUARDING_FILTERS: ReadonlySet<string> = new Set(['default', 'd']);

/**
 * Keys no template may read: they lead from any value to its prototype and from there to `Function`, the
 * classic way out of a template sandbox (`"".constructor.constructor("…")()`).
 */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['constructor', '__proto__', 'prototype', '__defineGetter__', '__defineSetter__', '__lookupGetter__', '__lookupSetter__']);

export function containsTemplate(text: string): boolean {
  return text.includes('{{') || text.includes('{%');
}

// Nunjucks' AST nodes are untyped classes; this is the shape we walk.
interface AstNode {
  typename?: string;
  lineno: number;
  colno: number;
  value?: unknown;
  fields?: string[];
  [field: string]: unknown;
}

function isNode(value: unknown): value is AstNode {
  return typeof value === 'object' && value !== null && typeof (value as AstNode).lineno === 'number';
}

function offsetOf(text: string, lineno: number, colno: number): number {
  let offset = 0;
  for (let line = 0; line < lineno; line++) {
    const next = text.indexOf('\n', offset);
    if (next === -1) break;
    offset = next + 1;
  }
  return offset + colno;
}

function parseError(text: string, error: unknown): TemplateParse {
  const templateError = error as { message: string; lineno?: number; colno?: number };
  const index = templateError.lineno !== undefined ? offsetOf(text, templateError.lineno - 1, (templateError.colno ?? 1) - 1) : text.indexOf('{');
  return { ok: false, message: templateError.message.replace(/^\(unknown path\)\s*/, '').replace(/\s+/g, ' ').trim(), index: Math.max(0, index) };
}

/** Brackets nested deeper than this inside one tag are refused before parsing (see `tooDeeplyNested`). */
const MAX_TAG_NESTING = 100;

/**
 * Where brackets inside a `{{ }}` or `{% %}` tag nest deeper than MAX_TAG_NESTING, or -1. Nunjucks' Jinja-compat
 * parser backtracks at every level once the call stack runs out, so a few hundred `[` took minutes (found by
 * fuzzing); no real template nests a hundred deep.
 */
function tooDeeplyNested(text: string): number {
  let inTag = false;
  let depth = 0;
  for (let index = 0; index < text.length; index++) {
    const pair = text.slice(index, index + 2);
    if (!inTag && (pair === '{{' || pair === '{%')) {
      inTag = true;
      depth = 0;
      index++;
    } else if (inTag && (pair === '}}' || pair === '%}') && depth === 0) {
      inTag = false;
      index++;
    } else if (inTag) {
      const character = text[index]!;
      if (character === '(' || character === '[' || character === '{') {
        if (++depth > MAX_TAG_NESTING) return index;
      } else if (character === ')' || character === ']' || character === '}') depth = Math.max(0, depth - 1);
    }
  }
  return -1;
}

export function parseTemplate(text: string): TemplateParse {
  const deep = tooDeeplyNested(text);
  if (deep !== -1) return { ok: false, message: `brackets nested more than ${MAX_TAG_NESTING} deep inside a tag`, index: deep };
  let root: AstNode;
  try {
    // The parser is public in Nunjucks (nunjucks.parser) but missing from its type definitions.
    root = (nunjucks as unknown as { parser: { parse(source: string): AstNode } }).parser.parse(text);
  } catch (error) {
    return parseError(text, error);
  }
  const walker = new ReferenceWalker(text);
  walker.walk(root, new Set<string>());
  if (walker.forbidden) return { ok: false, message: `templates may not read '${walker.forbidden.key}'`, index: walker.forbidden.index };
  return { ok: true, references: walker.references };
}

/** Walks a template's syntax tree for the names it reads from outside (not its own loop or `set` variables). */
class ReferenceWalker {
  readonly references: TemplateReference[] = [];
  forbidden: { key: string; index: number } | undefined;
  private guard = 0;

  constructor(private readonly text: string) {}

  walk(node: unknown, locals: ReadonlySet<string>): void {
    if (Array.isArray(node)) {
      for (const child of node) this.walk(child, locals);
      return;
    }
    if (!isNode(node)) return;
    switch (node.typename) {
      case 'Symbol':
        return this.symbol(node, locals);
      case 'LookupVal':
        return this.lookup(node, locals);
      case 'FunCall':
        return this.call(node, locals);
      case 'Filter':
      case 'FilterAsync':
        if (isNode(node.name) && GUARDING_FILTERS.has(String(node.name.value))) return this.guarded(() => this.walk(node.args, locals));
        return this.walk(node.args, locals);
      // `x is defined`: the test's name is not a value read; `f(indent=2)`: nor is a keyword argument's name.
      case 'Is':
        this.guarded(() => this.walk(node.left, locals));
        if (!(isNode(node.right) && node.right.typename === 'Symbol')) this.walk(node.right, locals);
        return;
      case 'KeywordArgs':
        for (const pair of Array.isArray(node.children) ? node.children : []) if (isNode(pair)) this.walk(pair.value, locals);
        return;
      case 'For':
      case 'AsyncEach':
      case 'AsyncAll':
        return this.loop(node, locals);
      case 'Set': {
        this.walk(node.value, locals);
        this.walk(node.body, locals);
        // `{% set x = … %}` makes x a local for the rest of the template; a later read of x is not a reference.
        const mutable = locals as Set<string>;
        for (const target of (node.targets as unknown[]) ?? []) if (isNode(target)) mutable.add(String(target.value));
        return;
      }
      default:
        for (const field of node.fields ?? []) this.walk(node[field], locals);
    }
  }

  /** Runs `walk` with the references it finds marked guarded. */
  private guarded(walk: () => void): void {
    this.guard++;
    try {
      walk();
    } finally {
      this.guard--;
    }
  }

  private reference(path: string[], index: number): TemplateReference {
    return this.guard > 0 ? { path, index, guarded: true } : { path, index };
  }

  private at(node: AstNode): number {
    return offsetOf(this.text, node.lineno, node.colno);
  }

  private checkKey(key: unknown): void {
    if (isNode(key) && key.typename === 'Literal' && typeof key.value === 'string' && FORBIDDEN_KEYS.has(key.value)) this.forbidden ??= { key: key.value, index: this.at(key) };
  }

  private symbol(node: AstNode, locals: ReadonlySet<string>): void {
    const name = String(node.value);
    if (FORBIDDEN_KEYS.has(name)) this.forbidden ??= { key: name, index: this.at(node) };
    if (!locals.has(name)) this.references.push(this.reference([name], this.at(node)));
  }

  private lookup(node: AstNode, locals: ReadonlySet<string>): void {
    const segments: string[] = [];
    let current: unknown = node;
    while (isNode(current) && current.typename === 'LookupVal') {
      const key = current.val;
      this.checkKey(key);
      if (isNode(key) && key.typename === 'Literal' && (typeof key.value === 'string' || typeof key.value === 'number')) {
        segments.unshift(String(key.value));
      } else {
        segments.length = 0; // a computed key: keep only the part before it
        this.walk(key, locals);
      }
      current = current.target;
    }
    if (isNode(current) && current.typename === 'Symbol') {
      const name = String(current.value);
      if (!locals.has(name)) this.references.push(this.reference([name, ...segments], this.at(current)));
    } else {
      this.walk(current, locals);
    }
  }

  private call(node: AstNode, locals: ReadonlySet<string>): void {
    const callee = node.name;
    // `x.result.split(',')`: the method name is not a field of the result.
    if (isNode(callee) && callee.typename === 'LookupVal') {
      this.checkKey(callee.val);
      this.walk(callee.target, locals);
    } else if (!(isNode(callee) && callee.typename === 'Symbol')) this.walk(callee, locals);
    this.walk(node.args, locals);
  }

  private loop(node: AstNode, locals: ReadonlySet<string>): void {
    this.walk(node.arr, locals);
    const inner = new Set(locals);
    const names = node.name;
    for (const target of isNode(names) && Array.isArray(names.children) ? names.children : [names]) {
      if (isNode(target)) inner.add(String(target.value));
    }
    inner.add('loop');
    this.walk(node.body, inner);
    this.walk(node.else_, locals);
  }
}

/** `{{ path.to.value }}` and nothing else: such a template yields the value itself, not its text. */
export function singleExpressionPath(text: string): string[] | undefined {
  const match = /^\s*\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*|\[\d+\])*)\s*\}\}\s*$/.exec(text);
  if (!match) return undefined;
  return match[1]!.replace(/\[(\d+)\]/g, '.$1').split('.');
}
