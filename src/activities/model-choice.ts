// Decides which model a step calls and on which task queue: a requirement is resolved by selection against the
// catalog and the learned statistics, and a rate-limited provider's calls go to that provider's own queue.
import { ApplicationFailure } from '@temporalio/activity';
import { FailureType } from '../base/failure-types';
import { loadModelCatalog, missingCredential, modelProviderSchema, type ModelCatalog } from '../models/catalog';
import { estimateTokens, ModelSelectionError, selectModel, type ModelRequirement } from '../models/selection';
import { loadSelectionStats, selectionStatsFile } from '../models/selection-stats';
import { providerQueueFor } from '../base/task-queues';
import type { FailureDetails } from './errors';
import { buildPrompt, systemPrompt } from './generate';
import { templateScope } from './render';
import type { ChooseModelInput, ChooseModelOutput, ExecuteStepInput } from './types';

export interface ModelChoiceDependencies {
  /** The models a requirement is chosen from; the shipped models.yaml merged with the user's when left out. */
  catalog?: ModelCatalog;
  /** Whose API keys decide which hosted models can be chosen; the worker's own environment by default. */
  environment?: NodeJS.ProcessEnv;
  /** The bandit statistics; `<data folder>/model-stats.json` by default. */
  selectionStatsFile?: string;
  /**
   * Providers whose calls go to their own task queue. Only a worker that polls those queues may name them here
   * (`createPipelineWorker` does, for every provider with `rate_limits`); by default none.
   */
  rateLimitedProviders?: ReadonlySet<string>;
  /** The worker's models: one whose circuit is open is not chosen while it stays open. */
  models?: { unavailable?(modelId: string): string | undefined };
}

/** The provider a named model belongs to: from the catalog for names and aliases, else what comes before `:`. */
function providerOf(spec: string, catalog: ModelCatalog | undefined): string {
  const entry = catalog?.lookup(spec);
  if (entry) return entry.provider;
  const separator = spec.indexOf(':');
  return separator === -1 ? spec : spec.slice(0, separator);
}

/**
 * The size of the prompt the step will send. Rendering can fail here for reasons the step itself reports better
 * (an undefined value); then the template and the values it reads stand in for it.
 */
function estimatePromptTokens(call: ExecuteStepInput): number {
  try {
    return estimateTokens(systemPrompt(call)) + estimateTokens(buildPrompt(call, templateScope(call.context)));
  } catch {
    return estimateTokens(call.step.action) + estimateTokens(JSON.stringify(call.step.parameters)) + estimateTokens(JSON.stringify(call.context));
  }
}

export function createModelChoiceActivities(dependencies: ModelChoiceDependencies = {}) {
  const environment = dependencies.environment ?? process.env;
  const rateLimited = dependencies.rateLimitedProviders ?? new Set<string>();
  let catalog = dependencies.catalog;
  const catalogNow = (): ModelCatalog => (catalog ??= loadModelCatalog({ environment }));
  const queueOf = (provider: string, workflowTaskQueue: string): string | null =>
    rateLimited.has(provider) ? providerQueueFor(workflowTaskQueue, provider) : null;

  return {
    /**
     * Which model a step calls, and where. Meant to run as a local activity: it reads only the catalog (loaded once)
     * and, for a requirement, the statistics file, so it adds no round trip through the server.
     */
    async chooseModel(input: ChooseModelInput): Promise<ChooseModelOutput> {
      const where = input.stepId === null ? '' : `step '${input.stepId}': `;
      try {
        if (typeof input.spec === 'string') {
          const spec = input.spec.trim();
          // Without rate-limited providers the answer needs no catalog: the spec goes to the pipeline queue as it is.
          const provider = providerOf(spec, rateLimited.size > 0 ? catalogNow() : dependencies.catalog);
          return { model: input.spec, provider, taskQueue: queueOf(provider, input.workflowTaskQueue), selection: null };
        }
        const requirement = { ...input.spec } as ModelRequirement;
        // A step with an output schema needs a model that can answer under one.
        if (requirement.structured_output === undefined && input.call?.step.outputSchema) requirement.structured_output = true;
        const selection = selectModel(requirement, catalogNow(), loadSelectionStats(dependencies.selectionStatsFile ?? selectionStatsFile()), {
          ...(input.call ? { promptTokens: estimatePromptTokens(input.call) } : {}),
          ...(input.call?.maxTokens ? { expectedOutputTokens: input.call.maxTokens } : {}),
          unavailable: (entry) => missingCredential(entry, environment) ?? dependencies.models?.unavailable?.(entry.id),
        });
        return {
          model: selection.model,
          provider: selection.entry.provider,
          taskQueue: queueOf(selection.entry.provider, input.workflowTaskQueue),
          selection: {
            requirement: input.spec,
            policy: selection.policy,
            chosen: selection.model,
            candidates: selection.candidates,
            rejected: selection.rejections,
            reason: selection.reason,
            estimated_prompt_tokens: selection.promptTokens,
          },
        };
      } catch (error) {
        // No model fits, or models.yaml cannot be read: retrying would give the same answer.
        const type = error instanceof ModelSelectionError ? FailureType.ModelSelectionError : error instanceof Error ? error.name : 'Error';
        const details: FailureDetails[] = [{ attempt: 1 }];
        throw ApplicationFailure.create({ type, message: `${where}${error instanceof Error ? error.message : String(error)}`, nonRetryable: true, details });
      }
    },
  };
}

/** The providers the catalog gives rate limits to (their calls run on their own task queues). */
export function rateLimitedProvidersOf(catalog: ModelCatalog): Set<string> {
  return new Set(modelProviderSchema.options.filter((provider) => catalog.providers[provider]?.rate_limits !== undefined));
}
