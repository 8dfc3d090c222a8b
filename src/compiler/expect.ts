// A step's `expect:` checks and `on_expect_fail` (spec section 14): each entry normalised, its path checked against
// the step's output schema, its expected values read as templates, and an unknown check named with a did-you-mean.
import { DEFAULT_JUDGE_THRESHOLD, EXPECT_CHECK_NAMES, type ExpectCheck, type OnExpectFail } from '../base/expect-checks';
import { didYouMean, type Diagnostic } from './diagnostics';
import type { Position, YamlPath } from './source';
import type { CompiledStep, JsonSchema } from '../base/compiled-pipeline';
import { isPlainObject, type PlainObject } from './values';

type Report = (code: Diagnostic['code'], message: string, at: YamlPath, position?: Position) => void;

/** A problem with one entry: `key` is the entry's key it is about (its position is the key's). */
export interface ExpectProblem {
  code: Diagnostic['code'];
  message: string;
  key?: string;
  /** Under the check's value (`path`, `min`, ...), when the problem is there. */
  field?: string;
}

function pathOf(body: PlainObject): string | null {
  return typeof body.path === 'string' && body.path !== '' ? body.path : null;
}

const numberOrNull = (value: unknown): number | null => (typeof value === 'number' ? value : null);

/** One check from its key and value as written; a problem when the value has the wrong shape. */
function checkFrom(name: string, value: unknown): ExpectCheck | ExpectProblem {
  const body = isPlainObject(value) ? value : null;
  const bad = (message: string, field?: string): ExpectProblem => ({ code: 'INVALID_VALUE', message: `'${name}' ${message}`, key: name, ...(field ? { field } : {}) });
  switch (name) {
    case 'equals':
      return body && 'value' in body ? { check: 'equals', path: pathOf(body), value: body.value } : { check: 'equals', path: null, value };
    case 'contains':
    case 'not_contains': {
      const text = body ? body.value : value;
      if (typeof text !== 'string' && typeof text !== 'number') return bad('takes text, or { path, value: text }');
      return { check: name, path: body ? pathOf(body) : null, value: String(text) };
    }
    case 'matches': {
      const pattern = body ? (body.pattern ?? body.value) : value;
      if (typeof pattern !== 'string') return bad('takes a regular expression, or { path, pattern }');
      if (!pattern.includes('{{')) {
        try {
          new RegExp(pattern);
        } catch (error) {
          return bad(`is not a valid regular expression: ${(error as Error).message}`, body ? 'pattern' : undefined);
        }
      }
      return { check: 'matches', path: body ? pathOf(body) : null, pattern };
    }
    case 'range': {
      if (!body || (typeof body.min !== 'number' && typeof body.max !== 'number')) return bad('takes { path, min, max } with min or max a number');
      const min = numberOrNull(body.min);
      const max = numberOrNull(body.max);
      if (min !== null && max !== null && min > max) return bad(`has min ${min} above max ${max}`, 'min');
      return { check: 'range', path: pathOf(body), min, max };
    }
    case 'max_tokens':
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) return bad('takes a whole number of output tokens, at least 1');
      return { check: 'max_tokens', limit: value };
    case 'judge': {
      const rubric = body ? body.rubric : value;
      if (typeof rubric !== 'string' || rubric.trim() === '') return bad('needs a rubric: judge: { rubric: "...", model, threshold }');
      const threshold = body && body.threshold !== undefined ? body.threshold : DEFAULT_JUDGE_THRESHOLD;
      if (typeof threshold !== 'number' || threshold < 0 || threshold > 1) return bad('threshold is a score from 0 to 1', 'threshold');
      return { check: 'judge', rubric, model: body && typeof body.model === 'string' ? body.model : null, threshold };
    }
    default:
      return { code: 'UNKNOWN_KEY', message: `unknown check '${name}'${didYouMean(name, EXPECT_CHECK_NAMES)}; checks are ${EXPECT_CHECK_NAMES.join(', ')}`, key: name };
  }
}

/** An `expect:` entry (a mapping with one check) as a check, or what is wrong with it. Also reads `orc test` cases. */
export function normalizeExpectEntry(entry: unknown): ExpectCheck | ExpectProblem {
  if (!isPlainObject(entry)) return { code: 'INVALID_VALUE', message: `an expect entry is a mapping with one check (${EXPECT_CHECK_NAMES.join(', ')})` };
  const keys = Object.keys(entry);
  if (keys.length !== 1) {
    const unknown = keys.find((key) => !(EXPECT_CHECK_NAMES as readonly string[]).includes(key));
    if (unknown !== undefined) return checkFrom(unknown, entry[unknown]);
    return { code: 'INVALID_VALUE', message: `an expect entry holds one check, not ${keys.length} (${keys.join(', ')}): write one entry each` };
  }
  const name = keys[0]!;
  return checkFrom(name, entry[name]);
}

export function isExpectProblem(value: ExpectCheck | ExpectProblem): value is ExpectProblem {
  return 'code' in value;
}

/** The schema under a dotted path, or a message saying which segment the schema does not have. */
function schemaPathProblem(schema: JsonSchema, path: string): string | null {
  let current: JsonSchema | undefined = schema;
  for (const segment of path.replace(/\[(\d+)\]/g, '.$1').split('.')) {
    if (current === undefined) return null;
    const properties: PlainObject | null = isPlainObject(current.properties) ? current.properties : null;
    if (/^\d+$/.test(segment) && isPlainObject(current.items)) {
      current = current.items;
    } else if (properties && segment in properties) {
      current = isPlainObject(properties[segment]) ? properties[segment] : undefined;
    } else if (properties && current.additionalProperties !== true && !isPlainObject(current.additionalProperties)) {
      return `path '${path}' is not in the step's output_schema: it has no '${segment}'${didYouMean(segment, Object.keys(properties))}`;
    } else {
      return null;
    }
  }
  return null;
}

/**
 * The step's checks and on_expect_fail; every problem goes to `report` at its key. `readValue` reads the
 * templates in expected values as the step's own (so they count as its references and dependencies).
 */
export function compileExpect(
  step: PlainObject,
  at: (...rest: Array<string | number>) => YamlPath,
  report: Report,
  keyPosition: (mapPath: YamlPath, key: string) => Position,
  readValue: (value: unknown, where: YamlPath) => void,
): Pick<CompiledStep, 'expect' | 'onExpectFail'> {
  if (step.expect === undefined) {
    if (step.on_expect_fail !== undefined) report('INVALID_VALUE', `'on_expect_fail' needs 'expect' checks on the same step`, at('on_expect_fail'));
    return {};
  }
  if (!Array.isArray(step.expect)) return {};
  const outputSchema = isPlainObject(step.output_schema) ? step.output_schema : null;
  const checks: ExpectCheck[] = [];
  step.expect.forEach((entry, index) => {
    const where = at('expect', index);
    const check = normalizeExpectEntry(entry);
    if (isExpectProblem(check)) {
      const keyAt = check.key !== undefined ? [...where, check.key] : where;
      if (check.field !== undefined) report(check.code, check.message, [...keyAt, check.field]);
      else report(check.code, check.message, keyAt, check.key !== undefined ? keyPosition(where, check.key) : undefined);
      return;
    }
    const body = (entry as PlainObject)[check.check];
    const bodyAt = [...where, check.check];
    readValue(body, bodyAt);
    if ('path' in check && check.path !== null && outputSchema && !check.path.includes('{{')) {
      const problem = schemaPathProblem(outputSchema, check.path);
      if (problem) report('UNKNOWN_REFERENCE', problem, [...bodyAt, 'path']);
    }
    checks.push(check);
  });
  const onExpectFail = typeof step.on_expect_fail === 'string' && ['fail', 'warn', 'retry'].includes(step.on_expect_fail) ? (step.on_expect_fail as OnExpectFail) : undefined;
  return { expect: checks as unknown as Array<Record<string, unknown>>, ...(onExpectFail ? { onExpectFail } : {}) };
}
