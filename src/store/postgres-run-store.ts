// The cluster backend of the run store (ORC_STORE_URL=postgres://…): every worker and client shares it.
import type { CacheEntry, GcOutcome, RunStore, ValueKey } from './run-store';

export class PostgresRunStore implements RunStore {
  readonly location: string;
  constructor(url: string) {
    const parsed = new URL(url);
    parsed.password = '';
    this.location = parsed.toString();
  }
  putValue(_bytes: Uint8Array): Promise<ValueKey> {
    throw new Error('TODO: implement PostgresRunStore.putValue');
  }
  getValue(_key: ValueKey): Promise<Uint8Array | null> {
    throw new Error('TODO: implement PostgresRunStore.getValue');
  }
  getCacheEntry(_key: string, _now: Date): Promise<CacheEntry | null> {
    throw new Error('TODO: implement PostgresRunStore.getCacheEntry');
  }
  putCacheEntry(_entry: CacheEntry): Promise<void> {
    throw new Error('TODO: implement PostgresRunStore.putCacheEntry');
  }
  clearCache(): Promise<number> {
    throw new Error('TODO: implement PostgresRunStore.clearCache');
  }
  collectGarbage(_before: Date, _keep: ReadonlySet<ValueKey>): Promise<GcOutcome> {
    throw new Error('TODO: implement PostgresRunStore.collectGarbage');
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}
