// Small questions the compiler asks of YAML values.
import { containsTemplate } from './templates';

export type PlainObject = Record<string, unknown>;

export function isPlainObject(value: unknown): value is PlainObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Text that a template or an AUTO tag decides at run time: its shape is only known then. */
export function decidedAtRunTime(value: unknown): boolean {
  return typeof value === 'string' && (containsTemplate(value) || /<AUTO[\s>]/.test(value));
}
