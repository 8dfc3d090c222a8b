// Runs a replicated step (spec section 10): k calls as their own activities, then the consensus and its evidence.
import { isCancellation } from '@temporalio/workflow';
import type { ExecuteStepOutput } from '../activities/types';
import { FailureType } from '../base/failure-types';
import type { CompiledReplicates, CompiledStep } from '../base/compiled-pipeline';
import { defaultMethod, judgedAgreement, majority, medoid, type Consensus, type ReplicateAnswer } from './evidence';
import { addUsage, zeroUsage, type Usage } from '../base/run-types';
import { StepFailure } from './step-failure';

/** Replicates must differ: a step with no temperature (or 0) samples at this one. */
export const REPLICATE_TEMPERATURE = 0.7;

export interface EvidenceBundle extends Consensus {
  replicates: ReplicateAnswer[];
  /** consensus: judge — the judge's call, recorded like a replicate's. */
  judge?: { value: unknown; model: string; usage: Usage };
}

export interface ReplicateCall {
  index: number;
  /** How the Web UI names the call: `replicate 3`, `judge`. */
  label: string;
  /** models[index mod n], or null for the step's own model. */
  model: string | null;
  seed: number;
  temperature: number;
}

/** What the runner needs from the workflow: the calls themselves and the run's budget. */
export interface ReplicateHooks {
  call(replicate: ReplicateCall): Promise<ExecuteStepOutput>;
  /** The judge reads the successful answers and writes the result. */
  judge(values: unknown[], model: string | null): Promise<ExecuteStepOutput>;
  /** Why no further replicate may start (the run's budget), or null; `spent` is this step's usage so far. */
  budgetStop(spent: Usage): string | null;
  /** Called after every finished call, so the step's usage and evidence show as they grow. */
  progress(evidence: EvidenceBundle | { replicates: ReplicateAnswer[] }, usage: Usage): void;
}

export interface ReplicatesOutcome {
  result: unknown;
  evidence: EvidenceBundle;
  usage: Usage;
  /** The models that answered, in the order of the replicates. */
  models: string[];
}

function errorText(error: unknown): string {
  let current: unknown = error;
  while (current instanceof Error && 'cause' in current && current.cause instanceof Error) current = current.cause;
  return current instanceof Error ? current.message : String(current);
}

/**
 * Failures throw StepFailure with the evidence so far: CONFLICT (too few succeeded, or agreement under
 * min_agreement, on_failure applies), or a budget stop (the run ends budget_exceeded, finished replicates kept).
 * At most `maxParallel` replicates at once, each its own activity with its own retries; a replicate that fails for
 * good does not vote. The run's budget is checked before each replicate starts.
 */
export async function runReplicates(step: CompiledStep, settings: CompiledReplicates, count: number, maxParallel: number, temperature: number | null, hooks: ReplicateHooks): Promise<ReplicatesOutcome> {
  const answers: Array<ReplicateAnswer | undefined> = new Array<ReplicateAnswer | undefined>(count);
  const usage: Usage = zeroUsage();
  let budgetStopped: string | null = null;
  let next = 0;
  const finished = (): ReplicateAnswer[] => answers.filter((answer): answer is ReplicateAnswer => answer !== undefined);
  const lane = async (): Promise<void> => {
    while (next < count && budgetStopped === null) {
      budgetStopped = hooks.budgetStop(usage);
      if (budgetStopped !== null) return;
      const index = next++;
      const model = settings.models.length > 0 ? settings.models[index % settings.models.length]! : null;
      try {
        const output = await hooks.call({ index, label: `replicate ${index + 1}`, model, seed: index + 1, temperature: temperature && temperature > 0 ? temperature : REPLICATE_TEMPERATURE });
        answers[index] = { value: output.result, model: output.model, status: 'completed', usage: output.usage };
        addUsage(usage, output.usage);
      } catch (error) {
        if (isCancellation(error)) throw error;
        answers[index] = { value: null, model: model ?? step.model?.toString() ?? '', status: 'failed', usage: zeroUsage(), error: errorText(error) };
      }
      hooks.progress({ replicates: finished() }, usage);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(maxParallel, count)) }, lane));
  const replicates = finished();
  const models = [...new Set(replicates.map((answer) => answer.model))];
  if (budgetStopped !== null) {
    throw new StepFailure(`step '${step.id}' stopped after ${replicates.length} of ${count} replicates: ${budgetStopped}`, { usage, extra: { evidence: { replicates } } }, budgetStopped);
  }

  const values = replicates.filter((answer) => answer.status === 'completed').map((answer) => answer.value);
  if (values.length * 2 < count) {
    throw new StepFailure(`${FailureType.Conflict}: step '${step.id}': only ${values.length} of ${count} replicates succeeded; at least half must`, { usage, extra: { evidence: { replicates } } }, null, FailureType.Conflict);
  }
  const method = settings.consensus ?? defaultMethod(values, step.outputSchema !== null);
  let bundle: EvidenceBundle;
  if (method === 'judge') {
    const verdict = await hooks.judge(values, settings.judgeModel);
    addUsage(usage, verdict.usage);
    bundle = {
      consensus: verdict.result,
      agreement: judgedAgreement(verdict.result, values, step.outputSchema !== null),
      method: 'judge',
      disagreements: majority(values).disagreements,
      replicates,
      judge: { value: verdict.result, model: verdict.model, usage: verdict.usage },
    };
  } else {
    bundle = { ...(method === 'medoid' ? medoid(values) : majority(values)), replicates };
  }
  hooks.progress(bundle, usage);
  if (settings.minAgreement !== null && bundle.agreement < settings.minAgreement) {
    throw new StepFailure(`${FailureType.Conflict}: step '${step.id}': the replicates agree ${bundle.agreement.toFixed(2)}, under min_agreement ${settings.minAgreement}`, {
      usage,
      extra: { evidence: bundle },
    }, null, FailureType.Conflict);
  }
  return { result: bundle.consensus, evidence: bundle, usage, models };
}
