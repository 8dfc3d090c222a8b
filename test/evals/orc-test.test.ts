// `orc test` through real processes on the suite's Temporal server: the 30-case triage set on the local model (pass
// rate, JUnit, HTML, exit 1 when a case fails), an unchanged re-run served from the step cache, a baseline that
// names the cases that changed, and a worker SIGKILLed mid-test that loses no finished case.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { TestRunResult } from '../../src/base/test-run-types';
import type { BaselineComparison } from '../../src/client/test-summary';
import { orcEnvironment, repositoryRoot, runOrc, startOrc } from '../helpers/cli';
import { FakeOpenAIServer } from '../helpers/fake-openai';

const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'orc-test-cmd-'));
const triage = path.join(repositoryRoot, 'pipelines', 'evals', 'triage.yaml');
const cases = path.join(repositoryRoot, 'pipelines', 'evals', 'cases.yaml');

function environment(taskQueue: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return orcEnvironment({ TEMPORAL_ADDRESS: process.env.ORC_TEST_TEMPORAL_ADDRESS!, ORC_TASK_QUEUE: taskQueue, ...extra });
}

afterAll(() => fs.rmSync(directory, { recursive: true, force: true }));

test('the 30-case triage set on the local model: pass rate, JUnit and HTML; a re-run makes no model call; a baseline names changed cases', async () => {
  const taskQueue = `orc-test-local-${process.pid}`;
  const env = environment(taskQueue);
  const worker = startOrc(['worker'], env);
  try {
    const junit = path.join(directory, 'junit.xml');
    const html = path.join(directory, 'report.html');
    const first = await runOrc(['test', triage, '--cases', cases, '--concurrency', '2', '--json', '--junit', junit, '--html', html, '--id', `${taskQueue}-1`], env);
    const result = JSON.parse(first.stdout) as TestRunResult;
    expect(result.cases).toHaveLength(30);
    expect(result.pass_rate).toBeCloseTo(result.passed / 30);
    expect(result.usage.input_tokens).toBeGreaterThan(0);
    for (const testCase of result.cases) {
      expect(testCase.status).toBe('completed');
      expect(testCase.checks.map((check) => `${check.where}: ${check.check}`)).toEqual(['step triage: matches(label)', 'step triage: max_tokens', 'output label: equals']);
    }
    // The 135M model does not label all 30 right: the command says so with exit 1.
    expect(result.failed).toBeGreaterThan(0);
    expect(first.code).toBe(1);
    const xml = fs.readFileSync(junit, 'utf8');
    expect(xml).toContain(`tests="30" failures="${result.failed}"`);
    expect(xml.match(/<testcase /g)).toHaveLength(30);
    expect(xml.match(/<failure /g)?.length).toBe(result.checks.failed);
    const page = fs.readFileSync(html, 'utf8');
    for (const testCase of result.cases) expect(page).toContain(testCase.name);

    // Two labels flipped in a copy of the case set: one passing case now expects another label, one failing case its answer.
    const passing = result.cases.find((testCase) => testCase.passed);
    const failing = result.cases.find((testCase) => !testCase.passed)!;
    let changed = fs.readFileSync(cases, 'utf8');
    const flip = (name: string, label: string): void => {
      changed = changed.replace(new RegExp(`(name: ${name}\\n.*\\n    expect: \\{ label: \\{ equals: )\\w+`), `$1${label}`);
    };
    flip(failing.name, String(failing.outputs.label));
    if (passing) flip(passing.name, passing.outputs.label === 'question' ? 'bug' : 'question');
    const changedCases = path.join(directory, 'changed.yaml');
    fs.writeFileSync(changedCases, changed);

    const second = await runOrc(['test', triage, '--cases', changedCases, '--concurrency', '2', '--json', '--baseline', `${taskQueue}-1`, '--id', `${taskQueue}-2`], env);
    const rerun = JSON.parse(second.stdout) as TestRunResult & { baseline: BaselineComparison };
    // Unchanged pipeline, same inputs: every model step answered from the step cache, no tokens spent.
    expect(rerun.usage).toEqual({ input_tokens: 0, output_tokens: 0, cost_usd: 0 });
    expect(rerun.cases.every((testCase) => testCase.model_steps === 1 && testCase.cached_steps === 1)).toBe(true);
    expect(rerun.baseline.newly_passing).toEqual([failing.name]);
    expect(rerun.baseline.newly_failing).toEqual(passing ? [passing.name] : []);
    expect(rerun.baseline.pass_rate.change).toBeCloseTo((rerun.passed - result.passed) / 30);
  } finally {
    worker.kill('SIGINT');
    await worker.done;
  }
}, 900_000);

test('a worker SIGKILLed mid-test loses no finished case: a new worker finishes the test and no finished case runs again', async () => {
  const fake = new FakeOpenAIServer();
  fake.delayMs = 1500;
  const baseUrl = await fake.start();
  const pipeline = path.join(directory, 'echoed.yaml');
  fs.writeFileSync(
    pipeline,
    `name: echoed
inputs: { word: string }
config: { model: "openai:fake-model", timeout: 10s, max_retries: 3 }
steps:
  - id: say
    action: "SAY {{ inputs.word }}"
outputs:
  said: "{{ say.result }}"
`,
  );
  const words = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot'];
  const caseFile = path.join(directory, 'echoed.jsonl');
  fs.writeFileSync(caseFile, words.map((word) => JSON.stringify({ name: word, inputs: { word }, expect: { said: { contains: `SAY ${word}` } } })).join('\n'));
  const taskQueue = `orc-test-kill-${process.pid}`;
  const env = environment(taskQueue, { OPENAI_API_KEY: 'sk-test-orc-test', OPENAI_BASE_URL: baseUrl });
  const firstWorker = startOrc(['worker'], env);
  let secondWorker: ReturnType<typeof startOrc> | undefined;
  try {
    const test = startOrc(['test', pipeline, '--cases', caseFile, '--json', '--id', `${taskQueue}-t`], env);
    // Case runs are the test run's children, `<test id>--<n>`: kill the worker once two of them have completed.
    const connection = await Connection.connect({ address: process.env.ORC_TEST_TEMPORAL_ADDRESS! });
    const completedCases = async (): Promise<string[]> => {
      const done: string[] = [];
      for (const [index, word] of words.entries()) {
        const status = await new Client({ connection }).workflow.getHandle(`${taskQueue}-t--${index + 1}`).describe().then((description) => description.status.name, () => 'NOT_STARTED');
        if (status === 'COMPLETED') done.push(word);
      }
      return done;
    };
    let finishedBeforeKill: string[] = [];
    try {
      const deadline = Date.now() + 120_000;
      while ((finishedBeforeKill = await completedCases()).length < 2) {
        if (Date.now() > deadline) throw new Error('timed out waiting for two cases to finish');
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      firstWorker.kill('SIGKILL');
      await firstWorker.done;
      finishedBeforeKill = await completedCases();
    } finally {
      await connection.close();
    }
    secondWorker = startOrc(['worker'], env);
    const outcome = await test.done;
    expect(outcome.code).toBe(0);
    const result = JSON.parse(outcome.stdout) as TestRunResult;
    expect(result.cases.map((testCase) => [testCase.name, testCase.passed])).toEqual(words.map((word) => [word, true]));
    // Every case that had finished before the kill was called exactly once: its result came from the history.
    for (const word of finishedBeforeKill) expect(fake.calls.filter((call) => call.prompt === `SAY ${word}`)).toHaveLength(1);
    expect(finishedBeforeKill.length).toBeGreaterThanOrEqual(2);
  } finally {
    firstWorker.kill('SIGKILL');
    secondWorker?.kill('SIGINT');
    await secondWorker?.done;
    await fake.stop();
  }
}, 300_000);
