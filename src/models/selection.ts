// Picks a catalog model for a requirement (`model: { tasks, context_window, ..., policy }`) and learns from outcomes.
import { z } from 'zod';
// Types only from catalog.ts (which reads files): selection itself is pure and deterministic — no I/O, no
// randomness — so the same catalog, statistics and requirement always give the same choice.
import type { CatalogEntry, ModelCatalog } from './catalog';
import { costOf } from './pricing';
import type { ModelStatistics, SelectionStatistics } from './selection-stats';

export const selectionPolicySchema = z.enum(['ucb', 'cost_optimized', 'performance_optimized']);
export type SelectionPolicy = z.infer<typeof selectionPolicySchema>;

/** The object form of a step's `model:` (pipeline-spec section 4). */
export const modelRequirementSchema = z.strictObject({
  /** Every task listed must be among the model's tasks. */
  tasks: z.array(z.string().min(1)).optional(),
  /** The least context window (tokens) the model must have. */
  context_window: z.number().int().positive().optional(),
  structured_output: z.boolean().optional(),
  function_calling: z.boolean().optional(),
  /** `ucb` when left out. */
  policy: selectionPolicySchema.optional(),
});
export type ModelRequirement = z.infer<typeof modelRequirementSchema>;

export interface SelectModelOptions {
  /** Estimated size of the prompt in tokens; see `estimateTokens`. */
  promptTokens?: number;
  /** The prompt itself, when `promptTokens` is not given (estimated as ceil(characters / 4)). */
  prompt?: string;
  /** Room left for the answer in the context window, and its size in cost estimates (default 512). */
  expectedOutputTokens?: number;
  /** Why a model cannot be used right now (e.g. `missingCredential`), or undefined when it can. */
  unavailable?: (entry: CatalogEntry) => string | undefined;
  /** UCB's exploration weight c (default √2). */
  explorationFactor?: number;
}

export interface ModelSelection {
  /** `provider:model` (or `echo`), ready for `createModelResolver().resolve`. */
  model: string;
  entry: CatalogEntry;
  policy: SelectionPolicy;
  /** One sentence on why, for logs and the run's result. */
  reason: string;
  /** Every model that met the requirement (the chosen one among them), in catalog order. */
  candidates: string[];
  /** The models that did not, and why. */
  rejections: ModelRejection[];
  /** The prompt size the context windows were checked against. */
  promptTokens: number;
}

export interface ModelRejection {
  model: string;
  reasons: string[];
}

export class ModelSelectionError extends Error {
  override readonly name = 'ModelSelectionError';
  constructor(
    message: string,
    readonly rejections: ModelRejection[] = [],
  ) {
    super(message);
  }
}

export interface CallOutcome {
  success: boolean;
  latencyMs: number;
  costUsd: number;
}

/** Weights of a successful call's reward (a failure earns 0), after seeds/004 9.1's success / latency / cost terms. */
export const rewardWeights = { success: 0.6, latency: 0.2, cost: 0.2 } as const;
/** A call this slow scores half on latency. */
export const latencyHalfScoreMs = 10_000;
/** A call this expensive scores half on cost. */
export const costHalfScoreUsd = 0.01;
/**
 * UCB1's c for rewards in [0, 1]. The design document suggests 2.0, which with rewards this small keeps trying a
 * model long after it has shown itself worse; √2 is the textbook value for this reward range.
 */
export const defaultExplorationFactor = Math.SQRT2;
export const defaultExpectedOutputTokens = 512;

/** The ~4 characters per token rule of thumb used throughout. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/**
 * A call's reward in [0, 1]: 0 for a failure; for a success 0.6, plus up to 0.2 for speed and up to 0.2 for cheapness,
 * each term `1 / (1 + x / half)` so it is 1 at zero and halves at `latencyHalfScoreMs` / `costHalfScoreUsd`.
 */
export function rewardOf(outcome: CallOutcome): number {
  if (!outcome.success) return 0;
  const latencyScore = 1 / (1 + Math.max(0, outcome.latencyMs) / latencyHalfScoreMs);
  const costScore = 1 / (1 + Math.max(0, outcome.costUsd) / costHalfScoreUsd);
  return rewardWeights.success + rewardWeights.latency * latencyScore + rewardWeights.cost * costScore;
}

/** Adds one call's outcome to the statistics (in memory; persist with `updateSelectionStats`). */
export function recordOutcome(statistics: Pick<SelectionStatistics, 'models'>, modelId: string, outcome: CallOutcome, at: Date = new Date()): ModelStatistics {
  const current = statistics.models[modelId] ?? { attempts: 0, successes: 0, totalReward: 0, totalLatencyMs: 0, totalCostUsd: 0 };
  const updated: ModelStatistics = {
    attempts: current.attempts + 1,
    successes: current.successes + (outcome.success ? 1 : 0),
    totalReward: current.totalReward + rewardOf(outcome),
    totalLatencyMs: current.totalLatencyMs + Math.max(0, outcome.latencyMs),
    totalCostUsd: current.totalCostUsd + Math.max(0, outcome.costUsd),
    lastUsedAt: at.toISOString(),
  };
  statistics.models[modelId] = updated;
  return updated;
}

interface Candidate {
  entry: CatalogEntry;
  statistics: ModelStatistics | undefined;
  estimatedCostUsd: number;
}

export function selectModel(
  requirement: ModelRequirement,
  catalog: ModelCatalog,
  statistics: Pick<SelectionStatistics, 'models'> | undefined,
  options: SelectModelOptions = {},
): ModelSelection {
  const parsed = modelRequirementSchema.safeParse(requirement);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'requirement'}: ${issue.message}`).join('; ');
    throw new ModelSelectionError(`Invalid model requirement ${JSON.stringify(requirement)}: ${problems}`);
  }
  const wanted = parsed.data;
  const policy = wanted.policy ?? 'ucb';
  const promptTokens = Math.max(0, Math.ceil(options.promptTokens ?? (options.prompt === undefined ? 0 : estimateTokens(options.prompt))));
  const expectedOutputTokens = options.expectedOutputTokens ?? defaultExpectedOutputTokens;
  const statisticsByModel = statistics?.models ?? {};

  const candidates: Candidate[] = [];
  const rejections: ModelRejection[] = [];
  for (const entry of catalog.entries) {
    const reasons = rejectionReasons(entry, wanted, promptTokens, expectedOutputTokens, options);
    if (reasons.length > 0) {
      rejections.push({ model: entry.id, reasons });
      continue;
    }
    candidates.push({
      entry,
      statistics: statisticsByModel[entry.id],
      estimatedCostUsd: costOf(entry.pricing, { input_tokens: promptTokens, output_tokens: expectedOutputTokens }),
    });
  }

  if (candidates.length === 0) {
    const described = `Model requirement ${JSON.stringify(wanted)}${promptTokens > 0 ? ` for a ~${formatCount(promptTokens)}-token prompt` : ''}`;
    if (rejections.length === 0) throw new ModelSelectionError(`${described}: the model catalog is empty.`);
    const lines = rejections.map((rejection) => `  - ${rejection.model}: ${rejection.reasons.join('; ')}`);
    throw new ModelSelectionError(`${described}: no model in the catalog meets it.\n${lines.join('\n')}`, rejections);
  }

  const choose = { ucb: chooseByUpperConfidenceBound, cost_optimized: chooseCheapest, performance_optimized: chooseBestPerforming }[policy];
  const { candidate, why } = choose(candidates, options);
  const others = candidates.length === 1 ? 'the only model that fits' : `${candidates.length} models fit`;
  return {
    model: candidate.entry.id,
    entry: candidate.entry,
    policy,
    reason: `${policy}: ${why}; ${others}`,
    candidates: candidates.map((each) => each.entry.id),
    rejections,
    promptTokens,
  };
}

function rejectionReasons(
  entry: CatalogEntry,
  wanted: ModelRequirement,
  promptTokens: number,
  expectedOutputTokens: number,
  options: SelectModelOptions,
): string[] {
  const reasons: string[] = [];
  const capabilities = entry.capabilities;
  if (!entry.selectable) reasons.push('not chosen automatically (selectable: false); name it to use it');
  const missingTasks = (wanted.tasks ?? []).filter((task) => !capabilities.tasks.includes(task));
  if (missingTasks.length > 0) reasons.push(`does not do ${missingTasks.join(', ')} (its tasks: ${capabilities.tasks.join(', ')})`);
  if (wanted.context_window !== undefined && capabilities.context_window < wanted.context_window) {
    reasons.push(`context window ${formatCount(capabilities.context_window)} < ${formatCount(wanted.context_window)} required`);
  }
  if (promptTokens > 0 && promptTokens + expectedOutputTokens > capabilities.context_window) {
    reasons.push(
      `context window ${formatCount(capabilities.context_window)} cannot hold the ~${formatCount(promptTokens)}-token prompt ` +
        `plus ${formatCount(expectedOutputTokens)} tokens of answer`,
    );
  }
  if (wanted.structured_output && !capabilities.structured_output) reasons.push('no structured output');
  if (wanted.function_calling && !capabilities.function_calling) reasons.push('no function calling');
  const unavailable = options.unavailable?.(entry);
  if (unavailable) reasons.push(unavailable);
  return reasons;
}

// ---------------------------------------------------------------------------------------------------------------
// Policies. Each breaks ties deterministically so a choice can be reproduced and tested.
// ---------------------------------------------------------------------------------------------------------------

type Choice = { candidate: Candidate; why: string };

/** (successes + 1) / (attempts + 2): a model tried once is neither perfect nor hopeless; an untried one scores 0.5. */
function smoothedSuccessRate(statistics: ModelStatistics | undefined): number {
  return ((statistics?.successes ?? 0) + 1) / ((statistics?.attempts ?? 0) + 2);
}

function meanLatencyMs(statistics: ModelStatistics | undefined): number {
  return statistics && statistics.attempts > 0 ? statistics.totalLatencyMs / statistics.attempts : Number.POSITIVE_INFINITY;
}

function byCostThenId(first: Candidate, second: Candidate): number {
  return first.estimatedCostUsd - second.estimatedCostUsd || first.entry.id.localeCompare(second.entry.id);
}

/** Observed success (smoothed), then lower mean latency, then the larger context window, then cost and id. */
function byPerformance(first: Candidate, second: Candidate): number {
  return (
    smoothedSuccessRate(second.statistics) - smoothedSuccessRate(first.statistics) ||
    compareNumbers(meanLatencyMs(first.statistics), meanLatencyMs(second.statistics)) ||
    second.entry.capabilities.context_window - first.entry.capabilities.context_window ||
    byCostThenId(first, second)
  );
}

// Infinity - Infinity is NaN, which sort treats as "equal" only by accident; be explicit.
function compareNumbers(first: number, second: number): number {
  return first === second ? 0 : first < second ? -1 : 1;
}

/**
 * UCB1 (seeds/004 3.4): score = mean reward + c * sqrt(ln(N + 1) / n), where n is the model's attempts and N the
 * candidates' attempts together. An untried model scores +infinity, so every candidate is tried once (cheapest first)
 * before any is tried twice.
 */
function chooseByUpperConfidenceBound(candidates: Candidate[], options: SelectModelOptions): Choice {
  const untried = candidates.filter((candidate) => !candidate.statistics || candidate.statistics.attempts === 0);
  if (untried.length > 0) {
    const [first] = [...untried].sort(byCostThenId) as [Candidate];
    const count = untried.length === 1 ? 'the last untried model' : `${untried.length} untried; cheapest first`;
    return { candidate: first, why: `${first.entry.id} has not been tried yet (${count})` };
  }
  const explorationFactor = options.explorationFactor ?? defaultExplorationFactor;
  const totalAttempts = candidates.reduce((total, candidate) => total + (candidate.statistics?.attempts ?? 0), 0);
  const scored = candidates.map((candidate) => {
    // Every candidate has been tried by now (the untried returned above).
    const statistics = candidate.statistics as ModelStatistics;
    const meanReward = statistics.totalReward / statistics.attempts;
    const bonus = explorationFactor * Math.sqrt(Math.log(totalAttempts + 1) / statistics.attempts);
    return { candidate, meanReward, bonus, score: meanReward + bonus };
  });
  scored.sort((first, second) => second.score - first.score || byCostThenId(first.candidate, second.candidate));
  const best = scored[0]!;
  const attempts = best.candidate.statistics?.attempts ?? 0;
  return {
    candidate: best.candidate,
    why:
      `${best.candidate.entry.id} has the highest upper confidence bound, ${best.score.toFixed(3)} = mean reward ` +
      `${best.meanReward.toFixed(3)} over ${attempts} call${attempts === 1 ? '' : 's'} + exploration ${best.bonus.toFixed(3)}`,
  };
}

function chooseCheapest(candidates: Candidate[]): Choice {
  const [first] = [...candidates].sort((one, other) => one.estimatedCostUsd - other.estimatedCostUsd || byPerformance(one, other)) as [Candidate];
  return { candidate: first, why: `${first.entry.id} is the cheapest, ~$${formatUsd(first.estimatedCostUsd)} for this call at list price` };
}

function chooseBestPerforming(candidates: Candidate[]): Choice {
  const [first] = [...candidates].sort(byPerformance) as [Candidate];
  const statistics = first.statistics;
  const observed =
    statistics && statistics.attempts > 0
      ? `${Math.round((100 * statistics.successes) / statistics.attempts)}% success over ${statistics.attempts} call${statistics.attempts === 1 ? '' : 's'}, ` +
        `mean latency ${Math.round(meanLatencyMs(statistics))} ms`
      : `no calls observed yet; context window ${formatCount(first.entry.capabilities.context_window)}`;
  return { candidate: first, why: `${first.entry.id} performs best (${observed})` };
}

function formatCount(count: number): string {
  return count.toLocaleString('en-US');
}

function formatUsd(amount: number): string {
  return amount === 0 ? '0' : amount.toPrecision(2);
}
