// The first pass: text -> the native document, and a source that says where each of its values is in the user's
// file. A native file is its own document; a file in the Python orchestrator's dialect (spec section 18) is
// normalised by src/compiler/pyorc, which hands back positions that point into what the user wrote.
import type { CompileOptions } from './context';
import { diagnosticAt, PipelineSource, type SourcePositions } from './source';
import type { Diagnostic } from './diagnostics';
import { looksLikePyorc, normalizePyorc } from './pyorc';
import { isPlainObject, type PlainObject } from './values';

export type Dialect = 'native' | 'pyorc';

/** The parsed file, as the front end gets it. */
export interface ParsedPipeline {
  /** The text as the user wrote it. */
  text: string;
  /**
   * The YAML value as native YAML reads it; undefined when native YAML cannot read the text (the dialect parses
   * its own way: AUTO text holding colons and quotes, duplicate keys), and then `source` has no document.
   */
  value: unknown;
  /** Positions of `value`'s paths in `text`. */
  source: PipelineSource;
}

/** What a front end gives the passes after it: a native document and where its values came from. */
export interface FrontEnd {
  document: PlainObject;
  source: SourcePositions;
  dialect: Dialect;
  /** Problems the front end found (each at a position in the user's file). */
  diagnostics: Diagnostic[];
  /** Not problems: what the front end changed that the user should know (e.g. a duplicate key, last one wins). */
  notes: Diagnostic[];
  /** The dialect's pipeline `id` (CompiledPipeline.id). */
  id?: string;
}

/** Keys only the dialect has at the top level. */
const DIALECT_TOP_KEYS = ['id', 'parameters'] as const;

/**
 * Spec section 18: a file is the dialect when it says so (`dialect: 'pyorc'` in the options), or uses a construct
 * only the dialect has: a top-level `id` or `parameters`, a `tool:` step, or a loop with nested `steps`
 * (`for_each`/`foreach`/`while`/`until` beside `steps`).
 *
 * `tool:` steps and `for_each`/`while`/`until` + `steps` are native too (CONTRACT), and mean the same in both; so
 * reading such a file as the dialect changes only what the dialect adds (its template names, `condition`, …).
 */
export function detectDialect(document: PlainObject, options: Pick<CompileOptions, 'dialect'>): Dialect {
  if (options.dialect) return options.dialect;
  if (looksLikePyorc(document)) return 'pyorc'; // also condition/if, the dialect's LLM actions, on_error…
  if (DIALECT_TOP_KEYS.some((key) => document[key] !== undefined)) return 'pyorc';
  const steps = Array.isArray(document.steps) ? document.steps : [];
  // Only these (spec 18): the dialect's other keys (`condition`, its action names, a free-text name, …) are not
  // enough, because a native file that says `action: analyze` or misspells a key must stay native and be told so.
  return steps.some((step) => isPlainObject(step) && (step.tool !== undefined || isDialectLoop(step))) ? 'pyorc' : 'native';
}

function isDialectLoop(step: PlainObject): boolean {
  return Array.isArray(step.steps) && ['for_each', 'foreach', 'while', 'until'].some((key) => step[key] !== undefined);
}

/** A file that native YAML cannot read is still handed to the dialect's parser when it says it is the dialect. */
const DIALECT_TEXT = /^(id|parameters):/m;

/** Text -> the native document (or the diagnostics that stop it: YAML syntax, not a mapping). */
export function frontEnd(text: string, options: CompileOptions): FrontEnd | { diagnostics: Diagnostic[]; document?: undefined } {
  const strict = PipelineSource.parse(text);
  const lenient = strict.onlyDuplicateKeys && options.dialect !== 'native' ? PipelineSource.parse(text, { uniqueKeys: false }) : undefined;
  // The dialect reads a duplicate key as PyYAML does (the last one wins), with a note; native YAML refuses it.
  if (lenient && isPlainObject(lenient.value) && detectDialect(lenient.value, options) === 'pyorc') {
    const native = dialectFrontEnd({ text, value: lenient.value, source: lenient.source }, options);
    const notes = strict.errors.map((error) => ({ ...error, code: 'DUPLICATE_KEY' as const, message: `${error.message.replace(/^malformed YAML: /, '')}: the last one is used (as the Python orchestrator reads it)` }));
    return native.document === undefined ? native : { ...native, notes: [...notes, ...native.notes] };
  }
  if (strict.errors.length > 0 && options.dialect !== 'native' && (options.dialect === 'pyorc' || DIALECT_TEXT.test(text))) {
    const dialect = dialectFrontEnd({ text, value: undefined, source: strict.source }, options);
    // The dialect's own parse may read what native YAML could not; if it cannot either, native YAML's errors stand.
    if (dialect.document !== undefined || dialect.diagnostics.length > 0) return dialect;
  }
  if (strict.errors.length > 0) return { diagnostics: strict.errors };
  if (!isPlainObject(strict.value)) {
    return { diagnostics: [diagnosticAt(strict.source, 'INVALID_VALUE', 'a pipeline file must be a YAML mapping with at least `name` and `steps`', [])] };
  }
  const parsed = { text, value: strict.value, source: strict.source };
  return detectDialect(strict.value, options) === 'native' ? { document: strict.value, source: strict.source, dialect: 'native', diagnostics: [], notes: [] } : dialectFrontEnd(parsed, options);
}

/** The hook: the dialect's front end (src/compiler/pyorc) turns a dialect file into the native document. */
function dialectFrontEnd(parsed: ParsedPipeline, options: CompileOptions): FrontEnd | { diagnostics: Diagnostic[]; document?: undefined } {
  const normalised = normalizePyorc(parsed, options);
  const diagnostics = normalised.diagnostics ?? [];
  // Without a readable document (malformed YAML even for the dialect), the front end's diagnostics are all there is.
  if (!isPlainObject(normalised.document) || diagnostics.some((diagnostic) => diagnostic.code === 'YAML_SYNTAX')) return { diagnostics };
  return {
    document: normalised.document,
    source: normalised.source,
    dialect: 'pyorc',
    diagnostics,
    notes: normalised.notes ?? [],
    ...(normalised.id !== undefined ? { id: normalised.id } : {}),
  };
}
