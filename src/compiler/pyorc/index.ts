// Front end for the Python orchestrator's dialect (spec section 18): a dialect file becomes the native document,
// with positions traced back to the author's file, and is then compiled like any other pipeline.
import * as path from 'node:path';
import { stringify } from 'yaml';
import { formatPath, type Diagnostic } from '../diagnostics';
import type { YamlPath } from '../source';
import { isPlainObject, type PlainObject } from '../values';
import type { CompiledPipeline } from '../../base/compiled-pipeline';
import { normalizeDocument } from './document';
import { installJinjaSyntax } from './filters';
import { declareImplicitInputs } from './implicit-inputs';
import { expandInclusions } from './inclusion';
import { parseDialect } from './parse';
import { TranslatedSource } from './positions';
import { LLM_ACTIONS, type StepContext } from './steps';

export { TranslatedSource } from './positions';
export { registerDialectTemplates } from './filters';

// Slices (`text[:50]`) must parse when the compiler reads a dialect template.
installJinjaSyntax();
export { rewriteTemplate } from './templates';

export interface PyorcFrontEnd {
  dialect: 'pyorc';
  /** The native document; undefined when the file could not be read as YAML. */
  document: PlainObject | undefined;
  /** Positions in the author's file for native paths. */
  source: TranslatedSource;
  /** Problems the front end found itself (malformed YAML, contradictions, missing included files). */
  errors: Diagnostic[];
  /** Things the author should know that do not stop the file (duplicate keys, renamed models, ignored keys). */
  notes: Diagnostic[];
  /** The dialect's pipeline `id`, and its free-text `name`. */
  id?: string;
  title?: string;
}

export interface PyorcOptions {
  file?: string;
  /** Read the file as the dialect even if nothing in it is dialect-only (`--dialect pyorc`). */
  force?: boolean;
}

const DIALECT_TOP_KEYS = ['id', 'parameters', 'metadata'];
const NATIVE_ACTION_NAMES: ReadonlySet<string> = new Set(['generate', 'analyze']);
const DIALECT_STEP_KEYS = ['tool', 'condition', 'if', 'foreach', 'while', 'until', 'steps', 'produces', 'location', 'requires_model', 'continue_on_error', 'on_error'];

function stepsOf(value: unknown): PlainObject[] {
  if (!Array.isArray(value)) return [];
  return value.filter(isPlainObject).flatMap((step) => [step, ...stepsOf(step.steps)]);
}

/** A file uses the dialect when it uses something only the dialect has (spec section 18). */
export function looksLikePyorc(value: unknown): boolean {
  if (!isPlainObject(value)) return false;
  if (DIALECT_TOP_KEYS.some((key) => value[key] !== undefined)) return true;
  // A free-text name is a native BAD_ID, unless steps also name their model among their parameters, as the dialect does.
  const steps = stepsOf(value.steps);
  if (typeof value.name === 'string' && /\s/.test(value.name) && steps.some((step) => isPlainObject(step.parameters) && step.parameters.model !== undefined)) return true;
  // `generate` and `analyze` are native action names too; the other LLM actions are the dialect's own.
  return steps.some(
    (step) => DIALECT_STEP_KEYS.some((key) => step[key] !== undefined) || (typeof step.action === 'string' && LLM_ACTIONS.has(step.action) && !NATIVE_ACTION_NAMES.has(step.action)),
  );
}

/** Ids of the steps whose result is a model's text (every step that is not a tool call or a loop). */
function textStepIds(steps: PlainObject[]): Set<string> {
  const ids = new Set<string>();
  for (const step of steps) {
    const isTool = step.tool !== undefined || step.action === 'filesystem';
    const isLoop = Array.isArray(step.steps);
    if (typeof step.id === 'string' && !isTool && !isLoop && step.action !== 'generate_structured' && step.action !== 'generate-structured') ids.add(step.id);
  }
  return ids;
}

/** Inputs and step ids: names the run-fact rewrites (`timestamp`, `pipeline_id`) must leave alone. */
function declaredNames(raw: PlainObject): Set<string> {
  const names = new Set(Object.keys(inputDefaults(raw)));
  for (const step of stepsOf(raw.steps)) if (typeof step.id === 'string') names.add(step.id);
  return names;
}

function inputDefaults(raw: PlainObject): Record<string, unknown> {
  const defaults: Record<string, unknown> = {};
  for (const key of ['parameters', 'inputs']) {
    const declared = raw[key];
    if (!isPlainObject(declared)) continue;
    for (const [name, spec] of Object.entries(declared)) defaults[name] = isPlainObject(spec) ? spec.default : spec;
  }
  return defaults;
}

/** What the compiler's front end (src/compiler/front-end.ts) hands over: the file's text and its parsed value. */
export interface ParsedFile {
  text: string;
  value: unknown;
}

/** The native document, for the compiler's front-end hook (which has already decided that the file is the dialect). */
export interface NormalizedPyorc {
  document: PlainObject;
  source: TranslatedSource;
  /** Problems, each at a position in the user's file. */
  diagnostics?: Diagnostic[];
  /** Not problems: what the user should know (renamed models, ignored keys, undeclared names read as inputs). */
  notes?: Diagnostic[];
  id?: string;
}

/**
 * The hook the compiler calls for a dialect file. Duplicate keys are noted by the compiler's own parse, so they
 * are not noted twice here; everything else the front end says is returned with positions in the user's file.
 */
export function normalizePyorc(parsed: ParsedFile, options: { file?: string } = {}): NormalizedPyorc {
  const front = normalizePyorcText(parsed.text, { ...options, force: true })!;
  const document = front.document ?? (isPlainObject(parsed.value) ? parsed.value : {});
  return {
    document,
    source: front.source,
    diagnostics: front.errors,
    notes: front.notes.filter((note) => !note.message.startsWith('duplicate key')),
    ...(front.id !== undefined ? { id: front.id } : {}),
  };
}

/** The dialect file as a native document, or undefined when `text` is not the dialect (and not forced). */
export function normalizePyorcText(text: string, options: PyorcOptions = {}): PyorcFrontEnd | undefined {
  const parsed = parseDialect(text);
  const source = new TranslatedSource(parsed.source);
  if (parsed.errors.length > 0) {
    // Native YAML would fail the same way; only claim the file when asked to or when the text says it is ours.
    if (!options.force && !/^(id|parameters):/m.test(text)) return undefined;
    return { dialect: 'pyorc', document: undefined, source, errors: parsed.errors, notes: [] };
  }
  if (!options.force && !looksLikePyorc(parsed.value)) return undefined;
  const errors: Diagnostic[] = [];
  const notes: Diagnostic[] = [...parsed.notes];
  const positioned = (code: Diagnostic['code'], message: string, at: YamlPath, key?: string | number): Diagnostic => {
    const position = key === undefined ? parsed.source.positionOf(at) : parsed.source.positionOfKey(at, key);
    const where = key === undefined ? at : [...at, key];
    return { code, message, path: formatPath(where), ...position };
  };
  if (!isPlainObject(parsed.value)) {
    errors.push(positioned('INVALID_VALUE', 'a pipeline file must be a YAML mapping with at least `name` and `steps`', []));
    return { dialect: 'pyorc', document: undefined, source, errors, notes };
  }
  const problems: Array<{ at: YamlPath; message: string }> = [];
  const raw = expandInclusions(parsed.value, options.file ? path.dirname(path.resolve(options.file)) : process.cwd(), [], problems) as PlainObject;
  for (const problem of problems) errors.push(positioned('FILE_UNREADABLE', problem.message, problem.at));
  const context: StepContext = {
    names: { textSteps: textStepIds(stepsOf(raw.steps)), declared: declaredNames(raw), pipelineId: typeof raw.id === 'string' ? raw.id : String(raw.name ?? '') },
    inputDefaults: inputDefaults(raw),
    map: (native, original) => source.map(native, original),
    error: (code, message, at, key) => errors.push(positioned(code, message, at, key)),
    note: (code, message, at, key) => notes.push(positioned(code, message, at, key)),
  };
  const { document, id, title } = normalizeDocument(raw, context);
  declareImplicitInputs(document, String(document.name ?? 'pipeline'), source, notes);
  return { dialect: 'pyorc', document, source, errors, notes, ...(id !== undefined ? { id } : {}), ...(title !== undefined ? { title } : {}) };
}

/** The native document as YAML text, for the native compiler and `orc migrate`. */
export function nativeText(frontEnd: PyorcFrontEnd): string {
  return stringify(frontEnd.document ?? {}, { lineWidth: 0 });
}

type NativeResult = { ok: true; pipeline: CompiledPipeline; diagnostics: []; notes: Diagnostic[] } | { ok: false; diagnostics: Diagnostic[] };

/**
 * Finishes a native compile of the front end's document: diagnostics move to the author's file, the front end's
 * own notes join the native ones, and the pipeline records its dialect and id.
 */
export function finishPyorc(frontEnd: PyorcFrontEnd, result: NativeResult): NativeResult {
  const byPosition = (a: Diagnostic, b: Diagnostic): number => a.line - b.line || a.column - b.column;
  if (!result.ok || frontEnd.errors.length > 0) {
    const diagnostics = [...frontEnd.errors, ...result.diagnostics.map((diagnostic) => frontEnd.source.translate(diagnostic))].sort(byPosition);
    return { ok: false, diagnostics };
  }
  const pipeline: CompiledPipeline = { ...result.pipeline, dialect: 'pyorc', ...(frontEnd.id !== undefined ? { id: frontEnd.id } : {}) };
  const notes = [...frontEnd.notes, ...result.notes.map((note) => frontEnd.source.translate(note))].sort(byPosition);
  return { ok: true, pipeline, diagnostics: [], notes };
}
