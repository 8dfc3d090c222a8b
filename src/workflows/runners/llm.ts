// An LLM step (a prompt, a named action, `generate`): one model call, then each fallback model in turn.
import type { StepRunner } from './types';

export const runLlmStep: StepRunner = async ({ step, state, context, routing }) => {
  const output = await routing.callWithFallbacks(step, context, state);
  return {
    result: output.result,
    model: output.model,
    usage: output.usage,
    attempts: output.attempt,
    ...(output.cache || output.retries
      ? { extra: { ...(output.cache ? { cache: output.cache } : {}), ...(output.retries ? { retries: output.retries, reason: output.reason } : {}) } }
      : {}),
  };
};
