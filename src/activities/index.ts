// Every activity the pipeline workflow calls, built from the dependencies they need.
import type { ModelResolver } from '../models/registry';
import { createAgentActivities } from './agents';
import type { AutoValueCache } from './auto-cache';
import { createAutoResolveActivities } from './auto-resolve';
import { createGenerateActivities } from './generate';
import { createModelChoiceActivities, type ModelChoiceDependencies } from './model-choice';
import { createMcpActivities } from './mcp';
import { createPipelineActivities } from './pipelines';
import { createSandboxActivities, type SandboxDependencies } from './sandbox';
import type { StepCache } from './step-cache';
import { createTemplateActivities } from './templates';
import { createToolActivities } from './tools';
import type { RunStore } from '../store/run-store';

export interface ActivityDependencies extends ModelChoiceDependencies {
  models: ModelResolver;
  /** Where AUTO tag values are remembered between runs (none by default). */
  autoCache?: AutoValueCache;
  /** The Docker engine and limits of run_code (the local engine and default limits by default). */
  sandbox?: SandboxDependencies;
  /** The step result cache; the worker builds it on its run store (none: no step is cached). */
  stepCache?: StepCache;
  /** The run store, where tools keep durable memory (mcp-memory); none: memory tools are unavailable. */
  store?: RunStore;
}

export function createActivities(dependencies: ActivityDependencies) {
  return {
    ...createGenerateActivities(dependencies),
    ...createModelChoiceActivities(dependencies),
    ...createAutoResolveActivities(dependencies),
    ...createTemplateActivities(),
    ...createPipelineActivities(),
    ...createMcpActivities(dependencies.stepCache),
    ...createSandboxActivities(dependencies.sandbox, dependencies.stepCache),
    ...createAgentActivities(dependencies),
    ...createToolActivities({ ...(dependencies.store ? { store: dependencies.store } : {}), ...(dependencies.sandbox ? { sandbox: dependencies.sandbox } : {}) }),
  };
}

export type PipelineActivities = ReturnType<typeof createActivities>;
