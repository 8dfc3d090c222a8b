// Model selection: filtering by requirement, the three policies on a crafted catalog, and persisted bandit statistics.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createModelCatalog, loadModelCatalog, missingCredential, type CatalogEntry, type ModelCatalog } from '../../src/models/catalog';
import {
  estimateTokens,
  ModelSelectionError,
  recordOutcome,
  rewardOf,
  selectModel,
  type CallOutcome,
  type ModelRequirement,
  type SelectModelOptions,
} from '../../src/models/selection';
import {
  emptySelectionStatistics,
  loadSelectionStats,
  mergeSelectionStats,
  saveSelectionStats,
  selectionStatsFile,
  updateSelectionStats,
  type SelectionStatistics,
} from '../../src/models/selection-stats';

const free = { input_per_1k: 0, output_per_1k: 0 };

/** Prices chosen so the cheapest of `cheap` and `wide` depends on the prompt's size (cheap input vs cheap output). */
const catalog: ModelCatalog = createModelCatalog({
  tiny: { provider: 'local', model: 'tiny', capabilities: { tasks: ['general', 'summarization'], context_window: 4096, structured_output: true }, pricing: free },
  mini: { provider: 'local', model: 'mini', capabilities: { tasks: ['general'], context_window: 8192 }, pricing: free },
  cheap: {
    provider: 'openai',
    model: 'cheap',
    capabilities: { tasks: ['general', 'reasoning'], context_window: 16000, structured_output: true, function_calling: true },
    pricing: { input_per_1k: 0.001, output_per_1k: 0.001 },
  },
  wide: {
    provider: 'google',
    model: 'wide',
    capabilities: { tasks: ['general', 'reasoning'], context_window: 1_000_000, structured_output: false, function_calling: true },
    pricing: { input_per_1k: 0.0001, output_per_1k: 0.003 },
  },
  big: {
    provider: 'anthropic',
    model: 'big',
    capabilities: { tasks: ['general', 'reasoning', 'code_review'], context_window: 200_000, structured_output: true, function_calling: true },
    pricing: { input_per_1k: 0.003, output_per_1k: 0.015 },
  },
  parrot: { provider: 'echo', model: 'echo', selectable: false, capabilities: { tasks: ['general', 'reasoning'], context_window: 1_000_000 }, pricing: free },
});

function choose(requirement: ModelRequirement, statistics?: SelectionStatistics, options?: SelectModelOptions): string {
  return selectModel(requirement, catalog, statistics, options).model;
}

function selectionError(run: () => unknown): ModelSelectionError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ModelSelectionError);
    return error as ModelSelectionError;
  }
  throw new Error('expected a ModelSelectionError');
}

/** Statistics as if each model had had `calls` outcomes. */
function statisticsFrom(calls: Record<string, CallOutcome[]>): SelectionStatistics {
  const statistics = emptySelectionStatistics();
  for (const [modelId, outcomes] of Object.entries(calls)) for (const outcome of outcomes) recordOutcome(statistics, modelId, outcome);
  return statistics;
}

function repeat(outcome: CallOutcome, times: number): CallOutcome[] {
  return Array.from({ length: times }, () => outcome);
}

describe('filtering', () => {
  it('keeps only models that do every task asked for', () => {
    for (const policy of ['ucb', 'cost_optimized', 'performance_optimized'] as const) {
      expect(choose({ tasks: ['code_review'], policy })).toBe('anthropic:big');
      expect(choose({ tasks: ['general', 'summarization'], policy })).toBe('local:tiny');
    }
  });

  it('keeps only models with the context window asked for, or room for the prompt', () => {
    expect(choose({ context_window: 100_000, policy: 'cost_optimized' })).toBe('google:wide');
    expect(choose({ tasks: ['general'], policy: 'cost_optimized' })).toMatch(/^local:/);
    // 14,000 characters ~ 3,500 tokens: with 512 of answer that still fits tiny's 4,096; 16,000 characters do not.
    expect(estimateTokens('x'.repeat(14_000))).toBe(3500);
    expect(choose({ tasks: ['summarization'] }, undefined, { prompt: 'x'.repeat(14_000) })).toBe('local:tiny');
    const error = selectionError(() => selectModel({ tasks: ['summarization'] }, catalog, undefined, { prompt: 'x'.repeat(16_000) }));
    expect(error.message).toContain('for a ~4,000-token prompt: no model in the catalog meets it.');
    expect(error.message).toContain('local:tiny: context window 4,096 cannot hold the ~4,000-token prompt plus 512 tokens of answer');
    // Less room kept for the answer makes it fit again.
    expect(choose({ tasks: ['summarization'] }, undefined, { promptTokens: 4000, expectedOutputTokens: 96 })).toBe('local:tiny');
    expect(choose({ tasks: ['general'], policy: 'performance_optimized' }, undefined, { promptTokens: 7600 })).toBe('google:wide');
  });

  it('keeps only models with structured output or function calling when asked', () => {
    expect(choose({ tasks: ['reasoning'], policy: 'performance_optimized' })).toBe('google:wide');
    expect(choose({ tasks: ['reasoning'], structured_output: true, policy: 'performance_optimized' })).toBe('anthropic:big');
    expect(choose({ context_window: 100_000, structured_output: true, policy: 'cost_optimized' })).toBe('anthropic:big');
    expect(choose({ function_calling: true, policy: 'cost_optimized' })).toBe('openai:cheap');
    expect(choose({ structured_output: false, policy: 'cost_optimized', tasks: ['summarization'] })).toBe('local:tiny');
  });

  it('leaves out models that are not selectable or not available now', () => {
    // Only OpenAI has a key: cheap is the one cloud model left; the local models don't reason, and echo is not selectable.
    const unavailable = (entry: CatalogEntry) => missingCredential(entry, { OPENAI_API_KEY: 'key' });
    expect(choose({ tasks: ['reasoning'], policy: 'performance_optimized' }, undefined, { unavailable })).toBe('openai:cheap');
    const error = selectionError(() => choose({ tasks: ['code_review'] }, undefined, { unavailable }));
    expect(error.rejections.find((rejection) => rejection.model === 'anthropic:big')?.reasons).toEqual([
      "ANTHROPIC_API_KEY is not set in the worker's environment",
    ]);
  });

  it('says why each model was turned down when none fits', () => {
    const error = selectionError(() =>
      selectModel({ tasks: ['reasoning'], context_window: 300_000, structured_output: true, policy: 'cost_optimized' }, catalog, undefined, {
        unavailable: (entry) => (entry.provider === 'anthropic' ? "ANTHROPIC_API_KEY is not set in the worker's environment" : undefined),
      }),
    );
    expect(error.message.split('\n')).toEqual([
      'Model requirement {"tasks":["reasoning"],"context_window":300000,"structured_output":true,"policy":"cost_optimized"}: no model in the catalog meets it.',
      '  - local:tiny: does not do reasoning (its tasks: general, summarization); context window 4,096 < 300,000 required',
      '  - local:mini: does not do reasoning (its tasks: general); context window 8,192 < 300,000 required; no structured output',
      '  - openai:cheap: context window 16,000 < 300,000 required',
      '  - google:wide: no structured output',
      "  - anthropic:big: context window 200,000 < 300,000 required; ANTHROPIC_API_KEY is not set in the worker's environment",
      '  - echo: not chosen automatically (selectable: false); name it to use it; no structured output',
    ]);
    expect(error.rejections).toHaveLength(6);
    expect(error.rejections[3]).toEqual({ model: 'google:wide', reasons: ['no structured output'] });
  });

  it('rejects a malformed requirement and an empty catalog clearly', () => {
    expect(() => selectModel({ tasks: 'reasoning' } as unknown as ModelRequirement, catalog, undefined)).toThrow(
      /^Invalid model requirement \{"tasks":"reasoning"\}: tasks: Invalid input: expected array/,
    );
    expect(() => selectModel({ policy: 'fastest' } as unknown as ModelRequirement, catalog, undefined)).toThrow(/policy: Invalid option/);
    expect(() => selectModel({ temperature: 1 } as unknown as ModelRequirement, catalog, undefined)).toThrow(/Unrecognized key: "temperature"/);
    expect(() => selectModel({}, createModelCatalog({}), undefined)).toThrow('Model requirement {}: the model catalog is empty.');
  });

  it('works on the shipped catalog', () => {
    const shipped = loadModelCatalog({ userFile: null });
    expect(selectModel({ tasks: ['summarization'], structured_output: true, policy: 'cost_optimized' }, shipped, undefined).model).toBe('local:smollm2-135m');
    expect(selectModel({ tasks: ['reasoning'], context_window: 8000, structured_output: true, policy: 'cost_optimized' }, shipped, undefined).model).toBe(
      'google:gemini-1.5-pro',
    );
    expect(selectModel({ tasks: ['summarization'], policy: 'cost_optimized' }, shipped, undefined, { promptTokens: 20_000 }).model).toBe('google:gemini-1.5-flash');
  });
});

describe('cost_optimized', () => {
  it('picks the cheapest model for this prompt at list price', () => {
    const small = selectModel({ tasks: ['reasoning'], policy: 'cost_optimized' }, catalog, undefined, { promptTokens: 100 });
    // cheap: 0.1 * 0.001 + 0.512 * 0.001 = $0.000612; wide: 0.1 * 0.0001 + 0.512 * 0.003 = $0.001546.
    expect(small.model).toBe('openai:cheap');
    expect(small.reason).toBe('cost_optimized: openai:cheap is the cheapest, ~$0.00061 for this call at list price; 3 models fit');
    // A long prompt makes cheap input matter more: wide $0.002536 against cheap $0.010512.
    expect(choose({ tasks: ['reasoning'], policy: 'cost_optimized' }, undefined, { promptTokens: 10_000 })).toBe('google:wide');
    // Few expected answer tokens tip it back.
    expect(choose({ tasks: ['reasoning'], policy: 'cost_optimized' }, undefined, { promptTokens: 100, expectedOutputTokens: 10 })).toBe('google:wide');
  });

  it('breaks a price tie by observed performance, then by context window', () => {
    expect(choose({ tasks: ['general'], policy: 'cost_optimized' })).toBe('local:mini');
    const statistics = statisticsFrom({ 'local:tiny': repeat({ success: true, latencyMs: 500, costUsd: 0 }, 3) });
    expect(choose({ tasks: ['general'], policy: 'cost_optimized' }, statistics)).toBe('local:tiny');
  });
});

describe('performance_optimized', () => {
  const fast = { success: true, latencyMs: 1000, costUsd: 0.01 };
  const slow = { success: true, latencyMs: 2000, costUsd: 0.001 };
  const failed = { success: false, latencyMs: 500, costUsd: 0.001 };

  it('with nothing observed, takes the largest context window', () => {
    const selection = selectModel({ tasks: ['reasoning'], policy: 'performance_optimized' }, catalog, undefined);
    expect(selection.model).toBe('google:wide');
    expect(selection.reason).toBe('performance_optimized: google:wide performs best (no calls observed yet; context window 1,000,000); 3 models fit');
  });

  it('prefers the best observed success rate, then the lower latency', () => {
    const statistics = statisticsFrom({
      'openai:cheap': [...repeat(slow, 9), failed],
      'anthropic:big': [...repeat(fast, 9), failed],
      'google:wide': [...repeat(fast, 3), ...repeat(failed, 7)],
    });
    const selection = selectModel({ tasks: ['reasoning'], policy: 'performance_optimized' }, catalog, statistics);
    expect(selection.model).toBe('anthropic:big');
    expect(selection.reason).toBe('performance_optimized: anthropic:big performs best (90% success over 10 calls, mean latency 950 ms); 3 models fit');
    recordOutcome(statistics, 'anthropic:big', failed);
    expect(choose({ tasks: ['reasoning'], policy: 'performance_optimized' }, statistics)).toBe('openai:cheap');
  });

  it('smooths rates so one lucky call does not beat a long record', () => {
    const statistics = statisticsFrom({ 'openai:cheap': [fast], 'anthropic:big': [...repeat(fast, 19), failed] });
    // (1 + 1) / (1 + 2) = 0.67 against (19 + 1) / (20 + 2) = 0.91; unseen wide is 0.5.
    expect(choose({ tasks: ['reasoning'], policy: 'performance_optimized' }, statistics)).toBe('anthropic:big');
  });
});

describe('ucb', () => {
  // What each model does when called, in this made-up world: cheap is best, big is good but slow and dear, wide fails.
  const behaviour: Record<string, CallOutcome> = {
    'openai:cheap': { success: true, latencyMs: 800, costUsd: 0.0005 },
    'anthropic:big': { success: true, latencyMs: 6000, costUsd: 0.02 },
    'google:wide': { success: false, latencyMs: 3000, costUsd: 0.001 },
  };

  function run(rounds: number): string[] {
    const statistics = emptySelectionStatistics();
    const chosen: string[] = [];
    for (let round = 0; round < rounds; round++) {
      const { model } = selectModel({ tasks: ['reasoning'] }, catalog, statistics);
      chosen.push(model);
      recordOutcome(statistics, model, behaviour[model]!);
    }
    return chosen;
  }

  it('is the default policy and tries every unseen model first, cheapest first', () => {
    const first = selectModel({ tasks: ['reasoning'] }, catalog, emptySelectionStatistics());
    expect(first.reason).toBe('ucb: openai:cheap has not been tried yet (3 untried; cheapest first); 3 models fit');
    expect(run(3)).toEqual(['openai:cheap', 'google:wide', 'anthropic:big']);
  });

  it('then prefers the model with the better outcomes, still exploring now and then', () => {
    const chosen = run(60);
    expect(chosen[3]).toBe('openai:cheap');
    const count = (model: string) => chosen.filter((one) => one === model).length;
    expect(count('openai:cheap')).toBeGreaterThan(count('anthropic:big'));
    expect(count('anthropic:big')).toBeGreaterThan(count('google:wide'));
    expect(count('google:wide')).toBeGreaterThan(1);
    // The last rounds mostly go to the best model.
    expect(chosen.slice(-20).filter((one) => one === 'openai:cheap').length).toBeGreaterThanOrEqual(12);
  });

  it('is deterministic', () => {
    expect(run(40)).toEqual(run(40));
  });

  it('explains its choice with the score', () => {
    const statistics = statisticsFrom({
      'openai:cheap': [behaviour['openai:cheap']!],
      'anthropic:big': [behaviour['anthropic:big']!],
      'google:wide': [behaviour['google:wide']!],
    });
    const selection = selectModel({ tasks: ['reasoning'] }, catalog, statistics);
    expect(selection.model).toBe('openai:cheap');
    // reward = 0.6 + 0.2 / (1 + 0.08) + 0.2 / (1 + 0.05) = 0.9757; bonus = sqrt(2) * sqrt(ln 4 / 1) = 1.6651.
    expect(selection.reason).toBe(
      'ucb: openai:cheap has the highest upper confidence bound, 2.641 = mean reward 0.976 over 1 call + exploration 1.665; 3 models fit',
    );
    // Without exploration the mean reward alone decides; with one call each the bonus is the same for all.
    expect(selectModel({ tasks: ['reasoning'] }, catalog, statistics, { explorationFactor: 0 }).reason).toMatch(/^ucb: openai:cheap .* \+ exploration 0\.000;/);
  });
});

describe('recordOutcome', () => {
  it('adds a call and its reward: 0 for a failure, 0.6 to 1 for a success', () => {
    expect(rewardOf({ success: true, latencyMs: 0, costUsd: 0 })).toBe(1);
    expect(rewardOf({ success: true, latencyMs: 10_000, costUsd: 0.01 })).toBeCloseTo(0.8, 10);
    expect(rewardOf({ success: false, latencyMs: 0, costUsd: 0 })).toBe(0);

    const statistics = emptySelectionStatistics();
    recordOutcome(statistics, 'openai:cheap', { success: true, latencyMs: 10_000, costUsd: 0.01 }, new Date('2025-01-02T03:04:05Z'));
    const updated = recordOutcome(statistics, 'openai:cheap', { success: false, latencyMs: 500, costUsd: 0.002 }, new Date('2025-01-02T03:04:06Z'));
    expect(updated).toEqual({
      attempts: 2,
      successes: 1,
      totalReward: expect.closeTo(0.8, 10) as number,
      totalLatencyMs: 10_500,
      totalCostUsd: expect.closeTo(0.012, 10) as number,
      lastUsedAt: '2025-01-02T03:04:06.000Z',
    });
    expect(statistics.models['openai:cheap']).toBe(updated);
  });
});

describe('persisted statistics', () => {
  let dataDirectory: string;
  let previousDataDirectory: string | undefined;
  let stderr: jest.SpyInstance;

  beforeEach(() => {
    previousDataDirectory = process.env.ORC_DATA_DIR;
    dataDirectory = fs.mkdtempSync(path.join(os.tmpdir(), 'orc-model-stats-'));
    process.env.ORC_DATA_DIR = dataDirectory;
    stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  });

  afterEach(() => {
    stderr.mockRestore();
    if (previousDataDirectory === undefined) delete process.env.ORC_DATA_DIR;
    else process.env.ORC_DATA_DIR = previousDataDirectory;
    fs.rmSync(dataDirectory, { recursive: true, force: true });
  });

  it('live in model-stats.json under the data directory and survive a reload', () => {
    expect(selectionStatsFile()).toBe(path.join(dataDirectory, 'model-stats.json'));
    expect(loadSelectionStats()).toEqual({ version: 1, models: {} });

    // Three calls recorded one at a time, as activities would, each read-modify-write.
    for (const model of ['openai:cheap', 'google:wide', 'anthropic:big']) {
      updateSelectionStats((statistics) => {
        recordOutcome(statistics, model, { success: model !== 'google:wide', latencyMs: 1000, costUsd: 0.001 });
      });
    }
    updateSelectionStats((statistics) => {
      recordOutcome(statistics, 'openai:cheap', { success: true, latencyMs: 1000, costUsd: 0.001 });
    });

    const reloaded = loadSelectionStats();
    expect(reloaded.models['openai:cheap']).toMatchObject({ attempts: 2, successes: 2, totalLatencyMs: 2000 });
    expect(reloaded.models['google:wide']).toMatchObject({ attempts: 1, successes: 0, totalReward: 0 });
    expect(JSON.parse(fs.readFileSync(selectionStatsFile(), 'utf8'))).toEqual(reloaded);
    // Written through a temporary file that was renamed into place: none is left behind.
    expect(fs.readdirSync(dataDirectory)).toEqual(['model-stats.json']);

    // Every model seen (no "untried first" any more): UCB goes to the successful model tried least, not the failed one.
    const selection = selectModel({ tasks: ['reasoning'] }, catalog, reloaded);
    expect(selection.model).toBe('anthropic:big');
    expect(selection.reason).toMatch(/^ucb: anthropic:big has the highest upper confidence bound/);
    expect(stderr).not.toHaveBeenCalled();
  });

  it('start fresh from a corrupt file, saying so once, and keep the corrupt file aside', () => {
    const file = selectionStatsFile();
    fs.writeFileSync(file, '{"version": 1, "models": {"openai:cheap": {"attempts": ');
    expect(loadSelectionStats()).toEqual(emptySelectionStatistics());
    expect(loadSelectionStats()).toEqual(emptySelectionStatistics());
    expect(stderr).toHaveBeenCalledTimes(1);
    expect(String(stderr.mock.calls[0]?.[0])).toMatch(
      new RegExp(`^orchestrator: model selection statistics in ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} are unreadable \\(not JSON: .*\\); starting fresh`),
    );

    updateSelectionStats((statistics) => {
      recordOutcome(statistics, 'openai:cheap', { success: true, latencyMs: 100, costUsd: 0 });
    });
    expect(stderr).toHaveBeenCalledTimes(1);
    expect(loadSelectionStats().models['openai:cheap']?.attempts).toBe(1);
    expect(fs.readFileSync(`${file}.corrupt`, 'utf8')).toBe('{"version": 1, "models": {"openai:cheap": {"attempts": ');
  });

  it('treat a file of the wrong shape as corrupt too', () => {
    const file = path.join(dataDirectory, 'other-stats.json');
    fs.writeFileSync(file, JSON.stringify({ version: 1, models: { 'openai:cheap': { attempts: -1 } } }));
    expect(loadSelectionStats(file)).toEqual(emptySelectionStatistics());
    expect(stderr).toHaveBeenCalledTimes(1);
    expect(String(stderr.mock.calls[0]?.[0])).toContain('(models.openai:cheap.attempts: Too small');
  });

  it('merge statistics gathered elsewhere model by model', () => {
    const here = statisticsFrom({ 'openai:cheap': [{ success: true, latencyMs: 100, costUsd: 0.001 }] });
    const there = statisticsFrom({
      'openai:cheap': [{ success: false, latencyMs: 300, costUsd: 0.002 }],
      'google:wide': [{ success: true, latencyMs: 50, costUsd: 0 }],
    });
    saveSelectionStats(mergeSelectionStats(here, there));
    const merged = loadSelectionStats();
    expect(merged.models['openai:cheap']).toMatchObject({ attempts: 2, successes: 1, totalLatencyMs: 400 });
    expect(merged.models['google:wide']).toMatchObject({ attempts: 1, successes: 1 });
  });
});
