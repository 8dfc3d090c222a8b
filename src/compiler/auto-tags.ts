// `<AUTO>…</AUTO>` tags: parsing, where they may stand, and the JSON Schema each tag's value must satisfy.
import type { CompiledStep, JsonSchema } from '../base/compiled-pipeline';

export const AUTO_FIELDS = ['model', 'timeout', 'max_retries', 'max_parallel', 'replicates'] as const;
export type AutoField = (typeof AUTO_FIELDS)[number];

export interface ParsedAutoTag {
  description: string;
  attributes: Record<string, string>;
}

export type AutoTagParse =
  | { kind: 'none' }
  | { kind: 'tag'; tag: ParsedAutoTag }
  | { kind: 'error'; message: string; index: number };

const WHOLE_TAG = /^\s*<AUTO((?:\s+[a-zA-Z_]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*>([\s\S]*?)<\/AUTO>\s*$/;
const ATTRIBUTE = /([a-zA-Z_]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;
const KNOWN_ATTRIBUTES = new Set(['type', 'choices', 'min', 'max', 'task']);
const TAG_TYPES = new Set(['string', 'integer', 'number', 'boolean', 'list', 'array', 'object']);

/** Reads a string value: no tag, a whole-value tag, or a misplaced/unclosed/malformed tag. */
export function parseAutoTag(text: string): AutoTagParse {
  const open = text.search(/<AUTO[\s>]/);
  if (open === -1) {
    const stray = text.indexOf('</AUTO>');
    return stray === -1 ? { kind: 'none' } : { kind: 'error', message: 'closing </AUTO> without an opening <AUTO>', index: stray };
  }
  if (!text.includes('</AUTO>', open)) return { kind: 'error', message: 'unclosed <AUTO> tag (no </AUTO>)', index: open };
  const match = WHOLE_TAG.exec(text);
  if (!match) {
    const nested = text.indexOf('<AUTO', open + 1);
    if (nested !== -1 && nested < text.indexOf('</AUTO>', open)) {
      return { kind: 'error', message: 'an <AUTO> tag cannot contain another <AUTO> tag', index: nested };
    }
    return {
      kind: 'error',
      message: 'an <AUTO> tag must be the whole value, not part of a longer string (or its attributes are malformed)',
      index: open,
    };
  }
  const attributes: Record<string, string> = {};
  for (const attribute of (match[1] ?? '').matchAll(ATTRIBUTE)) {
    const name = attribute[1]!;
    if (!KNOWN_ATTRIBUTES.has(name)) {
      return { kind: 'error', message: `unknown <AUTO> attribute '${name}' (known: ${[...KNOWN_ATTRIBUTES].join(', ')})`, index: open };
    }
    attributes[name] = attribute[2] ?? attribute[3] ?? '';
  }
  if (attributes.type !== undefined && !TAG_TYPES.has(attributes.type)) {
    return { kind: 'error', message: `<AUTO type="${attributes.type}"> is not one of ${[...TAG_TYPES].join(', ')}`, index: open };
  }
  const description = (match[2] ?? '').trim();
  if (description === '') return { kind: 'error', message: 'an <AUTO> tag needs a description of the value to decide', index: open };
  return { kind: 'tag', tag: { description, attributes } };
}

function numberAttribute(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const parsed = Number(value);
  return Number.isFinite(parsed) ? parsed : undefined;
}

function withBounds(schema: JsonSchema, attributes: Record<string, string>): JsonSchema {
  const minimum = numberAttribute(attributes.min);
  const maximum = numberAttribute(attributes.max);
  return { ...schema, ...(minimum !== undefined ? { minimum } : {}), ...(maximum !== undefined ? { maximum } : {}) };
}

/** "Choose appropriate format: bullet_points, narrative, or structured" -> the three choices. */
export function choicesInText(text: string): string[] | undefined {
  const match = /\b(?:choose|select|pick|one of|either)\b[^:]*:\s*([^:]+?)\.?\s*$/i.exec(text)
    ?? /\b(?:choose|select|pick)\s+(?:between|from|among)\s+([^:]+?)\.?\s*$/i.exec(text)
    // The whole description is the list: "Professional, constructive, or educational".
    ?? /^(\s*[\w-]+(?:\s*,\s*[\w-]+)+\s*,?\s+or\s+[\w-]+)\s*\.?\s*$/i.exec(text);
  if (!match) return undefined;
  const items = match[1]!
    .split(/\s*,\s*(?:or\s+|and\s+)?|\s+or\s+/i)
    .map((item) => item.trim().replace(/^['"`]|['"`]$/g, ''))
    .filter((item) => item !== '');
  if (items.length < 2 || items.some((item) => item.split(/\s+/).length > 3)) return undefined;
  return items;
}

/**
 * "Detect data format (csv, json, parquet, etc)" -> ['csv', 'json', 'parquet']: examples of an open set, not a
 * closed list of choices. The model is shown them and answers in a word or two.
 */
export function examplesInText(text: string): string[] | undefined {
  const match = /\((?:e\.g\.,?\s*|for example,?\s*|like\s+|such as\s+)?([^()]*?),?\s*(?:etc\.?|and so on|\.\.\.|…)\s*\)/i.exec(text)
    ?? /\b(?:e\.g\.|for example|such as)[,:]?\s+([^()]+?)\s*\)?\s*\.?$/i.exec(text);
  if (!match) return undefined;
  const items = match[1]!
    .split(/\s*,\s*(?:or\s+|and\s+)?|\s+or\s+/i)
    .map((item) => item.trim().replace(/^['"`]|['"`]$/g, ''))
    .filter((item) => item !== '' && item.split(/\s+/).length <= 3);
  return items.length > 0 ? items : undefined;
}

// A setting is short: bounds keep a small model from rambling (or looping) inside its JSON answer.
const TEXT: JsonSchema = { type: 'string', maxLength: 100 };
const LIST_OF_STRINGS: JsonSchema = { type: 'array', items: { type: 'string', maxLength: 40 }, minItems: 1, maxItems: 4 };

const PLURAL_EXCEPTIONS = /(ss|us|is|news|status|analysis|series|physics|economics)$/i;

/** The schema a tag's value must satisfy: declared attributes first, else inferred from the text and key. */
export function autoTagSchema(tag: ParsedAutoTag, key: string | undefined, field: AutoField | undefined): JsonSchema {
  const { attributes, description } = tag;
  if (attributes.choices !== undefined) {
    return { type: 'string', enum: attributes.choices.split('|').map((choice) => choice.trim()).filter(Boolean) };
  }
  switch (attributes.type) {
    case 'integer':
      return withBounds({ type: 'integer' }, attributes);
    case 'number':
      return withBounds({ type: 'number' }, attributes);
    case 'boolean':
      return { type: 'boolean' };
    case 'list':
    case 'array':
      return LIST_OF_STRINGS;
    case 'object':
      return { type: 'object' };
    case 'string':
      return TEXT;
    default:
      break;
  }
  switch (field) {
    case 'timeout':
      return withBounds({ type: 'integer', minimum: 1, maximum: 86400, description: 'seconds' }, attributes);
    case 'max_retries':
      return withBounds({ type: 'integer', minimum: 0, maximum: 10 }, attributes);
    case 'max_parallel':
    case 'replicates':
      return withBounds({ type: 'integer', minimum: 1, maximum: 100 }, attributes);
    case 'model':
      return { type: 'string', maxLength: 100 };
    default:
      break;
  }
  const choices = choicesInText(description);
  if (choices) return { type: 'string', enum: choices.map((choice) => choice.toLowerCase()) };
  const name = (key ?? '').toLowerCase();
  const range = /\((\d+)\s*[-–]\s*(\d+)\b/.exec(description);
  if (/^(num|number|max|min)_|_(count|size|limit|num)$/.test(name) && range) {
    return withBounds({ type: 'integer', minimum: Number(range[1]), maximum: Number(range[2]) }, attributes);
  }
  if (/^(enable|disable|whether|should)\b/i.test(description)) return { type: 'boolean' };
  if (/^(num|number|max|min)_|_(count|size|limit|num)$|^(count|limit|size|top_k|k)$/.test(name) || /\bnumber of\b|\bhow many\b/i.test(description) && !/s$/.test(name)) {
    // Counts of results, sources, items: a sensible range keeps a small model from answering 10^15.
    return withBounds({ type: 'integer', minimum: 1, maximum: 100 }, attributes);
  }
  if (/(threshold|level|ratio|rate|score|weight|confidence|temperature)$/.test(name)) return withBounds({ type: 'number' }, attributes);
  if (/^(enable|is|use|should|has|allow|include)_/.test(name) || /^(enabled|verbose)$/.test(name)) return { type: 'boolean' };
  if (/[a-z]s$/.test(name) && !PLURAL_EXCEPTIONS.test(name)) return LIST_OF_STRINGS;
  // "Determine required preprocessing steps", "Identify useful feature transformations": a list.
  if (/\b(?:required|relevant|useful|appropriate|needed|key|possible)\s+(?:[a-z]+\s+)?[a-z]*(?:steps|ions|ies|ics|types|tests|sections|queries|items|sources)\b/i.test(description)) {
    return LIST_OF_STRINGS;
  }
  return TEXT;
}

/** A step's tags are decided when the run starts if it depends on nothing; otherwise just before it runs. */
export function tagsDecidedUpFront(step: CompiledStep): boolean {
  return step.autoTags.length > 0 && step.dependsOn.length === 0;
}

/** A model as a pipeline writes it: a spec (`openai:gpt-4o-mini`, a registry name, `local`) or a requirement object. */
export type ModelSpec = string | Record<string, unknown>;

/**
 * The model that decides a step's AUTO tags: `config.auto_model`, else the model the step itself would call (the
 * run's default when the step's own model is the tag being decided); `echo` in a dry run. A requirement comes back
 * as it is, for the caller to resolve like a step's. The workflow and `orc compile --resolve` both ask this.
 */
export function autoTagModel(
  // autoModel may be missing from pipelines compiled before it existed (recorded histories).
  pipeline: { config: { model: ModelSpec; autoModel?: string | null } },
  step: Pick<CompiledStep, 'model' | 'autoTags'>,
  run: { dryRun?: boolean; defaultModel?: string } = {},
): ModelSpec {
  if (run.dryRun) return 'echo';
  if (pipeline.config.autoModel !== null && pipeline.config.autoModel !== undefined) return pipeline.config.autoModel;
  const runDefault = run.defaultModel ?? pipeline.config.model;
  const modelIsTag = step.autoTags.some((tag) => tag.target.kind === 'field' && tag.target.field === 'model');
  return modelIsTag ? runDefault : (step.model ?? runDefault);
}
