// Evidence-bundle keys of a step (spec section 10): replicates, models, consensus, min_agreement, judge_model.
import { parseAutoTag } from './auto-tags';
import type { Diagnostic } from './diagnostics';
import type { ActionKind, CompiledReplicates } from '../base/compiled-pipeline';
import type { PlainObject } from './values';

type Report = (code: Diagnostic['code'], message: string, at: Array<string | number>) => void;

/** What downstream templates may read of `STEP.evidence`. */
export const EVIDENCE_FIELDS: ReadonlySet<string> = new Set(['replicates', 'consensus', 'agreement', 'method', 'disagreements', 'judge']);

const REPLICATE_ACTIONS: ReadonlySet<ActionKind> = new Set(['prompt', 'named', 'generate']);
const BUNDLE_KEYS = ['models', 'consensus', 'min_agreement', 'judge_model'] as const;

/** The step's replicate settings, or null when it runs once; problems go to `report` at `at(key)`. */
export function compileReplicates(step: PlainObject, actionKind: ActionKind, report: Report, at: (...keys: Array<string | number>) => Array<string | number>): CompiledReplicates | null {
  const written = step.replicates;
  const models = Array.isArray(step.models) ? step.models.filter((model): model is string => typeof model === 'string') : [];
  const present = written !== undefined || BUNDLE_KEYS.some((key) => step[key] !== undefined);
  if (!present) return null;
  if (written === undefined && models.length === 0) {
    const key = BUNDLE_KEYS.find((candidate) => step[candidate] !== undefined)!;
    report('INVALID_VALUE', `'${key}' needs 'replicates' (or 'models') on the same step`, at(key));
    return null;
  }
  if (!REPLICATE_ACTIONS.has(actionKind)) {
    report('INVALID_VALUE', `'replicates' applies to model steps only, not to a ${actionKind} step`, at(written !== undefined ? 'replicates' : 'models'));
    return null;
  }
  if (step.for_each !== undefined) {
    report('INVALID_VALUE', `'replicates' cannot be combined with 'for_each': replicate the items' step in a child pipeline instead`, at('replicates'));
    return null;
  }
  if (typeof step.min_agreement === 'number' && (step.min_agreement < 0 || step.min_agreement > 1)) {
    report('INVALID_VALUE', `'min_agreement' is a share of the replicates, from 0 to 1; got ${step.min_agreement}`, at('min_agreement'));
  }
  if (step.judge_model !== undefined && step.consensus !== 'judge') {
    report('INVALID_VALUE', `'judge_model' is only used with 'consensus: judge'`, at('judge_model'));
  }
  const isTag = typeof written === 'string' && parseAutoTag(written).kind !== 'none';
  const count = typeof written === 'number' ? written : isTag ? null : models.length;
  return {
    count,
    models,
    consensus: step.consensus === 'majority' || step.consensus === 'medoid' || step.consensus === 'judge' ? step.consensus : null,
    minAgreement: typeof step.min_agreement === 'number' ? step.min_agreement : null,
    judgeModel: typeof step.judge_model === 'string' ? step.judge_model : null,
  };
}
