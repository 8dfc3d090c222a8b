// A `run_code` step: code in a fresh locked-down container on the sandbox queue; a non-zero exit fails the step unless allowed.
import { runCodeInput } from '../tool-steps';
import { FailureType } from '../../base/failure-types';
import { StepFailure } from '../step-failure';
import { cachePolicyFor, withoutCallRecord } from '../call-record';
import type { StepRunner } from './types';

export const runCodeStep: StepRunner = async ({ step, context, options, renderForStep, activities }) => {
  const parameters = await renderForStep(step.parameters, context);
  const input = runCodeInput(step, parameters);
  if (options.dryRun) {
    // A dry run has no side effects: the code is shown, not run.
    return {
      result: { stdout: '', stderr: '', exit_code: 0, files: {}, timed_out: false, oom_killed: false, duration_ms: 0, dry_run: true, code: input.code },
      attempts: 0,
    };
  }
  const cache = cachePolicyFor(step, options);
  const output = await activities.sandbox('run_code', input.timeoutSeconds).runCode({ ...input, ...(cache ? { cache } : {}) });
  const { result, attempts, extra } = withoutCallRecord(output);
  const problem = result.timed_out
    ? `timed out after ${input.timeoutSeconds}s`
    : result.oom_killed
      ? `was killed for going over its memory limit of ${input.memoryMb} MB`
      : result.exit_code !== 0
        ? `exited with code ${result.exit_code}`
        : null;
  if (problem !== null && parameters.allow_failure !== true) {
    const tail = result.stderr.trim().split('\n').slice(-3).join(' | ');
    throw new StepFailure(`step '${step.id}': code ${problem}${tail ? `: ${tail}` : ''}`, { result, attempts, ...(extra ? { extra } : {}) }, null, FailureType.CodeFailed);
  }
  return { result, attempts, ...(extra ? { extra } : {}) };
};
