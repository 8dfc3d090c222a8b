// What `orc test` (spec section 14) hands its workflow and gets back: cases in, per-case and per-check outcomes out.
import type { TransportedPipeline } from './compact-pipeline';
import type { CheckRecord, ExpectCheck } from './expect-checks';
import type { RunOptions, RunStatus, Usage } from './run-types';

/** One row of the case set: its inputs, and checks on the run's outputs (output name -> checks). */
export interface TestCase {
  name: string;
  inputs: Record<string, unknown>;
  expect: Array<{ output: string; check: ExpectCheck }>;
}

export interface TestRunInput {
  pipeline: TransportedPipeline;
  cases: TestCase[];
  /** Case runs at once (default 1). */
  concurrency: number;
  options: RunOptions;
  /** The pipeline's default model: the judge of a case's checks when it names none. */
  judgeModel: string;
}

/** A check's outcome and where it stood: `step triage` (its `expect:`) or `output label` (the case's `expect`). */
export interface TestCheckRecord extends CheckRecord {
  where: string;
}

export interface TestCaseResult {
  name: string;
  /** The case's own run (a child of the test run): `orc status`/`orc report` take it. */
  run_id: string;
  status: RunStatus;
  passed: boolean;
  checks: TestCheckRecord[];
  usage: Usage;
  /** From the case run's start to its end, in the test workflow's clock. */
  latency_ms: number;
  /** Model steps that answered from the step cache, and model steps in all. */
  cached_steps: number;
  model_steps: number;
  outputs: Record<string, unknown>;
  error: string | null;
}

export interface TestRunResult {
  test_id: string;
  pipeline: string;
  cases: TestCaseResult[];
  passed: number;
  failed: number;
  /** Passed cases over all cases, 0..1. */
  pass_rate: number;
  checks: { passed: number; failed: number };
  usage: Usage;
  latency_ms: { mean: number; max: number };
}
