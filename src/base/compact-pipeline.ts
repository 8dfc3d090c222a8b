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

export function compactPipeline(pipeline: TransportedPipeline): CompactPipeline {
  if ('compactSteps' in pipeline) return pipeline;
  const steps = pipeline.steps.map((step) => {
    const compact: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(step)) {
      const fallback = STEP_DEFAULTS[key as keyof CompiledStep];
      if (fallback === undefined || !sameValue(value, fallback(pipeline))) compact[key] = value;
    }
    return compact as CompactStep;
  });
  return { ...pipeline, compactSteps: true, steps };
}

/** The compiler's key order: a filled-in step reads (and serializes) as the compiled one did. */
const STEP_KEY_ORDER = ['id', 'name', 'actionKind', 'action', ...Object.keys(STEP_DEFAULTS).filter((key) => key !== 'name')] as Array<keyof CompiledStep>;

export function expandPipeline(pipeline: TransportedPipeline): CompiledPipeline {
  if (!('compactSteps' in pipeline)) return pipeline;
  const expanded = pipeline.steps.map((step) => {
    const full: Record<string, unknown> = {};
    for (const key of STEP_KEY_ORDER) {
      const fallback = STEP_DEFAULTS[key];
      if (key in step) full[key] = step[key];
      else if (fallback) full[key] = fallback(pipeline);
    }
    return { ...full, ...step } as CompiledStep;
  });
  // The pipeline's own key order too: `steps` stays where it was.
  const { compactSteps: _marker, ...full } = { ...pipeline, steps: expanded };
  return full;
}

/** Defaults that come from the pipeline's config: a step handed to an activity always carries them. */
const CONFIG_FIELDS: ReadonlySet<string> = new Set(['timeoutSeconds', 'maxRetries']);

/** The defaults that do not depend on the config (those that do are never left out of a compacted step). */
function configFreeDefault(key: keyof CompiledStep): unknown {
  const fallback = STEP_DEFAULTS[key];
  return fallback && !CONFIG_FIELDS.has(key) ? fallback({ config: {} } as unknown as Pick<CompiledPipeline, 'config'>) : undefined;
}

/**
 * What a step's model call carries of it: the fields that differ from their defaults (its timeout and retries
 * always). A history holds one copy per call, and the full step was over half of every scheduled event: at 1,000
 * calls in flight, twice the bytes made the dev server spend three times the CPU (issue 14).
 */
export function compactStep(step: CompiledStep): CompactStep {
  const compact: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(step)) {
    const fallback = configFreeDefault(key as keyof CompiledStep);
    if (fallback === undefined || !sameValue(value, fallback)) compact[key] = value;
  }
  return compact as CompactStep;
}

/** The step in full again: a compacted one filled in, a full one (older runs, retries of older calls) as it is. */
export function expandStep(step: CompactStep | CompiledStep): CompiledStep {
  const full: Record<string, unknown> = {};
  for (const key of STEP_KEY_ORDER) {
    const fallback = configFreeDefault(key);
    if (key in step) full[key] = step[key];
    else if (fallback !== undefined) full[key] = fallback;
  }
  return { ...full, ...step } as CompiledStep;
}
