// A circuit breaker per provider model, in the worker: after repeated failures calls fail fast for a while,
// so a step moves to its fallback model at once instead of waiting out retries against a dead provider.
import { readSettings, type Environment } from '../../base/settings';
import { ModelError } from '../types';
import type { ModelMiddleware } from './wrap-model';

export interface CircuitBreakerSettings {
  /** Consecutive failures that open the circuit. */
  failures: number;
  /** How long it stays open before one trial call is let through (half-open). */
  openSeconds: number;
  now?: () => number;
}

export function circuitBreakerSettingsFrom(environment: Environment): CircuitBreakerSettings {
  const settings = readSettings(environment);
  return { failures: settings.circuitFailures, openSeconds: settings.circuitOpenSeconds };
}

/** A breaker for one model (it keeps that model's count of failures). */
export function circuitBreaker(settings: CircuitBreakerSettings): ModelMiddleware {
  const now = settings.now ?? Date.now;
  let consecutiveFailures = 0;
  let openUntil = 0;
  let trialInFlight = false;
  return {
    unavailable(): string | undefined {
      if (consecutiveFailures < settings.failures || now() >= openUntil) return undefined;
      return `circuit open after ${consecutiveFailures} failures in a row (${Math.ceil((openUntil - now()) / 1000)} s more)`;
    },
    async generate(request, next, model) {
      const open = consecutiveFailures >= settings.failures;
      if (open && (now() < openUntil || trialInFlight)) {
        const seconds = Math.max(0, Math.ceil((openUntil - now()) / 1000));
        throw new ModelError(
          `circuit open for ${model.id} after ${consecutiveFailures} failures in a row; calls fail fast for ${seconds} s more (a step with fallback models moves on)`,
          { provider: model.provider, model: model.id.slice(model.provider.length + 1), isRetryable: false },
        );
      }
      if (open) trialInFlight = true; // half-open: this one call decides
      try {
        const response = await next(request);
        consecutiveFailures = 0;
        return response;
      } catch (error) {
        // A cancelled call says nothing about the provider.
        if (!request.signal?.aborted) {
          consecutiveFailures++;
          if (consecutiveFailures >= settings.failures) openUntil = now() + settings.openSeconds * 1000;
        }
        throw error;
      } finally {
        trialInFlight = false;
      }
    },
  };
}
