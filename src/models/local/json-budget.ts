// Bounds every string, array and open object of a JSON Schema so that the longest JSON it allows fits a token budget.
//
// A small model under a grammar with an open string can write until max_tokens and never close its JSON.
// The local model server rewrites each schema with these bounds before it builds the grammar, so that a
// structured answer ends by construction. Pure: the server (an ES module) and the tests import it.
import { isPlainObject } from '../../base/plain-object';

type Schema = Record<string, unknown>;

/** Characters of one token, at worst: a token holds at least one character of ASCII text. */
const TOKENS_PER_CHARACTER = 1;
/** The grammar builder's own bound on a number: a sign, 16 digits, a 16-digit fraction, an exponent. */
const NUMBER_CHARACTERS = 40;
/** A comma, a newline and the grammar's indentation (4 spaces a level) around each element, at worst. */
const elementOverhead = (depth: number): number => 3 + 4 * depth;
/** A string the schema leaves open is cut to this at the shortest; shorter strings are left as the schema has them. */
const SHORTEST_OPEN_STRING = 8;
/** Items of an array with no maxItems, properties of an open object: enough for a list, not for a loop. */
export const DEFAULT_MAX_ITEMS = 8;
export const DEFAULT_MAX_PROPERTIES = 6;
/** Keys of an open object are strings the grammar does not bound; count them at this length. */
const OPEN_KEY_CHARACTERS = 24;
/** Room kept for what the budget cannot see: the end-of-text token, a stray space. */
const RESERVED_TOKENS = 4;

const isSchema: (value: unknown) => value is Schema = isPlainObject;

/** Open strings get the whole budget (scaled down later), open arrays DEFAULT_MAX_ITEMS, open objects bounded values. */
function withDefaults(schema: Schema, maxTokens: number): Schema {
  const result: Schema = { ...schema };
  if (isSchema(schema.$defs)) {
    result.$defs = Object.fromEntries(Object.entries(schema.$defs).map(([name, definition]) => [name, isSchema(definition) ? withDefaults(definition, maxTokens) : definition]));
  }
  if (Array.isArray(schema.oneOf)) result.oneOf = schema.oneOf.map((branch) => (isSchema(branch) ? withDefaults(branch, maxTokens) : branch));
  switch (schema.type) {
    case 'string':
      if (typeof schema.format !== 'string' && typeof schema.maxLength !== 'number') result.maxLength = maxTokens;
      break;
    case 'array': {
      if (isSchema(schema.items)) result.items = withDefaults(schema.items, maxTokens);
      if (Array.isArray(schema.prefixItems)) result.prefixItems = schema.prefixItems.map((item) => (isSchema(item) ? withDefaults(item, maxTokens) : item));
      const minimum = typeof schema.minItems === 'number' ? schema.minItems : 0;
      if (typeof schema.maxItems !== 'number') result.maxItems = Math.max(minimum, DEFAULT_MAX_ITEMS, Array.isArray(schema.prefixItems) ? schema.prefixItems.length : 0);
      break;
    }
    case 'object': {
      if (isSchema(schema.properties)) {
        result.properties = Object.fromEntries(
          Object.entries(schema.properties).map(([name, property]) => [name, isSchema(property) ? withDefaults(property, maxTokens) : property]),
        );
      }
      const additional = schema.additionalProperties;
      if (additional === true) {
        // Any JSON under an open key has no bound at all; a short scalar keeps the answer's size known.
        result.additionalProperties = { oneOf: [{ type: 'string', maxLength: maxTokens }, { type: ['number', 'boolean', 'null'] }] };
      } else if (isSchema(additional)) {
        result.additionalProperties = withDefaults(additional, maxTokens);
      }
      if (result.additionalProperties !== undefined && result.additionalProperties !== false && typeof schema.maxProperties !== 'number') {
        const declared = isSchema(schema.properties) ? Object.keys(schema.properties).length : 0;
        result.maxProperties = declared + DEFAULT_MAX_PROPERTIES;
      }
      break;
    }
    default:
      break;
  }
  return result;
}

/** The most tokens JSON under `schema` can take, at worst; Infinity when the schema has no bound (recursion). */
export function worstCaseTokens(schema: unknown, definitions: Record<string, unknown> = {}, depth = 0, seen: ReadonlySet<string> = new Set()): number {
  if (!isSchema(schema)) return Infinity;
  const defs = isSchema(schema.$defs) ? { ...definitions, ...schema.$defs } : definitions;
  if (typeof schema.$ref === 'string') {
    const name = schema.$ref.replace(/^#\/\$defs\//, '');
    if (seen.has(name)) return Infinity;
    return worstCaseTokens(defs[name], defs, depth, new Set([...seen, name]));
  }
  if (Array.isArray(schema.oneOf)) return Math.max(0, ...schema.oneOf.map((branch) => worstCaseTokens(branch, defs, depth, seen)));
  if ('const' in schema) return JSON.stringify(schema.const).length * TOKENS_PER_CHARACTER;
  if (Array.isArray(schema.enum)) return Math.max(0, ...schema.enum.map((choice) => JSON.stringify(choice).length)) * TOKENS_PER_CHARACTER;
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  let worst = 0;
  for (const type of types) {
    switch (type) {
      case 'string':
        if (typeof schema.format === 'string') worst = Math.max(worst, 32);
        else worst = Math.max(worst, typeof schema.maxLength === 'number' ? (schema.maxLength + 2) * TOKENS_PER_CHARACTER : Infinity);
        break;
      case 'number':
      case 'integer':
        worst = Math.max(worst, NUMBER_CHARACTERS * TOKENS_PER_CHARACTER);
        break;
      case 'boolean':
      case 'null':
        worst = Math.max(worst, 5);
        break;
      case 'array': {
        const maxItems = typeof schema.maxItems === 'number' ? schema.maxItems : Infinity;
        const prefix = Array.isArray(schema.prefixItems) ? schema.prefixItems : [];
        let total = 2;
        for (const [index, item] of prefix.entries()) if (index < maxItems) total += worstCaseTokens(item, defs, depth + 1, seen) + elementOverhead(depth + 1);
        const rest = maxItems - prefix.length;
        if (rest > 0) total += rest * ((schema.items === undefined ? Infinity : worstCaseTokens(schema.items, defs, depth + 1, seen)) + elementOverhead(depth + 1));
        worst = Math.max(worst, total);
        break;
      }
      case 'object': {
        let total = 2;
        const properties = isSchema(schema.properties) ? schema.properties : {};
        for (const [name, property] of Object.entries(properties)) {
          total += name.length + 3 + worstCaseTokens(property, defs, depth + 1, seen) + elementOverhead(depth + 1);
        }
        const additional = schema.additionalProperties;
        if (additional !== undefined && additional !== false) {
          const extra = (typeof schema.maxProperties === 'number' ? schema.maxProperties : Infinity) - Object.keys(properties).length;
          if (extra > 0) total += extra * (OPEN_KEY_CHARACTERS + 3 + worstCaseTokens(additional === true ? {} : additional, defs, depth + 1, seen) + elementOverhead(depth + 1));
        }
        worst = Math.max(worst, total);
        break;
      }
      default:
        return Infinity;
    }
  }
  return worst;
}

/** Applies `transform` to every string and array schema, keeping the rest. */
function mapSchema(schema: Schema, transform: (node: Schema) => Schema): Schema {
  const mapped: Schema = { ...schema };
  for (const key of ['items', 'additionalProperties']) if (isSchema(schema[key])) mapped[key] = mapSchema(schema[key], transform);
  for (const key of ['oneOf', 'prefixItems']) {
    const list = schema[key];
    if (Array.isArray(list)) mapped[key] = list.map((entry) => (isSchema(entry) ? mapSchema(entry, transform) : entry));
  }
  for (const key of ['properties', '$defs']) {
    const record = schema[key];
    if (isSchema(record)) mapped[key] = Object.fromEntries(Object.entries(record).map(([name, entry]) => [name, isSchema(entry) ? mapSchema(entry, transform) : entry]));
  }
  return transform(mapped);
}

function scaleStrings(schema: Schema, factor: number): Schema {
  return mapSchema(schema, (node) => {
    if (node.type !== 'string' || typeof node.maxLength !== 'number' || node.maxLength <= SHORTEST_OPEN_STRING) return node;
    const minimum = Math.max(typeof node.minLength === 'number' ? node.minLength : 0, SHORTEST_OPEN_STRING);
    return { ...node, maxLength: Math.max(minimum, Math.floor(node.maxLength * factor)) };
  });
}

function halveLists(schema: Schema): Schema {
  return mapSchema(schema, (node) => {
    if (node.type === 'array' && typeof node.maxItems === 'number') {
      const minimum = Math.max(typeof node.minItems === 'number' ? node.minItems : 0, 1);
      return { ...node, maxItems: Math.max(minimum, Math.floor(node.maxItems / 2)) };
    }
    if (typeof node.maxProperties === 'number' && node.additionalProperties !== undefined && node.additionalProperties !== false) {
      const declared = isSchema(node.properties) ? Object.keys(node.properties).length : 0;
      return { ...node, maxProperties: Math.max(declared, Math.floor(node.maxProperties / 2)) };
    }
    return node;
  });
}

export interface BoundedSchema {
  schema: Record<string, unknown>;
  /** The most tokens an answer under `schema` can take; above the budget only when the schema's own minimums demand it. */
  worstCaseTokens: number;
}

/**
 * The schema with a bound on everything it left open, tightened until its longest answer fits `maxTokens`:
 * first the strings shrink (not below 8 characters or their minLength), then the lists halve.
 * Takes and gives the dialect node-llama-cpp's grammar builder reads (`$defs`, `oneOf`, no `anyOf`).
 */
export function boundSchemaToBudget(schema: Record<string, unknown>, maxTokens: number): BoundedSchema {
  const budget = Math.max(1, maxTokens - RESERVED_TOKENS);
  let bounded = withDefaults(schema, budget);
  let cost = worstCaseTokens(bounded);
  for (let round = 0; round < 6 && cost > budget && Number.isFinite(cost); round++) {
    // The largest scale of the strings that fits, found by bisection (cost grows with the scale).
    let low = 0;
    let high = 1;
    for (let step = 0; step < 20; step++) {
      const middle = (low + high) / 2;
      if (worstCaseTokens(scaleStrings(bounded, middle)) <= budget) low = middle;
      else high = middle;
    }
    const scaled = scaleStrings(bounded, low);
    const scaledCost = worstCaseTokens(scaled);
    if (scaledCost <= budget) return { schema: scaled, worstCaseTokens: scaledCost };
    bounded = halveLists(bounded);
    cost = worstCaseTokens(bounded);
  }
  return { schema: bounded, worstCaseTokens: cost };
}
