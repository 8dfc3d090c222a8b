// An LLM step (a prompt, a named action, `generate`): one model call, then each fallback model in turn.
import type { ExecuteStepOutput } from '../../activities/types';
import type { StepOutcome, StepRunner } from './types';

/** The step's record fields from its model call's output. */
export function llmOutcome(output: ExecuteStepOutput): StepOutcome {
  return {
    result: output.result,
    model: output.model,
    usage: output.usage,
    attempts: output.attempt,
    ...(output.cache || output.retries
      ? { extra: { ...(output.cache ? { cache: output.cache } : {}), ...(output.retries ? { retries: output.retries, reason: output.reason } : {}) } }
      : {}),
  };
}

/** How runs from before `lean-step-calls` ran the step: the call awaited in an async function. */
const awaitLlmStep: StepRunner = async ({ step, state, context, routing }) => llmOutcome(await routing.callWithFallbacks(step, context, state));

/** Runs since `lean-step-calls` map the call's output with one `then`: one promise where the await made three. */
export const runLlmStep: StepRunner = (run) => (run.routing.lean ? run.routing.callWithFallbacks(run.step, run.context, run.state).then(llmOutcome) : awaitLlmStep(run));
