// Every activity the pipeline workflow calls, built from the dependencies they need.
import type { ModelResolver } from '../models/registry';
import type { AutoValueCache } from './auto-cache';
import { createAutoResolveActivities } from './auto-resolve';
import { createGenerateActivities } from './generate';
import { createPipelineActivities } from './pipelines';
import { createTemplateActivities } from './templates';

export interface ActivityDependencies {
  models: ModelResolver;
  /** Where AUTO tag values are remembered between runs (none by default). */
  autoCache?: AutoValueCache;
}

export function createActivities(dependencies: ActivityDependencies) {
  return {
    ...createGenerateActivities(dependencies),
    ...createAutoResolveActivities(dependencies),
    ...createTemplateActivities(),
    ...createPipelineActivities(),
  };
}

export type PipelineActivities = ReturnType<typeof createActivities>;
