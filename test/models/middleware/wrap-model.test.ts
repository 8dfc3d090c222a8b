// wrapModel: every layer (cost, circuit breaker, token limit, metrics) passes through it, so none drops a field.
import { createModelCatalog } from '../../../src/models/catalog';
import { circuitBreaker } from '../../../src/models/middleware/circuit-breaker';
import { costFromCatalog } from '../../../src/models/middleware/cost';
import { TokenRateLimiter, tokenLimit } from '../../../src/models/middleware/token-limit';
import { wrapModel, wrapResolver } from '../../../src/models/middleware/wrap-model';
import type { ModelResolver } from '../../../src/models/registry';
import { modelMetrics } from '../../../src/activities/metrics';
import { ScriptedModel } from '../../helpers/scripted-model';

const request = { messages: [{ role: 'user' as const, content: 'hi' }] };

test('a model whose circuit is open still says so after the token limit and the metrics are put around it', async () => {
  const inner = new ScriptedModel(() => ({ fail: { message: 'HTTP 503', retryable: true } }));
  const guarded = wrapModel(inner, [circuitBreaker({ failures: 1, openSeconds: 60, now: () => 0 })]);
  const models: ModelResolver = { resolve: () => guarded, unavailable: (id) => (id === guarded.id ? guarded.unavailable?.() : undefined) };
  const limited = wrapResolver(wrapResolver(models, () => [tokenLimit(new TokenRateLimiter(10_000))]), () => [modelMetrics]);
  const model = limited.resolve('fake:scripted');
  await expect(model.generate(request)).rejects.toThrow('HTTP 503');
  expect(model.unavailable?.()).toBe('circuit open after 1 failures in a row (60 s more)');
  expect(limited.unavailable?.('fake:scripted')).toBe('circuit open after 1 failures in a row (60 s more)');
  await expect(model.generate(request)).rejects.toThrow(/circuit open for fake:scripted/);
  expect(inner.calls).toHaveLength(1);
});

test('cost from the catalog comes through the layers under it; the first layer is the outermost', async () => {
  const catalog = createModelCatalog({
    scripted: { provider: 'openai', model: 'scripted', capabilities: { tasks: ['general'], context_window: 16_000 }, pricing: { input_per_1k: 1, output_per_1k: 2 } },
  });
  const seen: string[] = [];
  const inner = Object.assign(new ScriptedModel(), { id: 'openai:scripted', provider: 'openai' });
  const model = wrapModel(inner, [
    { generate: async (call, next) => (seen.push('outer'), next(call)) },
    costFromCatalog(catalog),
    { generate: async (call, next) => (seen.push('inner'), next(call)) },
  ]);
  const response = await model.generate(request);
  expect(seen).toEqual(['outer', 'inner']);
  // 10 input and 5 output tokens at 1 and 2 USD per 1,000.
  expect(response.usage).toEqual({ input_tokens: 10, output_tokens: 5, cost_usd: 0.02 });
  expect({ id: model.id, provider: model.provider, unavailable: model.unavailable?.() }).toEqual({ id: 'openai:scripted', provider: 'openai', unavailable: undefined });
});
