// The Python orchestrator's template filters and Jinja syntax (pyorc-dialect.md section 3), added to a Nunjucks
// environment: slugify, truncate_words, regex_search/replace, to_json/json/json_encode/tojson, from_json, date,
// markdown_format, basename, split, format, map, and Python slices and string/dict methods.
import { Context } from '@temporalio/activity';
import * as nunjucks from 'nunjucks';

type Environment = nunjucks.Environment;
type Lookup = (target: unknown, key: unknown, ...rest: unknown[]) => unknown;

const runtime = (nunjucks as unknown as { runtime: { memberLookup: Lookup } }).runtime;
let jinjaParserInstalled = false;
const dialectLookups = new WeakSet<Lookup>();

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Python's `s[a:b:c]` for strings and lists. */
function pythonSlice(target: unknown, start: unknown, stop: unknown, step: unknown): unknown {
  const sequence: string | unknown[] = typeof target === 'string' || Array.isArray(target) ? target : [];
  const stride = typeof step === 'number' && step !== 0 ? step : 1;
  const length = sequence.length;
  const clamp = (value: unknown, fallback: number): number => {
    if (typeof value !== 'number') return fallback;
    const index = value < 0 ? value + length : value;
    return Math.max(stride < 0 ? -1 : 0, Math.min(index, stride < 0 ? length - 1 : length));
  };
  const from = clamp(start, stride < 0 ? length - 1 : 0);
  const to = clamp(stop, stride < 0 ? -1 : length);
  const picked: unknown[] = [];
  for (let index = from; stride > 0 ? index < to : index > to; index += stride) picked.push(sequence[index]);
  return typeof sequence === 'string' ? picked.join('') : picked;
}

const STRING_METHODS: Record<string, (text: string, ...args: unknown[]) => unknown> = {
  lower: (text) => text.toLowerCase(),
  upper: (text) => text.toUpperCase(),
  strip: (text, characters) => (typeof characters === 'string' ? trimCharacters(text, characters) : text.trim()),
  lstrip: (text) => text.trimStart(),
  rstrip: (text) => text.trimEnd(),
  title: (text) => text.replace(/\w\S*/g, (word) => word[0]!.toUpperCase() + word.slice(1).toLowerCase()),
  capitalize: (text) => text.charAt(0).toUpperCase() + text.slice(1).toLowerCase(),
  startswith: (text, prefix) => text.startsWith(String(prefix)),
  endswith: (text, suffix) => text.endsWith(String(suffix)),
  splitlines: (text) => text.split(/\r?\n/),
  count: (text, part) => text.split(String(part)).length - 1,
  find: (text, part) => text.indexOf(String(part)),
};
const DICT_METHODS: Record<string, (dict: Record<string, unknown>, ...args: unknown[]) => unknown> = {
  items: (dict) => Object.entries(dict),
  keys: (dict) => Object.keys(dict),
  values: (dict) => Object.values(dict),
  get: (dict, key, fallback) => (Object.prototype.hasOwnProperty.call(dict, String(key)) ? dict[String(key)] : (fallback ?? null)),
};

function trimCharacters(text: string, characters: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && characters.includes(text[start]!)) start++;
  while (end > start && characters.includes(text[end - 1]!)) end--;
  return text.slice(start, end);
}

/**
 * Python syntax in templates: slices (`text[:50]`), and a string's or dict's methods (`.lower()`, `.items()`)
 * when the value has no field of that name. Installed once for parsing; the lookup is kept outermost.
 */
export function installJinjaSyntax(): void {
  if (!jinjaParserInstalled) {
    const before = runtime.memberLookup;
    nunjucks.installJinjaCompat();
    // Jinja compat's own lookup hides real fields named items/keys/values; keep only its parser (slices).
    runtime.memberLookup = before;
    installLoopFilter();
    jinjaParserInstalled = true;
  }
  if (dialectLookups.has(runtime.memberLookup)) return;
  const inner = runtime.memberLookup;
  const lookup: Lookup = function (this: unknown, target, key, ...rest) {
    if (rest.length === 2) return pythonSlice(target, key, rest[0], rest[1]);
    if (typeof key === 'string') {
      if (typeof target === 'string' && Object.prototype.hasOwnProperty.call(STRING_METHODS, key)) {
        return (...args: unknown[]) => STRING_METHODS[key]!(target, ...args);
      }
      if (isObject(target) && !(key in target) && Object.prototype.hasOwnProperty.call(DICT_METHODS, key)) {
        return (...args: unknown[]) => DICT_METHODS[key]!(target, ...args);
      }
    }
    return inner.call(this, target, key, ...rest);
  };
  dialectLookups.add(lookup);
  runtime.memberLookup = lookup;
}

interface ParsedNode {
  lineno: number;
  colno: number;
  [field: string]: unknown;
}
type NodeClass = new (lineno: number, colno: number, ...fields: unknown[]) => ParsedNode;

/**
 * Jinja's loop filter, `{% for x in items if x.ok %}`: Nunjucks reads `items if x.ok` as an inline if outside the
 * loop (x undefined there). The body runs only for the items the condition keeps; `loop.index` counts every item.
 */
function installLoopFilter(): void {
  const { parser, nodes } = nunjucks as unknown as { parser: { Parser: { prototype: { parseFor(this: unknown): ParsedNode } } }; nodes: Record<string, NodeClass> };
  const parseFor = parser.Parser.prototype.parseFor;
  parser.Parser.prototype.parseFor = function (this: unknown): ParsedNode {
    const node = parseFor.call(this);
    const items = node.arr as ParsedNode | undefined;
    if (items instanceof nodes.InlineIf! && (items.else_ === null || items.else_ === undefined)) {
      const body = node.body as ParsedNode;
      node.arr = items.body;
      node.body = new nodes.NodeList!(body.lineno, body.colno, [new nodes.If!(items.lineno, items.colno, items.cond, body, null)]);
    }
    return node;
  };
}

/** `slugify`: lowercase, characters other than word, space and `-` dropped, runs of space/`-` as one `-`. */
export function slugify(value: unknown): string {
  return String(value ?? '')
    .toLowerCase()
    .replace(/[^\w\s-]/g, '')
    .trim()
    .replace(/[\s_-]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** Python's strftime for the directives pipelines use, in UTC. */
export function strftime(date: Date, format: string): string {
  const pad = (value: number, width = 2): string => String(value).padStart(width, '0');
  const hour12 = date.getUTCHours() % 12 || 12;
  const startOfYear = Date.UTC(date.getUTCFullYear(), 0, 1);
  const directives: Record<string, string> = {
    Y: String(date.getUTCFullYear()),
    y: pad(date.getUTCFullYear() % 100),
    m: pad(date.getUTCMonth() + 1),
    d: pad(date.getUTCDate()),
    H: pad(date.getUTCHours()),
    I: pad(hour12),
    M: pad(date.getUTCMinutes()),
    S: pad(date.getUTCSeconds()),
    f: pad(date.getUTCMilliseconds() * 1000, 6),
    p: date.getUTCHours() < 12 ? 'AM' : 'PM',
    B: MONTHS[date.getUTCMonth()]!,
    b: MONTHS[date.getUTCMonth()]!.slice(0, 3),
    A: DAYS[date.getUTCDay()]!,
    a: DAYS[date.getUTCDay()]!.slice(0, 3),
    j: pad(Math.floor((date.getTime() - startOfYear) / 86_400_000) + 1, 3),
    Z: 'UTC',
    z: '+0000',
    '%': '%',
  };
  return format.replace(/%([a-zA-Z%])/g, (whole, directive: string) => directives[directive] ?? whole);
}

function dateOf(value: unknown): Date | undefined {
  if (value instanceof Date) return value;
  if (value === 'now' || value === undefined || value === null || value === '') return new Date();
  const parsed = new Date(String(value));
  return Number.isNaN(parsed.getTime()) ? undefined : parsed;
}

/** Python's `%` formatting for %s, %d, %i, %f (with precision), %r and %%. */
function percentFormat(format: string, args: unknown[]): string {
  let next = 0;
  return format.replace(/%(\.\d+)?([sdifr%])/g, (whole, precision: string | undefined, kind: string) => {
    if (kind === '%') return '%';
    const value = args[next++];
    if (kind === 'd' || kind === 'i') return String(Math.trunc(Number(value)));
    if (kind === 'f') return Number(value).toFixed(precision ? Number(precision.slice(1)) : 6);
    return typeof value === 'string' ? value : JSON.stringify(value);
  });
}

function toJson(value: unknown, ...args: unknown[]): string {
  const options = args.find(isObject) as { indent?: unknown } | undefined;
  const indent = typeof args[0] === 'number' ? args[0] : typeof options?.indent === 'number' ? options.indent : 2;
  return JSON.stringify(value, null, indent) ?? 'null';
}

const FILTERS: Record<string, (...args: never[]) => unknown> = {
  slugify,
  truncate_words: (value: unknown, count: unknown = 50) => {
    const words = String(value ?? '').split(/\s+/).filter(Boolean);
    const limit = Number(count);
    return words.length > limit ? `${words.slice(0, limit).join(' ')}...` : words.join(' ');
  },
  regex_search: (value: unknown, pattern: unknown) => new RegExp(String(pattern)).exec(String(value ?? ''))?.[0] ?? null,
  regex_replace: (value: unknown, pattern: unknown, replacement: unknown = '') =>
    String(value ?? '').replace(new RegExp(String(pattern), 'g'), String(replacement).replace(/\\(\d)/g, '$$$1')),
  to_json: toJson,
  json: toJson,
  json_encode: toJson,
  tojson: toJson,
  from_json: (value: unknown) => {
    if (typeof value !== 'string') return value;
    try {
      return JSON.parse(value) as unknown;
    } catch {
      return value;
    }
  },
  date: (value: unknown, format: unknown = '%Y-%m-%d %H:%M:%S') => {
    const date = dateOf(value);
    return date ? strftime(date, String(format)) : value;
  },
  markdown_format: (value: unknown) => String(value ?? '').trim().replace(/\n{3,}/g, '\n\n'),
  basename: (value: unknown) => String(value ?? '').replace(/[\\/]+$/, '').split(/[\\/]/).pop() ?? '',
  split: (value: unknown, separator: unknown = ' ') => String(value ?? '').split(String(separator)),
  format: (value: unknown, ...args: unknown[]) => {
    const format = String(value ?? '');
    if (/%[-\d.]*[sdifr]/.test(format)) return percentFormat(format, args);
    let next = 0;
    return format.replace(/\{(\d*)(?::[^}]*)?\}/g, (_whole, position: string) => String(args[position === '' ? next++ : Number(position)] ?? ''));
  },
  map: (value: unknown, ...args: unknown[]) => {
    const items = Array.isArray(value) ? value : [];
    const options = args.find(isObject) as { attribute?: unknown } | undefined;
    if (typeof options?.attribute === 'string') return items.map((item) => (isObject(item) ? item[options.attribute as string] : undefined));
    return items;
  },
  int: (value: unknown, fallback: unknown = 0) => {
    const parsed = Number.parseInt(String(value), 10);
    return Number.isNaN(parsed) ? fallback : parsed;
  },
  float: (value: unknown, fallback: unknown = 0) => {
    const parsed = Number.parseFloat(String(value));
    return Number.isNaN(parsed) ? fallback : parsed;
  },
};

/** Run facts (`execution.timestamp`, …): one per worker process and run, fixed at the run's first render here. */
const runStarts = new Map<string, Date>();

/** The run rendering, when rendering happens in an activity (the workflow id is the run id). */
function currentRunId(): string | undefined {
  try {
    return Context.current().info.workflowExecution?.workflowId;
  } catch {
    return undefined; // not in an activity (a test, the CLI): every render is its own moment
  }
}

function execution(runId: string | undefined): Record<string, string> {
  let started = runId === undefined ? new Date() : runStarts.get(runId);
  if (!started) {
    started = new Date();
    runStarts.set(runId!, started);
    if (runStarts.size > 1000) runStarts.delete(runStarts.keys().next().value!);
  }
  const iso = started.toISOString();
  return { id: runId ?? '', started_at: iso, timestamp: iso, date: iso.slice(0, 10), time: iso.slice(11, 19) };
}

/**
 * Adds the dialect's filters and globals (`now()`, `execution()`) to an environment. `runId` tells `execution()`
 * which run is rendering (the activity's workflow id); without it, the process's first render is the start.
 */
/** Nunjucks' own string filters, which call string methods on what they are given (and throw on anything else). */
const STRING_FILTERS = ['truncate', 'upper', 'lower', 'title', 'capitalize', 'trim', 'wordcount', 'indent', 'striptags', 'center', 'replace', 'urlize', 'nl2br'];

/** A value as Jinja's `str()` would show it to a string filter: text as it is, anything else as JSON. */
function asText(value: unknown): unknown {
  if (value === null || value === undefined || typeof value === 'string' || value instanceof String) return value;
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/** Each string filter first turns a number, list or object into text, as Jinja's do (`{{ data | truncate(100) }}`). */
function coerceStringFilters(environment: Environment): void {
  for (const name of STRING_FILTERS) {
    const builtIn = environment.getFilter(name) as ((value: unknown, ...args: unknown[]) => unknown) | undefined;
    if (builtIn) environment.addFilter(name, (value: unknown, ...args: unknown[]) => builtIn(asText(value), ...args));
  }
}

export function registerDialectTemplates(environment: Environment, runId: () => string | undefined = currentRunId): Environment {
  installJinjaSyntax();
  coerceStringFilters(environment);
  for (const [name, filter] of Object.entries(FILTERS)) environment.addFilter(name, filter as (...args: unknown[]) => unknown);
  environment.addGlobal('now', () => new Date().toISOString());
  environment.addGlobal('execution', () => execution(runId()));
  return environment;
}
