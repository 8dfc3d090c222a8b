// A replicated model step (spec section 10): k calls, each its own activity, and the evidence bundle of their answers.
import { judgeAnswers, judgeTemplate, JUDGE_ANSWERS } from '../evidence';
import { runReplicates } from '../replicates';
import { MAX_IN_FLIGHT } from '../step-calls';
import type { CompiledStep } from '../../base/compiled-pipeline';
import type { StepRunner } from './types';
import { averageUsage } from '../../base/run-types';

/** The task as the judge is told it: the step's prompt template, or what its action and parameters ask. */
function taskOf(step: CompiledStep): string {
  if (step.actionKind === 'prompt') return step.action;
  if (step.actionKind === 'generate') return String(step.parameters.prompt ?? '');
  return `Task: ${step.action.replace(/[_-]+/g, ' ')}`;
}

export const runReplicatedStep: StepRunner = async ({ step, state, context, pipeline, routing, budgetStop }) => {
  const settings = step.replicates!;
  // An AUTO count is decided before the step runs; a dry run's placeholder may leave none.
  const count = settings.count ?? Math.max(1, settings.models.length);
  const maxParallel = Math.min(step.maxParallel ?? pipeline.config.maxParallel, MAX_IN_FLIGHT);
  const temperature = step.temperature ?? pipeline.config.temperature;
  const outcome = await runReplicates(step, settings, count, maxParallel, temperature, {
    call: (replicate) => routing.callReplicate(step, context, state, replicate),
    judge: (values, judgeModel) => {
      const judge: CompiledStep = {
        ...step,
        actionKind: 'prompt',
        action: judgeTemplate(taskOf(step)),
        parameters: step.actionKind === 'generate' ? {} : step.parameters,
        model: judgeModel ?? step.model,
        replicates: null,
      };
      const judgeContext = { ...context, steps: { ...context.steps, [JUDGE_ANSWERS]: { result: judgeAnswers(values), status: 'completed' as const, error: null } } };
      return routing.callReplicate(judge, judgeContext, state, { index: count, label: 'judge', model: null, seed: count + 1, temperature: temperature ?? 0 });
    },
    budgetStop: (spent) => {
      // The step's record already holds what it spent (see progress); the next replicate will likely use their mean.
      const done = (state.evidence as { replicates?: unknown[] } | undefined)?.replicates?.length ?? 0;
      return budgetStop(averageUsage(spent, done));
    },
    progress: (evidence, usage) => {
      state.evidence = evidence;
      state.usage = { ...usage };
    },
  });
  return {
    result: outcome.result,
    usage: outcome.usage,
    model: outcome.models.length === 1 ? outcome.models[0]! : outcome.models.join(', '),
    attempts: 1,
    extra: { evidence: outcome.evidence },
  };
};
