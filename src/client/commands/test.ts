// `orc test FILE --cases CASES` (spec section 14): every case a durable child run of one test workflow; per check
// and per case pass/fail, pass rate, tokens, cost and latency; JUnit, JSON and HTML; a comparison with a baseline.
import * as fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { Command } from 'commander';
import { compactPipeline } from '../../base/compact-pipeline';
import type { RunResult } from '../../base/run-types';
import type { TestRunInput, TestRunResult } from '../../base/test-run-types';
import { withoutSourcePositions, type CompiledPipeline } from '../../compiler';
import { compileOrReport } from '../pipeline-file';
import { TEST_WORKFLOW_TYPE } from '../../workflows/definitions';
import { EXIT_FAILED, ExitCode, usageError } from '../exit-code';
import { renderHtmlReport } from '../html-report';
import { Orchestrator } from '../orchestrator';
import { readTestCases, TestCasesError } from '../test-cases';
import { compareWithBaseline, formatComparison, formatTestReport, junitXml, type BaselineComparison } from '../test-summary';

interface TestFlags {
  cases: string;
  json?: boolean;
  junit?: string;
  html?: string;
  concurrency: string;
  baseline?: string;
  id?: string;
  model?: string;
  cache: boolean;
}

/** An earlier test run's result: a JSON file `orc test --json` wrote, or the id of the test run on the server. */
async function baselineResult(client: Client, baseline: string): Promise<TestRunResult> {
  if (fs.existsSync(baseline)) return JSON.parse(fs.readFileSync(baseline, 'utf8')) as TestRunResult;
  try {
    return (await client.workflow.getHandle(baseline).result()) as TestRunResult;
  } catch (error) {
    throw new Error(`--baseline ${baseline}: no test run with that id has a result (${(error as Error).message})`);
  }
}

async function startTest(orchestrator: Orchestrator, input: TestRunInput, testId: string): Promise<TestRunResult> {
  const client = await orchestrator.connect();
  let handle;
  try {
    handle = await client.workflow.start(TEST_WORKFLOW_TYPE, {
      taskQueue: orchestrator.taskQueue,
      workflowId: testId,
      args: [input],
      memo: { pipeline: input.pipeline.name, test: true },
      staticSummary: `orc test ${input.pipeline.name}: ${input.cases.length} cases`,
    });
    process.stderr.write(`Started test run ${testId} (${input.cases.length} cases)\n`);
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    handle = client.workflow.getHandle(testId);
    process.stderr.write(`Attached to running test run ${testId}\n`);
  }
  if (!orchestrator.hasWorker && !(await orchestrator.hasPollers())) {
    process.stderr.write(`orc: no worker is polling task queue '${orchestrator.taskQueue}' on ${orchestrator.address}; start one with \`orc worker\` (waiting for one)\n`);
  }
  return (await handle.result()) as TestRunResult;
}

async function writeHtml(client: Client, file: string, pipeline: CompiledPipeline, result: TestRunResult, comparison: BaselineComparison | undefined): Promise<void> {
  const runs = await Promise.all(
    result.cases.map(async (testCase) => ({ label: testCase.name, result: (await client.workflow.getHandle(testCase.run_id).result()) as RunResult, pipeline })),
  );
  fs.writeFileSync(file, renderHtmlReport({ title: `orc test ${pipeline.name} (${result.test_id})`, runs, test: result, ...(comparison ? { comparison } : {}) }));
}

async function runTests(file: string, flags: TestFlags): Promise<void> {
  const concurrency = Number(flags.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1) throw usageError(`--concurrency expects a whole number of at least 1, got '${flags.concurrency}'`);
  const pipeline = compileOrReport(file);
  let cases;
  try {
    cases = readTestCases(flags.cases, pipeline);
  } catch (error) {
    if (!(error instanceof TestCasesError)) throw error;
    process.stderr.write(`${error.message}\n`);
    throw new ExitCode(EXIT_FAILED);
  }
  const orchestrator = new Orchestrator({ logLevel: 'ERROR' });
  try {
    const searchAttributes = await orchestrator.hasSearchAttributes();
    const input: TestRunInput = {
      pipeline: compactPipeline(withoutSourcePositions(pipeline)),
      cases,
      concurrency,
      options: { ...(searchAttributes ? { searchAttributes: true } : {}), ...(flags.model ? { defaultModel: flags.model } : {}), ...(flags.cache ? {} : { noCache: true }) },
      judgeModel: flags.model ?? (typeof pipeline.config.model === 'string' ? pipeline.config.model : 'local'),
    };
    const result = await startTest(orchestrator, input, flags.id ?? `test-${pipeline.name}-${randomBytes(4).toString('hex')}`);
    const client = await orchestrator.connect();
    const comparison = flags.baseline ? compareWithBaseline(result, await baselineResult(client, flags.baseline)) : undefined;
    if (flags.json) process.stdout.write(`${JSON.stringify({ ...result, ...(comparison ? { baseline: comparison } : {}) }, null, 2)}\n`);
    else process.stdout.write(`${formatTestReport(result)}${comparison ? formatComparison(comparison) : ''}`);
    if (flags.junit) fs.writeFileSync(flags.junit, junitXml(result));
    if (flags.html) await writeHtml(client, flags.html, pipeline, result, comparison);
    if (result.failed > 0) throw new ExitCode(EXIT_FAILED);
  } finally {
    await orchestrator.close();
  }
}

export function register(program: Command): void {
  program
    .command('test')
    .description('run a pipeline over a labelled case set and check every answer; exit 1 when any check fails')
    .argument('<file>', 'pipeline YAML file')
    .requiredOption('--cases <file>', 'the case set: YAML or JSONL rows of { name, inputs, expect }')
    .option('--json', 'print the test result as JSON')
    .option('--junit <file>', 'write JUnit XML for CI')
    .option('--html <file>', 'write a self-contained HTML report')
    .option('--concurrency <n>', 'cases run at once', '1')
    .option('--baseline <run>', 'compare with an earlier test run (its id, or a JSON file from --json)')
    .option('--id <testId>', 'the test run id (its Temporal workflow id)')
    .option('--model <model>', 'the model for steps that name none (overrides config.model)')
    .option('--no-cache', 'cached steps read no entry: every case calls its models again')
    .action((file: string, flags: TestFlags) => runTests(file, flags));
}
