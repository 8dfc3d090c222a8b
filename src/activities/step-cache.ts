// The step result cache (spec section 9): a key from what decides a step's answer, and its entries in the run store.
import { createHash } from 'node:crypto';
import { Context } from '@temporalio/activity';
import type { RunStore } from '../store/run-store';
import type { CacheRecord, StepCachePolicy } from './types';
import { recordCacheLookup } from './metrics';

/** Part of every key: a change to what a key covers, or to how answers are stored, starts a new cache. */
const KEY_VERSION = 'orc-step-cache/1';

/** JSON with object keys sorted at every level, so equal requests give equal text however they were built. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) return item;
    const record = item as Record<string, unknown>;
    return Object.fromEntries(Object.keys(record).sort().map((key) => [key, record[key]]));
  });
}

/**
 * `sha256:` of the request: everything that decides the answer (the resolved model, the messages, the schema,
 * the code and its limits, the tool and its arguments) and nothing else, so another run or another pipeline that
 * sends the same request finds the same entry. A replicate index keeps replicates of one step apart.
 */
export function stepCacheKey(request: Record<string, unknown>, replicate?: number): string {
  const material = { version: KEY_VERSION, request, ...(replicate !== undefined ? { replicate } : {}) };
  return `sha256:${createHash('sha256').update(canonicalJson(material)).digest('hex')}`;
}

export interface StepCacheOptions {
  store: RunStore;
  /** Called right after an entry is written, before the activity completes (a test makes the worker die there). */
  afterWrite?: () => void;
}

export interface CachedAnswer<T> {
  value: T;
  /** Absent when the step is not cached. */
  record?: CacheRecord;
}

/** Reports a store problem without failing the step: the cache only ever saves work. */
function warn(message: string, error: unknown): void {
  const detail = { error: error instanceof Error ? error.message : String(error) };
  try {
    Context.current().log.warn(message, detail);
  } catch {
    // Outside an activity (unit tests): nobody to tell.
  }
}

export interface StepCache {
  /**
   * The answer to `request`: the cached one when `policy` allows reading and a live entry exists (then `compute`
   * is not called), else `compute()`'s, which is written to the store before this returns when `cacheable` says
   * so. Without a policy the step is not cached: `compute()` runs and no record is made.
   */
  answer<T>(
    policy: StepCachePolicy | undefined,
    request: () => Record<string, unknown>,
    compute: () => Promise<T>,
    cacheable?: (value: T) => boolean,
  ): Promise<CachedAnswer<T>>;
}

/** Activities built without a run store (unit tests): every step is computed, none recorded. */
export const noStepCache: StepCache = {
  answer: async (_policy, _request, compute) => ({ value: await compute() }),
};

/** The cache every worker on one run store shares. */
export class RunStoreStepCache implements StepCache {
  constructor(private readonly options: StepCacheOptions) {}

  async answer<T>(
    policy: StepCachePolicy | undefined,
    request: () => Record<string, unknown>,
    compute: () => Promise<T>,
    cacheable: (value: T) => boolean = () => true,
  ): Promise<CachedAnswer<T>> {
    if (!policy) return { value: await compute() };
    const key = stepCacheKey(request(), policy.replicate);
    if (policy.read) {
      const hit = await this.read<T>(key);
      recordCacheLookup(hit ? 'hit' : 'miss');
      if (hit) return hit;
    }
    const value = await compute();
    const storedAt = cacheable(value) ? await this.write(key, value, policy.ttlSeconds) : null;
    return { value, record: { hit: false, key, stored_at: storedAt } };
  }

  private async read<T>(key: string): Promise<CachedAnswer<T> | null> {
    try {
      const entry = await this.options.store.getCacheEntry(key, new Date());
      if (!entry) return null;
      // An entry whose value is gone (collected, or written by a worker that died half-way) is a miss.
      const bytes = await this.options.store.getValue(entry.valueKey);
      if (!bytes) return null;
      const value = JSON.parse(Buffer.from(bytes).toString('utf8')) as T;
      return { value, record: { hit: true, key, stored_at: entry.storedAt } };
    } catch (error) {
      warn(`step cache: could not read entry ${key} from ${this.options.store.location}; calling instead`, error);
      return null;
    }
  }

  /** When the entry was stored, or null when the store refused it (the answer is still good). */
  private async write(key: string, value: unknown, ttlSeconds: number): Promise<string | null> {
    const now = new Date();
    const storedAt = now.toISOString();
    try {
      const valueKey = await this.options.store.putValue(Buffer.from(JSON.stringify(value), 'utf8'));
      await this.options.store.putCacheEntry({ key, valueKey, storedAt, expiresAt: new Date(now.getTime() + ttlSeconds * 1000).toISOString() });
    } catch (error) {
      warn(`step cache: could not write entry ${key} to ${this.options.store.location}`, error);
      return null;
    }
    this.options.afterWrite?.();
    return storedAt;
  }
}
