// The run store: values kept outside Temporal history (content-addressed, compressed) and the step result cache.
import { dataDirectory } from '../base/paths';
import { readSettings } from '../base/settings';
import { FileRunStore } from './file-run-store';

/** `sha256:<64 hex>` of the uncompressed bytes. */
export type ValueKey = string;

export interface CacheEntry {
  /** The cache key (`sha256:…` of what decides the answer). */
  key: string;
  /** The cached output, stored as a value. */
  valueKey: ValueKey;
  /** ISO time the entry was written. */
  storedAt: string;
  /** ISO time after which the entry is not used. */
  expiresAt: string;
}

/**
 * A durable key-value entry (the memory tools' namespaces): `orc cache clear` and `orc gc` leave it. An entry past
 * `expiresAt` reads as absent; a deleted key keeps an expired entry (a tombstone).
 */
export interface MemoryEntry {
  /** Any JSON value. */
  value: unknown;
  /** ISO time after which the entry is absent; null: kept until deleted. */
  expiresAt: string | null;
}

export interface GcOutcome {
  values: number;
  cacheEntries: number;
  bytes: number;
}

/**
 * Every backend behaves the same: `put` is idempotent (same bytes, same key), values are compressed at rest, and
 * every read or write of a value or entry marks it used now (what `gc` goes by).
 */
export interface RunStore {
  /** Where the store is, for messages (`/path/.orc/store`, `postgres://host:port/db`, never a password). */
  readonly location: string;
  putValue(bytes: Uint8Array): Promise<ValueKey>;
  /** null when no value has that key (deleted by gc, or another store). */
  getValue(key: ValueKey): Promise<Uint8Array | null>;
  /** A live (unexpired) entry, or null. */
  getCacheEntry(key: string, now: Date): Promise<CacheEntry | null>;
  putCacheEntry(entry: CacheEntry): Promise<void>;
  /** The memory entry under `key` (any text), expired or not; null when none was ever written. */
  getMemory(key: string): Promise<MemoryEntry | null>;
  putMemory(key: string, entry: MemoryEntry): Promise<void>;
  /** Deletes every cache entry; returns how many there were. */
  clearCache(): Promise<number>;
  /**
   * Deletes cache entries expired or unused since `before`, and values unused since `before` that no remaining
   * entry points to and that are not in `keep` (values referenced by runs still open).
   */
  collectGarbage(before: Date, keep: ReadonlySet<ValueKey>): Promise<GcOutcome>;
  close(): Promise<void>;
}

/** Where runs keep their values: `ORC_STORE_URL` (`postgres://…`, `s3://bucket/prefix`, `file:///dir`, or a path), else `<data dir>/store`. */
export function openRunStore(url: string | undefined, dataDirectory: string): RunStore {
  if (url === undefined || url === '') return new FileRunStore(`${dataDirectory}/store`);
  if (/^postgres(ql)?:\/\//.test(url)) {
    // Loaded on demand: a worker on the folder store never loads the pg driver.
    const { PostgresRunStore } = require('./postgres-run-store') as typeof import('./postgres-run-store');
    return new PostgresRunStore(url);
  }
  if (url.startsWith('s3://')) {
    // Loaded on demand, like the pg driver: the AWS SDK is large.
    const { S3RunStore } = require('./s3-run-store') as typeof import('./s3-run-store');
    return new S3RunStore(url);
  }
  if (url.startsWith('file://')) return new FileRunStore(new URL(url).pathname);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) throw new Error(`ORC_STORE_URL=${url}: the run store takes postgres://…, s3://BUCKET/PREFIX or a folder (file:///dir or a path)`);
  return new FileRunStore(url);
}

/** This process's run store: ORC_STORE_URL, else `store/` in the data folder (spec section 12). */
export function openDefaultRunStore(): RunStore {
  return openRunStore(readSettings().storeUrl, dataDirectory());
}
