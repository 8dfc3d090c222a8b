// The compiled pipeline as it travels in a workflow input: step fields at their defaults are left out, and the
// workflow puts them back. In full, a 5,000-step chain is over 3 MB, past Temporal's 2 MB limit on a payload.
import type { CompiledPipeline, CompiledStep } from './compiled-pipeline';

/** A step with only the fields that differ from their defaults (the id is always there). */
export type CompactStep = Partial<CompiledStep> & Pick<CompiledStep, 'id'>;

/** Marked, so that only a pipeline compacted here is filled in: older inputs lack fields on purpose (replay). */
export type CompactPipeline = Omit<CompiledPipeline, 'steps'> & { compactSteps: true; steps: CompactStep[] };

/** What a workflow input holds: a pipeline in full (runs before compaction, child pipelines) or compacted. */
export type TransportedPipeline = CompiledPipeline | CompactPipeline;

type StepDefaults = { [K in keyof CompiledStep]?: (pipeline: Pick<CompiledPipeline, 'config'>) => CompiledStep[K] };

/** Each field's default, made fresh per step (the workflow may change a step's arrays and objects), in the compiler's order. */
const STEP_DEFAULTS: StepDefaults = {
  name: () => null,
  parameters: () => ({}),
  dependsOn: () => [],
  model: () => null,
  outputSchema: () => null,
  budget: () => null,
  fallbackModels: () => [],
  timeoutSeconds: (pipeline) => pipeline.config.timeoutSeconds,
  maxRetries: (pipeline) => pipeline.config.maxRetries,
  onFailure: () => ({ kind: 'fail' }),
  isHandler: () => false,
  when: () => null,
  forEach: () => null,
  maxParallel: () => null,
  temperature: () => null,
  maxTokens: () => null,
  references: () => [],
  forEachReferences: () => [],
  autoTags: () => [],
  cache: () => null,
};

/** Equal as JSON. The defaults are null, false, [] and {} or small objects: those are told apart without stringifying. */
function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(b) && b.length === 0) return Array.isArray(a) && a.length === 0;
  return JSON.stringify(a) === JSON.stringify(b);
}

/** A step field's default (undefined: the field has none, and is always kept). */
type DefaultOf = (key: keyof CompiledStep) => unknown;

/** The defaults of a pipeline's steps, its config's timeout and retries included. */
function defaultsOf(pipeline: Pick<CompiledPipeline, 'config'>): DefaultOf {
  return (key) => STEP_DEFAULTS[key]?.(pipeline);
}

/** Defaults that come from the pipeline's config: a step handed to an activity always carries them. */
const CONFIG_FIELDS: ReadonlySet<string> = new Set(['timeoutSeconds', 'maxRetries']);

/** The defaults that do not depend on the config (a compacted step keeps the fields that do). */
const configFreeDefault: DefaultOf = (key) => (CONFIG_FIELDS.has(key) ? undefined : STEP_DEFAULTS[key]?.({ config: {} } as unknown as Pick<CompiledPipeline, 'config'>));

/** The step with only the fields that differ from their defaults. */
function compactWith(step: CompiledStep, defaultOf: DefaultOf): CompactStep {
  const compact: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(step)) {
    const fallback = defaultOf(key as keyof CompiledStep);
    if (fallback === undefined || !sameValue(value, fallback)) compact[key] = value;
  }
  return compact as CompactStep;
}

/** The compiler's key order: a filled-in step reads (and serializes) as the compiled one did. */
const STEP_KEY_ORDER = ['id', 'name', 'actionKind', 'action', ...Object.keys(STEP_DEFAULTS).filter((key) => key !== 'name')] as Array<keyof CompiledStep>;

/** The step filled in with fresh defaults (the workflow may change a step's arrays and objects); a full step stays as it is. */
function expandWith(step: CompactStep | CompiledStep, defaultOf: DefaultOf): CompiledStep {
  const full: Record<string, unknown> = {};
  for (const key of STEP_KEY_ORDER) {
    if (key in step) {
      full[key] = step[key];
      continue;
    }
    const fallback = defaultOf(key);
    if (fallback !== undefined) full[key] = fallback;
  }
  return { ...full, ...step } as CompiledStep;
}

export function compactPipeline(pipeline: TransportedPipeline): CompactPipeline {
  if ('compactSteps' in pipeline) return pipeline;
  const defaultOf = defaultsOf(pipeline);
  return { ...pipeline, compactSteps: true, steps: pipeline.steps.map((step) => compactWith(step, defaultOf)) };
}

export function expandPipeline(pipeline: TransportedPipeline): CompiledPipeline {
  if (!('compactSteps' in pipeline)) return pipeline;
  const defaultOf = defaultsOf(pipeline);
  // The pipeline's own key order too: `steps` stays where it was.
  const { compactSteps: _marker, ...full } = { ...pipeline, steps: pipeline.steps.map((step) => expandWith(step, defaultOf)) };
  return full;
}

/**
 * What a step's model call carries of it: the fields that differ from their defaults (its timeout and retries
 * always). A history holds one copy per call, and the full step was over half of every scheduled event: at 1,000
 * calls in flight, twice the bytes made the dev server spend three times the CPU (issue 14).
 */
export function compactStep(step: CompiledStep): CompactStep {
  return compactWith(step, configFreeDefault);
}

/** The step in full again: a compacted one filled in, a full one (older runs, retries of older calls) as it is. */
export function expandStep(step: CompactStep | CompiledStep): CompiledStep {
  return expandWith(step, configFreeDefault);
}
