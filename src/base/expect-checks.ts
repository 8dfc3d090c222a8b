// The `expect:` checks of a step (spec section 14) as the compiler writes them and the checks activity reads them.

/** Where in the result a check looks: a dotted path (`label`, `scores.0`), or null for the whole result. */
type AtPath = { path: string | null };

export type ExpectCheck =
  | ({ check: 'equals'; value: unknown } & AtPath)
  | ({ check: 'contains' | 'not_contains'; value: string } & AtPath)
  | ({ check: 'matches'; pattern: string } & AtPath)
  | ({ check: 'range'; min: number | null; max: number | null } & AtPath)
  | { check: 'max_tokens'; limit: number }
  | { check: 'judge'; rubric: string; model: string | null; threshold: number };

export type ExpectCheckName = ExpectCheck['check'];

export const EXPECT_CHECK_NAMES: readonly ExpectCheckName[] = ['equals', 'contains', 'not_contains', 'matches', 'range', 'max_tokens', 'judge'];

/** What a judge passes at when the pipeline gives no threshold. */
export const DEFAULT_JUDGE_THRESHOLD = 0.7;

/** One check's outcome, as the step's `checks` list in the run's result holds it. */
export interface CheckRecord {
  check: string;
  passed: boolean;
  detail: string;
  score?: number;
}

/** `on_expect_fail`: fail the step, only record the failure, or ask the step again within its max_retries. */
export type OnExpectFail = 'fail' | 'warn' | 'retry';

/** A short name of a check for messages and reports: `equals(label)`, `judge`. */
export function checkLabel(check: ExpectCheck): string {
  return 'path' in check && check.path !== null ? `${check.check}(${check.path})` : check.check;
}

/** The value at a dotted path (`a.b.0`), or undefined when the result has none there. */
export function valueAtPath(value: unknown, path: string | null): unknown {
  if (path === null || path === '') return value;
  let current = value;
  for (const segment of path.replace(/\[(\d+)\]/g, '.$1').split('.').filter((part) => part !== '')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}
