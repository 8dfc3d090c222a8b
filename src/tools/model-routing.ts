// multi-model-routing, task-delegation, prompt-optimization: the model catalog (models.yaml) and its selection,
// the same that resolves a step's `model: { tasks, ... }` requirement.
import { z } from 'zod';
import { loadModelCatalog, missingCredential, type ModelCatalog } from '../models/catalog';
import { estimateTokens, selectModel, selectionPolicySchema, type ModelRequirement, type ModelSelection } from '../models/selection';
import type { ToolContext, ToolModule } from './types';

/** The catalog's task names a request's words point to; `general` when none does. */
const TASK_WORDS: ReadonlyArray<[RegExp, string]> = [
  [/\b(code|program|function|script|debug|implement)\b/i, 'code_generation'],
  [/\breview\b/i, 'code_review'],
  [/\b(summari[sz]e|summary|tl;?dr)\b/i, 'summarization'],
  [/\b(classify|categori[sz]e|label)\b/i, 'classification'],
  [/\b(extract|parse|pull out)\b/i, 'extraction'],
  [/\b(analy[sz]e|analysis|data)\b/i, 'analysis'],
  [/\b(reason|prove|plan|why)\b/i, 'reasoning'],
  [/\b(research|sources|investigate)\b/i, 'research'],
  [/\b(story|poem|creative|write a)\b/i, 'creative_writing'],
];

export function taskOf(text: string): string {
  return TASK_WORDS.find(([pattern]) => pattern.test(text))?.[1] ?? 'general';
}

/** `task`: the kind of task the text asks for; `matched`: the task the chosen model was chosen for (`general` when no usable model does `task`). */
function choose(catalog: ModelCatalog, text: string, policy: z.infer<typeof selectionPolicySchema>, context: ToolContext): ModelSelection & { task: string; matched: string } {
  const task = taskOf(text);
  const requirement: ModelRequirement = { tasks: [task], policy };
  const unavailable = (entry: Parameters<typeof missingCredential>[0]) => missingCredential(entry, context.env);
  try {
    return { ...selectModel(requirement, catalog, undefined, { prompt: text, unavailable }), task, matched: task };
  } catch {
    // No model this worker can call does that task: any general one will.
    return { ...selectModel({ tasks: ['general'], policy }, catalog, undefined, { prompt: text, unavailable }), task, matched: 'general' };
  }
}

const policy = selectionPolicySchema.default('cost_optimized');
const routeParameters = z.object({
  task: z.string().optional(),
  request: z.string().optional(),
  prompt: z.string().optional(),
  tasks: z.array(z.union([z.string(), z.looseObject({ task: z.string() })])).optional(),
  policy,
});

function requests(parameters: z.infer<typeof routeParameters>): string[] {
  const listed = (parameters.tasks ?? []).map((each) => (typeof each === 'string' ? each : each.task));
  const single = parameters.task ?? parameters.request ?? parameters.prompt;
  return single !== undefined ? [single, ...listed] : listed.length > 0 ? listed : ['general request'];
}

function route(parameters: z.infer<typeof routeParameters>, context: ToolContext): Record<string, unknown> {
  const catalog = loadModelCatalog();
  const routes = requests(parameters).map((text) => {
    const chosen = choose(catalog, text, parameters.policy, context);
    return { task: text, task_type: chosen.task, matched_task: chosen.matched, selected_model: chosen.model, reason: chosen.reason, candidates: chosen.candidates };
  });
  const first = routes[0]!;
  return { selected_model: first.selected_model, reason: first.reason, candidates: first.candidates, task_type: first.task_type, routes, strategy: parameters.policy };
}

const optimizeParameters = z.object({ prompt: z.string(), task: z.string().optional(), model: z.string().optional(), max_tokens: z.coerce.number().int().positive().optional() });

/** Whitespace tidied, repeated lines dropped, and cut to the model's context window: what a prompt can lose for free. */
function optimize(parameters: z.infer<typeof optimizeParameters>, context: ToolContext): Record<string, unknown> {
  const catalog = loadModelCatalog();
  const entry = parameters.model ? catalog.lookup(parameters.model) : choose(catalog, parameters.task ?? parameters.prompt, 'cost_optimized', context).entry;
  const seen = new Set<string>();
  const lines = parameters.prompt
    .split('\n')
    .map((line) => line.replace(/[ \t]+/g, ' ').trimEnd())
    .filter((line) => {
      const key = line.trim().toLowerCase();
      if (key === '') return true;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  let optimized = lines.join('\n').replace(/\n{3,}/g, '\n\n').trim();
  const limit = parameters.max_tokens ?? (entry ? Math.floor(entry.capabilities.context_window * 0.75) : undefined);
  const changes: string[] = [];
  if (optimized !== parameters.prompt.trim()) changes.push('tidied whitespace and dropped repeated lines');
  if (limit !== undefined && estimateTokens(optimized) > limit) {
    optimized = optimized.slice(0, limit * 4);
    changes.push(`cut to about ${limit} tokens`);
  }
  return {
    optimized_prompt: optimized,
    original_tokens: estimateTokens(parameters.prompt),
    optimized_tokens: estimateTokens(optimized),
    model: entry?.id ?? null,
    changes,
  };
}

export const multiModelRoutingTool: ToolModule = {
  name: 'multi-model-routing',
  description: 'Chooses a model of the catalog (models.yaml) for each task, by the selection policy: {selected_model, reason, routes}.',
  actions: { route: { description: 'a model for the task (or each of tasks)', parameters: routeParameters, run: (parameters: z.infer<typeof routeParameters>, context) => Promise.resolve(route(parameters, context)) } },
  defaultAction: 'route',
  availability: () => ({ available: true }),
};

export const taskDelegationTool: ToolModule = {
  name: 'task-delegation',
  description: 'Delegates a task to the catalog model that fits it: {selected_model, reason}.',
  actions: { delegate: { description: 'the model the task goes to', parameters: routeParameters, run: (parameters: z.infer<typeof routeParameters>, context) => Promise.resolve(route(parameters, context)) } },
  defaultAction: 'delegate',
  availability: () => ({ available: true }),
};

export const promptOptimizationTool: ToolModule = {
  name: 'prompt-optimization',
  description: "Tidies a prompt and fits it to the target model's context window: {optimized_prompt, changes}.",
  actions: { optimize: { description: 'the optimized prompt', parameters: optimizeParameters, run: (parameters: z.infer<typeof optimizeParameters>, context) => Promise.resolve(optimize(parameters, context)) } },
  defaultAction: 'optimize',
  availability: () => ({ available: true }),
};
