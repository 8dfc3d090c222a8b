// A provider's tokens-per-minute limit inside one worker: calls wait for room in a token bucket before they go out.
import { totalTokens } from '../../base/run-types';
import { defaultExpectedOutputTokens, estimateTokens } from '../selection';
import type { GenerateRequest } from '../types';
import type { ModelMiddleware } from './wrap-model';

/** What a request will probably use, counted as providers count it for their limits: prompt plus the most it may answer. */
export function estimateRequestTokens(request: Pick<GenerateRequest, 'messages' | 'maxTokens'>): { input: number; total: number } {
  const input = request.messages.reduce((sum, message) => sum + estimateTokens(message.content), 0);
  return { input, total: input + (request.maxTokens ?? defaultExpectedOutputTokens) };
}

function sleep(milliseconds: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason instanceof Error ? signal.reason : new Error('the request was aborted'));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason instanceof Error ? signal.reason : new Error('the request was aborted'));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, milliseconds);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * A token bucket that holds a minute's worth of tokens and refills continuously. Callers are served in the order
 * they asked, so a large request is not starved by a stream of small ones. A request larger than a minute's
 * budget waits for a full bucket and then goes (it could never fit otherwise).
 */
export class TokenRateLimiter {
  private available: number;
  private updatedAt: number;
  private tail: Promise<void> = Promise.resolve();

  constructor(
    readonly tokensPerMinute: number,
    private readonly now: () => number = Date.now,
  ) {
    this.available = tokensPerMinute;
    this.updatedAt = now();
  }

  /** Tokens that could be spent right now without waiting. */
  get availableTokens(): number {
    this.refill();
    return this.available;
  }

  /** Waits (in turn) until `tokens` fit, then takes them and says how many it took; rejects if `signal` aborts while waiting. */
  acquire(tokens: number, signal?: AbortSignal): Promise<number> {
    const cost = Math.min(Math.max(0, tokens), this.tokensPerMinute);
    const turn = this.tail.then(() => this.waitFor(cost, signal)).then(() => cost);
    this.tail = turn.then(
      () => undefined,
      () => undefined,
    );
    return turn;
  }

  /** After the call: charges what it really used beyond the estimate taken, or gives back what it did not use. */
  settle(taken: number, used: number): void {
    this.refill();
    this.available = Math.min(this.tokensPerMinute, this.available + taken - used);
  }

  private refill(): void {
    const now = this.now();
    this.available = Math.min(this.tokensPerMinute, this.available + ((now - this.updatedAt) * this.tokensPerMinute) / 60_000);
    this.updatedAt = now;
  }

  private async waitFor(cost: number, signal: AbortSignal | undefined): Promise<void> {
    for (;;) {
      this.refill();
      if (this.available >= cost) {
        this.available -= cost;
        return;
      }
      await sleep(Math.max(10, Math.ceil(((cost - this.available) * 60_000) / this.tokensPerMinute)), signal);
    }
  }
}

/** Each call first waits for room under `limiter` and is then charged what it used. */
export function tokenLimit(limiter: TokenRateLimiter): ModelMiddleware {
  return {
    async generate(request, next) {
      const estimate = estimateRequestTokens(request);
      const taken = await limiter.acquire(estimate.total, request.signal);
      try {
        const response = await next(request);
        limiter.settle(taken, totalTokens(response.usage));
        return response;
      } catch (error) {
        // The prompt was probably counted by the provider; the answer never came.
        limiter.settle(taken, Math.min(taken, estimate.input));
        throw error;
      }
    },
  };
}
