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
  /** The YAML value (a mapping: the front end is called only for one). */
  value: PlainObject;
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
  return steps.some((step) => isPlainObject(step) && (step.tool !== undefined || isDialectLoop(step))) ? 'pyorc' : 'native';
}

function isDialectLoop(step: PlainObject): boolean {
  return Array.isArray(step.steps) && ['for_each', 'foreach', 'while', 'until'].some((key) => step[key] !== undefined);
}

/** Text -> the native document (or the diagnostics that stop it: YAML syntax, not a mapping). */
export function frontEnd(text: string, options: CompileOptions): FrontEnd | { diagnostics: Diagnostic[]; document?: undefined } {
  const parsed = PipelineSource.parse(text);
  if (parsed.errors.length > 0) return { diagnostics: parsed.errors };
  if (!isPlainObject(parsed.value)) {
    return { diagnostics: [diagnosticAt(parsed.source, 'INVALID_VALUE', 'a pipeline file must be a YAML mapping with at least `name` and `steps`', [])] };
  }
  return toNative({ text, value: parsed.value, source: parsed.source }, options);
}

/** The hook: the native document of a parsed file, through the dialect's front end when the file is the dialect. */
export function toNative(parsed: ParsedPipeline, options: CompileOptions): FrontEnd {
  const dialect = detectDialect(parsed.value, options);
  if (dialect === 'native') return { document: parsed.value, source: parsed.source, dialect, diagnostics: [], notes: [] };
  const normalised = normalizePyorc(parsed, options);
  return { dialect, diagnostics: [], notes: [], ...normalised };
}
