// Tells a degenerate model answer from a usable one: a short unit looping, the schema's own words, or the prompt copied back.
//
// Pure and dependency-free: the local model server (an ES module) uses it to decide on a re-ask, the AUTO
// resolver and the seed benchmark use it to judge values, and they must all agree on what "degenerate" means.
import { isPlainObject } from '../../base/plain-object';

export type DegenerationKind = 'loop' | 'repeated-items' | 'schema-echo' | 'prompt-echo';

export interface Degeneration {
  kind: DegenerationKind;
  /** Where in the answer: `""` for the whole answer, else a dotted path (`value.2`, `findings`). */
  path: string;
  /** One line a person can read in a run's result: what repeats, or what was copied. */
  reason: string;
}

/** What the guard did about a degenerate answer: kept on the answer, the step record and the AUTO resolution. */
export interface ReAskRecord {
  /** Re-asks made because an answer was degenerate (the guard makes at most one). */
  retries: number;
  /** Why the first answer was not taken. */
  reason: string;
  /** Set when the re-asked answer was degenerate too: it is kept anyway (it is still valid) and marked. */
  degenerate?: string;
}

export interface DegenerationContext {
  /** The JSON Schema the answer was made under: its keywords and property names are not answers. */
  schema?: unknown;
  /** Texts of the request (the prompt, the inputs): a value that copies a sentence or an identifier of one back is an echo. */
  sources?: readonly string[];
  /** Texts a value must not be at all, however short: the question itself (an AUTO tag's name and description). */
  instructions?: readonly string[];
}

/** Words that only ever appear in an answer because the model read them in the schema it was shown. */
const SCHEMA_KEYWORDS = [
  '$schema', '$ref', '$defs', 'additionalProperties', 'allOf', 'anyOf', 'const', 'definitions', 'enum', 'exclusiveMaximum',
  'exclusiveMinimum', 'items', 'maxItems', 'maxLength', 'maxProperties', 'maximum', 'minItems', 'minLength', 'minProperties',
  'minimum', 'multipleOf', 'oneOf', 'pattern', 'patternProperties', 'prefixItems', 'properties', 'required', 'type', 'uniqueItems',
];
const TYPE_NAMES = ['string', 'integer', 'number', 'boolean', 'array', 'object', 'null'];
/** Keywords distinctive enough that finding two of them inside a longer value means a schema was pasted into it. */
const DISTINCTIVE_KEYWORDS = SCHEMA_KEYWORDS.filter((keyword) => /[A-Z$]/.test(keyword) || keyword === 'properties');

/** The longest unit a loop is looked for in; longer repeats are rare and cheap to let through. */
const MAXIMUM_UNIT = 40;

function normalize(text: string): string {
  return text
    .trim()
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .replace(/^["'`[(]+|["'`\]).,;:!?]+$/g, '')
    .trim();
}

function hasWordCharacter(text: string): boolean {
  return /[\p{L}\p{N}]/u.test(text);
}

/** How many times in a row a unit must repeat before it is a loop: short units need more to be sure. */
function loopThreshold(unitLength: number): number {
  if (unitLength <= 2) return 8;
  if (unitLength <= 7) return 5;
  return 3;
}

/**
 * The first stretch of `text` where one short unit (1–40 characters, holding a letter or digit) repeats
 * back to back more often than plain language does: `1.1.1.1.1.1`, `2022-01-01 2022-01-01 2022-01-01`.
 */
export function findLoop(text: string): { unit: string; repeats: number } | null {
  const length = text.length;
  for (let unitLength = 1; unitLength <= Math.min(MAXIMUM_UNIT, Math.floor(length / 2)); unitLength++) {
    const needed = loopThreshold(unitLength);
    if (unitLength * needed > length) continue;
    // `run` counts positions i where text[i] === text[i + unitLength]: a run of m such positions is a
    // stretch of m + unitLength characters with period unitLength.
    let run = 0;
    for (let index = 0; index + unitLength < length; index++) {
      if (text[index] === text[index + unitLength]) {
        run++;
        const repeats = Math.floor((run + unitLength) / unitLength);
        if (repeats >= needed) {
          const start = index - run + 1;
          const unit = text.slice(start, start + unitLength);
          // Rules, tables and indentation (`-----`, `|---|---|`) repeat by design.
          if (hasWordCharacter(unit) && !isMultipleOfShorterUnit(unit)) return { unit, repeats: countRepeats(text, start, unit) };
        }
      } else {
        run = 0;
      }
    }
  }
  return null;
}

/** "abab" is "ab" twice: the loop is reported with its shortest unit, found at a smaller unit length. */
function isMultipleOfShorterUnit(unit: string): boolean {
  for (let length = 1; length < unit.length; length++) {
    if (unit.length % length === 0 && unit.slice(0, length).repeat(unit.length / length) === unit) return true;
  }
  return false;
}

function countRepeats(text: string, start: number, unit: string): number {
  let repeats = 0;
  for (let index = start; text.startsWith(unit, index); index += unit.length) repeats++;
  return repeats;
}

/** A sentence or line (12+ characters) said three times or more, not necessarily back to back. */
function findRepeatedSentence(text: string): string | null {
  const counts = new Map<string, number>();
  for (const piece of text.split(/(?<=[.!?])\s+|\n+/)) {
    const sentence = normalize(piece);
    if (sentence.length < 12 || !hasWordCharacter(sentence)) continue;
    const count = (counts.get(sentence) ?? 0) + 1;
    if (count >= 3) return sentence;
    counts.set(sentence, count);
  }
  return null;
}

function schemaWords(schema: unknown): Set<string> {
  const words = new Set([...SCHEMA_KEYWORDS, ...TYPE_NAMES].map((word) => word.toLowerCase()));
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      node.forEach(visit);
      return;
    }
    if (node === null || typeof node !== 'object') return;
    const record = node as Record<string, unknown>;
    const properties = record.properties;
    if (isPlainObject(properties)) {
      for (const name of Object.keys(properties)) words.add(name.toLowerCase());
    }
    for (const [key, child] of Object.entries(record)) if (key !== 'enum' && key !== 'const' && key !== 'examples') visit(child);
  };
  visit(schema);
  return words;
}

/** An answer may name a property of its schema only when the schema offers that name as a choice. */
function allowedWords(schema: unknown): Set<string> {
  const allowed = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      node.forEach(visit);
      return;
    }
    if (node === null || typeof node !== 'object') return;
    for (const [key, child] of Object.entries(node as Record<string, unknown>)) {
      if ((key === 'enum' || key === 'examples') && Array.isArray(child)) {
        for (const choice of child) if (typeof choice === 'string') allowed.add(normalize(choice));
      } else if (key === 'const' && typeof child === 'string') {
        allowed.add(normalize(child));
      } else {
        visit(child);
      }
    }
  };
  visit(schema);
  return allowed;
}

interface EchoSource {
  text: string;
  words: number;
  spaceless: boolean;
}

/** The lines of the request and, for `key: value` lines, the value alone: the pieces a lazy answer copies whole. */
function echoSources(sources: readonly string[]): EchoSource[] {
  const pieces = new Set<string>();
  for (const source of sources) {
    pieces.add(normalize(source));
    for (const line of source.split('\n')) {
      const bare = line.replace(/^\s*(?:[-*]\s+)?/, '');
      pieces.add(normalize(bare));
      const colon = /^[\w .()-]{1,60}?:\s+(.+)$/.exec(bare);
      if (colon?.[1]) pieces.add(normalize(colon[1]));
    }
  }
  return [...pieces]
    .filter((text) => text.length >= 10)
    .map((text) => ({ text, words: text.split(' ').length, spaceless: !text.includes(' ') }));
}

/**
 * Copying is an echo when the value is an identifier of the request (a URL, path or file name of 10+
 * characters, alone or with a few characters around it) or a whole sentence of it (5+ words: an
 * instruction, a description). A short phrase of the input, such as a topic reused as a search query, is not.
 */
function echoedSource(value: string, sources: EchoSource[]): string | null {
  const text = normalize(value);
  if (text.length < 10) return null;
  for (const source of sources) {
    if (source.spaceless && (text === source.text || (text.includes(source.text) && text.length <= source.text.length + 8))) return source.text;
    if (!source.spaceless && source.words >= 5 && text === source.text) return source.text;
  }
  return null;
}

function quote(text: string, limit = 40): string {
  return JSON.stringify(text.length > limit ? `${text.slice(0, limit)}…` : text);
}

function checkString(
  value: string,
  path: string,
  words: Set<string>,
  allowed: Set<string>,
  sources: EchoSource[],
  instructions: Set<string>,
): Degeneration | null {
  if (value.trim() !== '' && !hasWordCharacter(value)) return { kind: 'prompt-echo', path, reason: `${quote(value)} has no content (a placeholder copied from the request)` };
  const loop = findLoop(value);
  if (loop) return { kind: 'loop', path, reason: `${quote(loop.unit)} repeated ${loop.repeats} times in a row` };
  const sentence = findRepeatedSentence(value);
  if (sentence) return { kind: 'loop', path, reason: `the sentence ${quote(sentence)} said 3 times or more` };
  const bare = normalize(value);
  if (words.has(bare) && !allowed.has(bare)) return { kind: 'schema-echo', path, reason: `${quote(value)} is a word of the JSON Schema, not an answer` };
  const pasted = DISTINCTIVE_KEYWORDS.filter((keyword) => value.includes(keyword));
  if (pasted.length >= 2 || /"type"\s*:/.test(value)) {
    return { kind: 'schema-echo', path, reason: `it holds the JSON Schema's own words (${pasted.slice(0, 3).join(', ') || '"type":'})` };
  }
  if (/\{\{|\{%/.test(value)) return { kind: 'prompt-echo', path, reason: `${quote(value)} is template syntax copied from the pipeline, not a value` };
  if (instructions.has(bare) && !allowed.has(bare)) return { kind: 'prompt-echo', path, reason: `${quote(value)} repeats the question instead of answering it` };
  const echoed = echoedSource(value, sources);
  if (echoed) return { kind: 'prompt-echo', path, reason: `it copies ${quote(echoed)} from the request` };
  return null;
}

/**
 * The first sign of degeneration in an answer (free text, or parsed JSON), or null for a usable one.
 * Numbers and booleans are never degenerate here: the grammar bounds them.
 */
export function findDegeneration(answer: unknown, context: DegenerationContext = {}): Degeneration | null {
  const words = schemaWords(context.schema);
  const allowed = allowedWords(context.schema);
  const sources = echoSources([...(context.sources ?? []), ...(context.instructions ?? [])]);
  const instructions = new Set((context.instructions ?? []).map(normalize).filter((text) => text !== ''));
  const visit = (node: unknown, path: string): Degeneration | null => {
    if (typeof node === 'string') return checkString(node, path, words, allowed, sources, instructions);
    if (Array.isArray(node)) {
      const strings = node.filter((item): item is string => typeof item === 'string').map(normalize);
      for (let index = 1; index < strings.length; index++) {
        const item = strings[index]!;
        if (item === strings[index - 1] || strings.filter((other) => other === item).length >= 3) {
          return { kind: 'repeated-items', path, reason: `the item ${quote(item)} is repeated` };
        }
      }
      for (const [index, item] of node.entries()) {
        const found = visit(item, path === '' ? String(index) : `${path}.${index}`);
        if (found) return found;
      }
      return null;
    }
    if (node !== null && typeof node === 'object') {
      for (const [key, child] of Object.entries(node as Record<string, unknown>)) {
        const found = visit(child, path === '' ? key : `${path}.${key}`);
        if (found) return found;
      }
    }
    return null;
  };
  return visit(answer, '');
}

/** One line for a run's record: `loop at value.0: "1." repeated 40 times in a row`. */
export function describeDegeneration(degeneration: Degeneration): string {
  return `${degeneration.kind}${degeneration.path ? ` at ${degeneration.path}` : ''}: ${degeneration.reason}`;
}

/** `retries` and `reason` as a step record or AUTO resolution keeps them; nothing when there was no re-ask. */
export function reAskRecord(reAsk: ReAskRecord | undefined): { retries?: number; reason?: string } {
  if (!reAsk || reAsk.retries === 0) return {};
  return { retries: reAsk.retries, reason: reAsk.degenerate ? `${reAsk.reason}; the re-ask was degenerate too: ${reAsk.degenerate}` : reAsk.reason };
}
