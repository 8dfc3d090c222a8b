// Small questions the compiler asks of YAML values.
import { isPlainObject, type PlainObject } from '../base/plain-object';
import { containsTemplate } from './templates';

export { isPlainObject, type PlainObject };

/** Text that a template or an AUTO tag decides at run time: its shape is only known then. */
export function decidedAtRunTime(value: unknown): boolean {
  return typeof value === 'string' && (containsTemplate(value) || /<AUTO[\s>]/.test(value));
}
