// How `orc test` reports (spec section 14): per check and per case on a terminal, JUnit XML for CI, and the
// comparison with a baseline test run.
import type { TestCaseResult, TestRunResult } from '../base/test-run-types';

function percent(rate: number): string {
  return `${(rate * 100).toFixed(1)}%`;
}

function tokensOf(testCase: Pick<TestCaseResult, 'usage'>): number {
  return testCase.usage.input_tokens + testCase.usage.output_tokens;
}

/** The terminal report: each case, each of its checks, then the totals. */
export function formatTestReport(result: TestRunResult): string {
  const lines: string[] = [];
  for (const testCase of result.cases) {
    const cached = testCase.model_steps > 0 ? `, ${testCase.cached_steps}/${testCase.model_steps} steps cached` : '';
    lines.push(`${testCase.passed ? 'PASS' : 'FAIL'} ${testCase.name} (${testCase.status}, ${tokensOf(testCase)} tokens, $${testCase.usage.cost_usd.toFixed(4)}, ${testCase.latency_ms} ms${cached})`);
    for (const check of testCase.checks) lines.push(`  ${check.passed ? 'ok  ' : 'FAIL'} ${check.where}: ${check.check} - ${check.detail}`);
    if (testCase.status !== 'completed' && testCase.error) lines.push(`  run ${testCase.run_id}: ${testCase.error}`);
  }
  const total = result.cases.length;
  lines.push('');
  lines.push(`${result.passed}/${total} cases passed (pass rate ${percent(result.pass_rate)}); checks: ${result.checks.passed} passed, ${result.checks.failed} failed`);
  lines.push(`tokens: ${result.usage.input_tokens} in, ${result.usage.output_tokens} out; cost $${result.usage.cost_usd.toFixed(4)}; latency mean ${result.latency_ms.mean} ms, max ${result.latency_ms.max} ms`);
  lines.push(`test run: ${result.test_id}`);
  return `${lines.join('\n')}\n`;
}

function xml(text: string): string {
  return text.replace(/[<>&"']/g, (character) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[character]!);
}

/** JUnit XML: one testsuite (the test run), one testcase per case, one failure per failed check. */
export function junitXml(result: TestRunResult): string {
  const cases = result.cases.map((testCase) => {
    const failures = testCase.checks.filter((check) => !check.passed).map((check) => `      <failure message="${xml(`${check.where}: ${check.check}`)}">${xml(check.detail)}</failure>`);
    if (testCase.status !== 'completed') failures.unshift(`      <failure message="${xml(`run ${testCase.status}`)}">${xml(testCase.error ?? '')}</failure>`);
    const body = failures.length > 0 ? `\n${failures.join('\n')}\n    ` : '';
    return `    <testcase name="${xml(testCase.name)}" classname="${xml(result.pipeline)}" time="${(testCase.latency_ms / 1000).toFixed(3)}">${body}</testcase>`;
  });
  const seconds = result.cases.reduce((sum, testCase) => sum + testCase.latency_ms, 0) / 1000;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="orc test" tests="${result.cases.length}" failures="${result.failed}">`,
    `  <testsuite name="${xml(result.pipeline)}" id="${xml(result.test_id)}" tests="${result.cases.length}" failures="${result.failed}" time="${seconds.toFixed(3)}">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

export interface BaselineComparison {
  baseline: string;
  /** Cases that passed in the baseline and fail now. */
  newly_failing: string[];
  /** Cases that failed in the baseline and pass now. */
  newly_passing: string[];
  /** Cases the baseline did not have. */
  added: string[];
  pass_rate: { before: number; after: number; change: number };
  cost_usd: { before: number; after: number; change: number };
  latency_ms: { before: number; after: number; change: number };
}

export function compareWithBaseline(current: TestRunResult, baseline: TestRunResult): BaselineComparison {
  const before = new Map(baseline.cases.map((testCase) => [testCase.name, testCase]));
  const change = (a: number, b: number) => ({ before: a, after: b, change: b - a });
  return {
    baseline: baseline.test_id,
    newly_failing: current.cases.filter((testCase) => !testCase.passed && before.get(testCase.name)?.passed === true).map((testCase) => testCase.name),
    newly_passing: current.cases.filter((testCase) => testCase.passed && before.get(testCase.name)?.passed === false).map((testCase) => testCase.name),
    added: current.cases.filter((testCase) => !before.has(testCase.name)).map((testCase) => testCase.name),
    pass_rate: change(baseline.pass_rate, current.pass_rate),
    cost_usd: change(baseline.usage.cost_usd, current.usage.cost_usd),
    latency_ms: change(baseline.latency_ms.mean, current.latency_ms.mean),
  };
}

export function formatComparison(comparison: BaselineComparison): string {
  const signed = (value: number, digits: number): string => `${value >= 0 ? '+' : ''}${value.toFixed(digits)}`;
  const list = (names: string[]): string => (names.length === 0 ? 'none' : names.join(', '));
  return [
    `compared with ${comparison.baseline}:`,
    `  newly failing: ${list(comparison.newly_failing)}`,
    `  newly passing: ${list(comparison.newly_passing)}`,
    ...(comparison.added.length > 0 ? [`  new cases: ${list(comparison.added)}`] : []),
    `  pass rate: ${percent(comparison.pass_rate.before)} -> ${percent(comparison.pass_rate.after)} (${signed(comparison.pass_rate.change * 100, 1)} points)`,
    `  cost: $${comparison.cost_usd.before.toFixed(4)} -> $${comparison.cost_usd.after.toFixed(4)} (${signed(comparison.cost_usd.change, 4)})`,
    `  mean latency: ${comparison.latency_ms.before} ms -> ${comparison.latency_ms.after} ms (${signed(comparison.latency_ms.change, 0)} ms)`,
    '',
  ].join('\n');
}
