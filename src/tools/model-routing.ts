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

/** Output tokens a routed task is expected to take, for the cost and latency estimates. */
const EXPECTED_OUTPUT_TOKENS = 500;
/** Output tokens a second assumed for the latency estimate (no observed figure is at hand in a tool). */
const ASSUMED_TOKENS_PER_SECOND = 50;

/** How much the text asks for, by its length: the Python orchestrator's `task_analysis.complexity` words. */
function complexityOf(text: string): 'simple' | 'moderate' | 'complex' {
  const words = text.split(/\s+/).filter(Boolean).length;
  return words < 30 ? 'simple' : words < 150 ? 'moderate' : 'complex';
}

function routeOne(catalog: ModelCatalog, text: string, parameters: z.infer<typeof routeParameters>, context: ToolContext) {
  const chosen = choose(catalog, text, parameters.policy, context);
  // The next candidates, as the Python orchestrator's pipelines read them (`fallback_models`, at most three).
  const fallbacks = chosen.candidates.filter((id) => id !== chosen.model && id !== chosen.entry.id).slice(0, 3);
  // A fit score in 0..1: 1 when a model does the task itself, 0.5 when only a general model was found.
  const score = chosen.matched === chosen.task ? 1 : 0.5;
  // List price of the prompt and EXPECTED_OUTPUT_TOKENS answer tokens (0 for a model the catalog prices at nothing or not at all).
  const cost = catalog.priceOf(chosen.model, { input_tokens: estimateTokens(text), output_tokens: EXPECTED_OUTPUT_TOKENS }) ?? 0;
  return {
    task: text,
    task_type: chosen.task,
    matched_task: chosen.matched,
    selected_model: chosen.model,
    reason: chosen.reason,
    score,
    candidates: chosen.candidates,
    fallback_models: fallbacks,
    estimated_cost: cost,
    estimated_latency: 1 + EXPECTED_OUTPUT_TOKENS / ASSUMED_TOKENS_PER_SECOND,
    task_analysis: { task_type: chosen.task, complexity: complexityOf(text), prompt_tokens: estimateTokens(text) },
  };
}

function route(parameters: z.infer<typeof routeParameters>, context: ToolContext): Record<string, unknown> {
  const catalog = loadModelCatalog();
  const routes = requests(parameters).map((text) => routeOne(catalog, text, parameters, context));
  const first = routes[0]!;
  return {
    selected_model: first.selected_model,
    reason: first.reason,
    reasons: [first.reason],
    routing_reason: first.reason,
    // The Python orchestrator counts its own calls in flight per model; a tool here sees no other worker's calls.
    current_load: 0,
    score: first.score,
    candidates: first.candidates,
    fallback_models: first.fallback_models,
    estimated_cost: first.estimated_cost,
    estimated_latency: first.estimated_latency,
    task_analysis: first.task_analysis,
    all_scores: [first.selected_model, ...first.fallback_models].map((model, index) => ({ model, score: index === 0 ? first.score : first.score / 2, reasons: index === 0 ? [first.reason] : ['a further candidate'] })),
    task_type: first.task_type,
    routes,
    // One entry per task, in the shape multi-model-routing's callers read (`recommendations[i].model`).
    recommendations: routes.map((each, index) => ({ task_index: index, model: each.selected_model, estimated_cost: each.estimated_cost, estimated_latency: each.estimated_latency, reasons: [each.reason] })),
    models_selected: [...new Set(routes.map((each) => each.selected_model))],
    total_estimated_cost: routes.reduce((sum, each) => sum + each.estimated_cost, 0),
    tasks_count: routes.length,
    strategy: parameters.policy,
  };
}

const batchParameters = routeParameters.extend({ optimization_goal: z.string().default('minimize_cost') });

/** `optimize_batch`: a model per task with its estimated cost, and the batch's models and total. */
function optimizeBatch(parameters: z.infer<typeof batchParameters>, context: ToolContext): Record<string, unknown> {
  const catalog = loadModelCatalog();
  const policy = /quality|accura|speed|latency|fast/i.test(parameters.optimization_goal) ? 'performance_optimized' : 'cost_optimized';
  const results = requests(parameters).map((text, index) => {
    const routed = routeOne(catalog, text, { ...parameters, policy }, context);
    return { task_index: index, task: text, model: routed.selected_model, estimated_cost: routed.estimated_cost, estimated_latency: routed.estimated_latency, reason: routed.reason };
  });
  return {
    optimization_goal: parameters.optimization_goal,
    results,
    models_used: [...new Set(results.map((each) => each.model))],
    total_cost: results.reduce((sum, each) => sum + each.estimated_cost, 0),
    tasks_count: results.length,
  };
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
  const originalTokens = estimateTokens(parameters.prompt);
  const optimizedTokens = estimateTokens(optimized);
  const recommendations = [
    ...(/\b(format|json|list|table|bullet|markdown)\b/i.test(optimized) ? [] : ['say what form the answer should take (a list, JSON, a table)']),
    ...(/\bexample/i.test(optimized) ? [] : ['show an example of the answer wanted']),
    ...(optimizedTokens > 1000 ? ['split the prompt into steps'] : []),
  ];
  return {
    optimized_prompt: optimized,
    original_tokens: originalTokens,
    optimized_tokens: optimizedTokens,
    // The Python orchestrator's pipelines read these names.
    metrics: { original_tokens: originalTokens, optimized_tokens: optimizedTokens, reduction_percentage: originalTokens > 0 ? Math.round(((originalTokens - optimizedTokens) / originalTokens) * 1000) / 10 : 0 },
    applied_optimizations: changes,
    recommendations,
    model: entry?.id ?? null,
    changes,
  };
}

export const multiModelRoutingTool: ToolModule = {
  name: 'multi-model-routing',
  description: 'Chooses a model of the catalog (models.yaml) for each task, by the selection policy: {selected_model, reason, routes, recommendations, total_estimated_cost}.',
  actions: {
    route: { description: 'a model for the task (or each of tasks)', parameters: routeParameters, run: (parameters: z.infer<typeof routeParameters>, context) => Promise.resolve(route(parameters, context)) },
    optimize_batch: {
      description: 'a model per task for the optimization_goal, with the estimated total cost',
      parameters: batchParameters,
      run: (parameters: z.infer<typeof batchParameters>, context) => Promise.resolve(optimizeBatch(parameters, context)),
    },
  },
  defaultAction: 'route',
  // The dialect writes `action: execute` and names the operation in `parameters.action`.
  actionFor: (action, parameters) => (action === 'optimize_batch' || parameters.action === 'optimize_batch' ? 'optimize_batch' : undefined),
  availability: () => ({ available: true }),
};

export const taskDelegationTool: ToolModule = {
  name: 'task-delegation',
  description: 'Delegates a task to the catalog model that fits it: {selected_model, reason, score, fallback_models, task_analysis, estimated_cost}.',
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
