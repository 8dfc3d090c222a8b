// The `orc test` workflow (spec section 14): every case of a case set is a child run of the pipeline, at most
// `concurrency` at once; a worker that dies loses no finished case, since each child's result is in this history.
import { executeChild, workflowInfo } from '@temporalio/workflow';
import type { CheckRecord, ExpectCheck } from '../base/expect-checks';
import { addUsage, zeroUsage, type RunResult } from '../base/run-types';
import type { TestCase, TestCaseResult, TestCheckRecord, TestRunInput, TestRunResult } from '../base/test-run-types';
import { WORKFLOW_TYPE } from './definitions';
import type { pipelineWorkflow } from './pipeline';
import { templateActivitiesLabelled } from './step-calls';

/** How long a case's judge verdict is cached: like a step's answer (spec section 9's default). */
const CASE_JUDGE_CACHE_SECONDS = 7 * 24 * 3600;

/** The checks the case run's steps recorded (their `expect:`), each named by its step. */
function stepChecks(result: RunResult): TestCheckRecord[] {
  return Object.entries(result.steps).flatMap(([id, step]) => (step.checks ?? []).map((check: CheckRecord) => ({ ...check, where: `step ${id}` })));
}

/** The case's own checks on the run's outputs, evaluated in the checks activity (a judge is a model call). */
async function outputChecks(testCase: TestCase, result: RunResult, input: TestRunInput): Promise<{ checks: TestCheckRecord[]; usage: RunResult['usage'] }> {
  const usage = zeroUsage();
  const checks: TestCheckRecord[] = [];
  const byOutput = new Map<string, ExpectCheck[]>();
  for (const { output, check } of testCase.expect) byOutput.set(output, [...(byOutput.get(output) ?? []), check]);
  for (const [output, list] of byOutput) {
    const outcome = await templateActivitiesLabelled(`${testCase.name} · checks ${output}`).evaluateChecks({
      stepId: `${testCase.name}.${output}`,
      checks: list,
      result: result.outputs[output],
      outputTokens: null,
      context: { inputs: testCase.inputs, steps: {} },
      defaultJudgeModel: input.judgeModel,
      cache: { ttlSeconds: CASE_JUDGE_CACHE_SECONDS, read: input.options.noCache !== true },
    });
    addUsage(usage, outcome.usage);
    checks.push(...outcome.checks.map((check) => ({ ...check, where: `output ${output}` })));
  }
  return { checks, usage };
}

async function runCase(testCase: TestCase, index: number, input: TestRunInput): Promise<TestCaseResult> {
  const runId = `${workflowInfo().workflowId}--${index + 1}`;
  const started = Date.now();
  let result: RunResult;
  try {
    result = await executeChild<typeof pipelineWorkflow>(WORKFLOW_TYPE, {
      workflowId: runId,
      args: [{ pipeline: input.pipeline, inputs: testCase.inputs, options: input.options }],
      staticSummary: `case ${testCase.name}`,
    });
  } catch (error) {
    // A case run that ended without a result (terminated, or its workflow failed) is a failed case, not a failed test run.
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
    const message = cause instanceof Error ? cause.message : String(cause);
    result = { run_id: runId, pipeline: input.pipeline.name, status: 'failed', outputs: {}, steps: {}, usage: zeroUsage(), auto_resolutions: [], error: message };
  }
  const latency = Date.now() - started;
  const own = await outputChecks(testCase, result, input);
  const checks = [...stepChecks(result), ...own.checks];
  const usage = { ...result.usage };
  addUsage(usage, own.usage);
  const modelSteps = Object.values(result.steps).filter((step) => step.model !== null);
  const completed = result.status === 'completed';
  return {
    name: testCase.name,
    run_id: runId,
    status: result.status,
    passed: completed && checks.every((check) => check.passed),
    checks,
    usage,
    latency_ms: latency,
    cached_steps: modelSteps.filter((step) => step.cache?.hit === true).length,
    model_steps: modelSteps.length,
    outputs: result.outputs,
    error: result.error,
  };
}

function summarize(cases: TestCaseResult[], pipeline: string): TestRunResult {
  const usage = zeroUsage();
  for (const testCase of cases) addUsage(usage, testCase.usage);
  const passed = cases.filter((testCase) => testCase.passed).length;
  const checks = cases.flatMap((testCase) => testCase.checks);
  const latencies = cases.map((testCase) => testCase.latency_ms);
  return {
    test_id: workflowInfo().workflowId,
    pipeline,
    cases,
    passed,
    failed: cases.length - passed,
    pass_rate: cases.length === 0 ? 0 : passed / cases.length,
    checks: { passed: checks.filter((check) => check.passed).length, failed: checks.filter((check) => !check.passed).length },
    usage,
    latency_ms: { mean: latencies.length === 0 ? 0 : Math.round(latencies.reduce((a, b) => a + b, 0) / latencies.length), max: Math.max(0, ...latencies) },
  };
}

export async function pipelineTestWorkflow(input: TestRunInput): Promise<TestRunResult> {
  const results: TestCaseResult[] = new Array<TestCaseResult>(input.cases.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    for (let index = next++; index < input.cases.length; index = next++) results[index] = await runCase(input.cases[index]!, index, input);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(input.concurrency, input.cases.length)) }, lane));
  return summarize(results, input.pipeline.name);
}
