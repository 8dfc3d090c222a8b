// Provider rate limits: their place in models.yaml, the per-worker tokens-per-minute bucket, and the task queue
// options a worker polls each rate-limited provider's queue with.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadModelCatalog, ModelCatalogError, parseModelCatalog, createModelCatalog } from '../../../src/models/catalog';
import { estimateRequestTokens, TokenRateLimiter, tokenLimit } from '../../../src/models/middleware/token-limit';
import { wrapResolver } from '../../../src/models/middleware/wrap-model';
import type { GenerateRequest } from '../../../src/models/types';
import { providerQueues } from '../../../src/worker/provider-queues';
import { resolverFor, ScriptedModel } from '../../helpers/scripted-model';

describe('providers in models.yaml', () => {
  let directory: string;
  beforeEach(() => (directory = fs.mkdtempSync(path.join(os.tmpdir(), 'orc-providers-'))));
  afterEach(() => fs.rmSync(directory, { recursive: true, force: true }));

  test('the shipped file sets no limits; a user file with only providers adds them, replacing a provider as a whole', () => {
    expect(loadModelCatalog({ userFile: null }).providers).toEqual({});
    const file = path.join(directory, 'models.yaml');
    fs.writeFileSync(file, 'providers:\n  openai:\n    rate_limits: { requests_per_minute: 500, tokens_per_minute: 200000, concurrent_requests: 8 }\n  local:\n');
    const catalog = loadModelCatalog({ userFile: file });
    expect(catalog.providers).toEqual({
      openai: { rate_limits: { requests_per_minute: 500, tokens_per_minute: 200000, concurrent_requests: 8 } },
      local: {},
    });
    // The shipped models are still there.
    expect(catalog.lookup('gpt-4o-mini')?.id).toBe('openai:gpt-4o-mini');
  });

  test('a misspelt limit or an unknown provider is reported with its line', () => {
    const problems = (text: string): string => {
      try {
        parseModelCatalog(text, 'user.yaml');
      } catch (error) {
        if (error instanceof ModelCatalogError) return error.message;
        throw error;
      }
      return 'no problem';
    };
    expect(problems('providers:\n  openai:\n    rate_limits: { requests_per_second: 5 }\n')).toMatch(
      /^user\.yaml:3:20: providers\.openai\.rate_limits: unknown key "requests_per_second"/,
    );
    expect(problems('providers:\n  mistral:\n    rate_limits: { requests_per_minute: 5 }\n')).toMatch(/^user\.yaml:\d+:\d+: .*mistral/);
    expect(problems('providers:\n  openai:\n    rate_limits: { concurrent_requests: 0 }\n')).toMatch(/providers\.openai\.rate_limits\.concurrent_requests/);
  });
});

describe('TokenRateLimiter', () => {
  beforeEach(() => jest.useFakeTimers({ now: 0 }));
  afterEach(() => jest.useRealTimers());

  test('a minute of tokens goes at once; more waits for the bucket to refill, in the order asked', async () => {
    const limiter = new TokenRateLimiter(600); // 10 tokens a second
    await limiter.acquire(600);
    const done: string[] = [];
    const first = limiter.acquire(50).then(() => done.push('first'));
    const second = limiter.acquire(10).then(() => done.push('second'));
    await jest.advanceTimersByTimeAsync(4_900);
    expect(done).toEqual([]);
    await jest.advanceTimersByTimeAsync(200);
    expect(done).toEqual(['first']);
    await jest.advanceTimersByTimeAsync(1_000);
    await Promise.all([first, second]);
    expect(done).toEqual(['first', 'second']);
  });

  test('settling charges what a call used beyond its estimate, and gives back what it did not use', async () => {
    const limiter = new TokenRateLimiter(1_000);
    const taken = await limiter.acquire(400);
    expect(taken).toBe(400);
    limiter.settle(taken, 100);
    expect(limiter.availableTokens).toBeCloseTo(900);
    limiter.settle(0, 1_500);
    expect(limiter.availableTokens).toBeCloseTo(-600);
  });

  test('a request larger than a minute of tokens waits for a full bucket instead of forever', async () => {
    const limiter = new TokenRateLimiter(100);
    expect(await limiter.acquire(5_000)).toBe(100);
  });

  test('an aborted wait rejects and lets the next caller through', async () => {
    const limiter = new TokenRateLimiter(60);
    await limiter.acquire(60);
    const controller = new AbortController();
    const abandoned = limiter.acquire(30, controller.signal);
    const next = limiter.acquire(1);
    controller.abort(new Error('cancelled'));
    await expect(abandoned).rejects.toThrow('cancelled');
    await jest.advanceTimersByTimeAsync(1_100);
    await expect(next).resolves.toBe(1);
  });
});

describe('tokenLimit', () => {
  test('each call waits for its estimate (prompt plus max tokens), then is charged what the model reports', async () => {
    const model = new ScriptedModel();
    const limiter = new TokenRateLimiter(10_000);
    const limited = wrapResolver(resolverFor(model), () => [tokenLimit(limiter)]).resolve('fake:scripted');
    const request: GenerateRequest = { messages: [{ role: 'user', content: 'x'.repeat(400) }], maxTokens: 100 };
    expect(estimateRequestTokens(request)).toEqual({ input: 100, total: 200 });
    await limited.generate(request);
    // The scripted model reports 10 + 5 tokens: charged 15, not the 200 estimated. The bucket refills as real
    // time passes (10,000 a minute), so a loaded machine sees a little more, up to the bucket's size; the
    // estimate charged would leave at most 9,800 plus a second's refill.
    expect(limiter.availableTokens).toBeGreaterThanOrEqual(10_000 - 15 - 0.5);
    expect(limiter.availableTokens).toBeLessThanOrEqual(10_000);
    expect(model.calls).toHaveLength(1);
  });
});

describe('providerQueues', () => {
  test('one queue per rate-limited provider: server-side requests per second, per-worker concurrency', () => {
    const catalog = createModelCatalog({}, 'inline', {
      openai: { rate_limits: { requests_per_minute: 90, concurrent_requests: 4 } },
      anthropic: { rate_limits: { tokens_per_minute: 40_000 } },
      google: {},
    });
    const queues = providerQueues({ taskQueue: 'runs', catalog, models: resolverFor(new ScriptedModel()) });
    expect(queues.map(({ activities, ...options }) => ({ ...options, activities: Object.keys(activities ?? {}).sort() }))).toEqual([
      {
        taskQueue: 'runs.provider.openai',
        maxTaskQueueActivitiesPerSecond: 1.5,
        maxConcurrentActivityTaskExecutions: 4,
        activities: ['executeLlmStep', 'resolveAutoTags'],
      },
      { taskQueue: 'runs.provider.anthropic', maxConcurrentActivityTaskExecutions: 20, activities: ['executeLlmStep', 'resolveAutoTags'] },
    ]);
  });
});
