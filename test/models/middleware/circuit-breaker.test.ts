// The per-model circuit breaker: opens after N failures in a row, fails fast, half-opens after T, closes on success.
import { circuitBreaker } from '../../../src/models/middleware/circuit-breaker';
import { wrapModel } from '../../../src/models/middleware/wrap-model';
import { ModelError, type GenerateResponse, type LanguageModel } from '../../../src/models/types';

function flakyModel(outcomes: boolean[]): LanguageModel & { calls: number } {
  const model = {
    id: 'acme:m1',
    provider: 'acme',
    calls: 0,
    async generate(): Promise<GenerateResponse> {
      const ok = outcomes[model.calls++] ?? true;
      if (!ok) throw new ModelError('acme:m1 failed on the provider side (HTTP 503)', { provider: 'acme', model: 'm1', isRetryable: true, status: 503 });
      return { text: 'fine', usage: { input_tokens: 1, output_tokens: 1, cost_usd: 0 } };
    },
  };
  return model;
}

test('after 3 failures in a row calls fail fast (non-retryable), then one trial call after 30 s closes it again', async () => {
  let clock = 0;
  const inner = flakyModel([false, false, false, true]);
  const model = wrapModel(inner, [circuitBreaker({ failures: 3, openSeconds: 30, now: () => clock })]);
  const request = { messages: [{ role: 'user' as const, content: 'hi' }] };
  for (let attempt = 0; attempt < 3; attempt++) await expect(model.generate(request)).rejects.toThrow('HTTP 503');
  expect(inner.calls).toBe(3);

  const fastFailure = model.generate(request);
  await expect(fastFailure).rejects.toThrow(/circuit open for acme:m1 after 3 failures in a row; calls fail fast for 30 s more/);
  await expect(fastFailure).rejects.toMatchObject({ isRetryable: false });
  expect(inner.calls).toBe(3);

  // Selection asks the same question before it picks a model.
  expect(model.unavailable?.()).toBe('circuit open after 3 failures in a row (30 s more)');

  clock = 31_000;
  expect(model.unavailable?.()).toBeUndefined();
  await expect(model.generate(request)).resolves.toMatchObject({ text: 'fine' });
  expect(inner.calls).toBe(4);
  await expect(model.generate(request)).resolves.toMatchObject({ text: 'fine' });
});

test('a failed trial call opens the circuit again for another period', async () => {
  let clock = 0;
  const inner = flakyModel([false, false, false]);
  const model = wrapModel(inner, [circuitBreaker({ failures: 2, openSeconds: 10, now: () => clock })]);
  const request = { messages: [{ role: 'user' as const, content: 'hi' }] };
  await expect(model.generate(request)).rejects.toThrow('HTTP 503');
  await expect(model.generate(request)).rejects.toThrow('HTTP 503');
  clock = 11_000;
  await expect(model.generate(request)).rejects.toThrow('HTTP 503');
  await expect(model.generate(request)).rejects.toThrow(/circuit open/);
  expect(inner.calls).toBe(3);
});
