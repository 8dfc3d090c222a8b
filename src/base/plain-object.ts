// The one test for "a mapping" (a YAML mapping, a JSON object): an object that is neither null nor an array.

export type PlainObject = Record<string, unknown>;

export function isPlainObject(value: unknown): value is PlainObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
