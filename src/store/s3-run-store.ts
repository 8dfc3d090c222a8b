// The object-store backend of the run store (ORC_STORE_URL=s3://BUCKET/PREFIX, spec section 17): any S3-compatible
// server, configured the AWS SDK's usual way (AWS_ENDPOINT_URL, AWS_REGION, credentials from the environment or the
// instance). Values are gzipped objects under `values/`, cache entries JSON under `cache/`. S3 keeps no access
// time, so "used now" is an empty marker object under `used/` whose LastModified is the last use.
import { gunzipSync, gzipSync } from 'node:zlib';
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  type _Object,
} from '@aws-sdk/client-s3';
import { memoryNameOf, valueKeyOf } from './file-run-store';
import type { CacheEntry, GcOutcome, MemoryEntry, RunStore, ValueKey } from './run-store';

const KEY_PATTERN = /^sha256:([0-9a-f]{64})$/;

export interface S3RunStoreOptions {
  /** The server (AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL by default; AWS itself when none). */
  endpoint?: string;
  region?: string;
}

function hexOf(key: string): string {
  const match = KEY_PATTERN.exec(key);
  if (!match) throw new Error(`not a run-store key: ${key.slice(0, 80)}`);
  return match[1]!;
}

/** `s3://bucket/some/prefix` → bucket and `some/prefix/` (empty for the bucket's root). */
export function parseS3Url(url: string): { bucket: string; prefix: string } {
  const parsed = new URL(url);
  if (parsed.protocol !== 's3:' || parsed.hostname === '') throw new Error(`ORC_STORE_URL=${url}: an S3 run store is s3://BUCKET/PREFIX`);
  const prefix = decodeURIComponent(parsed.pathname).replace(/^\/+|\/+$/g, '');
  return { bucket: parsed.hostname, prefix: prefix === '' ? '' : `${prefix}/` };
}

function isMissing(error: unknown): boolean {
  if (!(error instanceof S3ServiceException)) return false;
  return error.name === 'NoSuchKey' || error.name === 'NotFound' || error.$metadata.httpStatusCode === 404 && error.name !== 'NoSuchBucket';
}

/** Network failures (the server down, refused, reset) as opposed to answers the server gave. */
const NETWORK_CODES = /\b(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EPIPE|EHOSTUNREACH|socket hang up)\b/;

function isUnreachable(error: unknown): boolean {
  const { code, cause, name, message } = error as { code?: string; cause?: { code?: string }; name?: string; message?: string };
  return NETWORK_CODES.test(`${code ?? ''} ${cause?.code ?? ''} ${message ?? ''}`) || name === 'TimeoutError';
}

export class S3RunStore implements RunStore {
  readonly location: string;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly endpoint: string | undefined;
  private readonly client: S3Client;

  constructor(url: string, options: S3RunStoreOptions = {}) {
    const { bucket, prefix } = parseS3Url(url);
    this.bucket = bucket;
    this.prefix = prefix;
    this.location = `s3://${bucket}/${prefix}`;
    this.endpoint = options.endpoint ?? process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL;
    // The SDK warns on every process under Node 22 that its later releases will need Node 22; this one runs on 20.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    const region = options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
    this.client = new S3Client({
      ...(this.endpoint ? { endpoint: this.endpoint, forcePathStyle: true } : {}),
      // S3-compatible servers ignore the region but the SDK needs one; on AWS it comes from the usual places.
      ...(region ? { region } : this.endpoint ? { region: 'us-east-1' } : {}),
      // A server that does not answer fails the call within seconds (the activity or workflow task is retried).
      requestHandler: { connectionTimeout: 5_000, requestTimeout: 120_000 },
    });
  }

  /** An SDK call, its error naming the store (the SDK's own says only what went wrong). */
  private async send<T>(what: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      // The SDK wraps network errors as "AWS SDK error wrapper for Error: connect ECONNREFUSED …".
      const message = ((error as Error).message || (error as Error).name).replace(/^AWS SDK error wrapper for (Error: )?/, '');
      const where = `the run store at ${this.location}${this.endpoint ? ` (${this.endpoint})` : ''}`;
      if (isUnreachable(error)) throw new Error(`${where} cannot be reached: ${message}`, { cause: error });
      throw new Error(`${where} failed to ${what}: ${message}`, { cause: error });
    }
  }

  private valueObject(key: ValueKey): string {
    const hex = hexOf(key);
    return `${this.prefix}values/${hex.slice(0, 2)}/${hex}.gz`;
  }

  private usedMarker(key: ValueKey): string {
    return `${this.prefix}used/${hexOf(key)}`;
  }

  private entryObject(key: string): string {
    const hex = hexOf(key);
    return `${this.prefix}cache/${hex.slice(0, 2)}/${hex}.json`;
  }

  private put(Key: string, Body: Uint8Array | string): Promise<unknown> {
    // The length given: without it the SDK takes an empty body for a stream of unknown length, and warns.
    const ContentLength = typeof Body === 'string' ? Buffer.byteLength(Body) : Body.length;
    return this.send('write', () => this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key, Body, ContentLength })));
  }

  /** The object's bytes, or null when there is none. */
  private async get(Key: string): Promise<Uint8Array | null> {
    try {
      const response = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key }));
      return (await response.Body?.transformToByteArray()) ?? new Uint8Array();
    } catch (error) {
      if (isMissing(error)) return null;
      return this.send('read', () => Promise.reject(error as Error));
    }
  }

  private async exists(Key: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key }));
      return true;
    } catch (error) {
      if (isMissing(error)) return false;
      return this.send('read', () => Promise.reject(error as Error));
    }
  }

  private markUsed(key: ValueKey): Promise<unknown> {
    return this.put(this.usedMarker(key), '');
  }

  async putValue(bytes: Uint8Array): Promise<ValueKey> {
    const key = valueKeyOf(bytes);
    // Same bytes, same key: a second put only marks the value used.
    if (!(await this.exists(this.valueObject(key)))) await this.put(this.valueObject(key), gzipSync(bytes, { level: 6 }));
    await this.markUsed(key);
    return key;
  }

  async getValue(key: ValueKey): Promise<Uint8Array | null> {
    const compressed = await this.get(this.valueObject(key));
    if (compressed === null) return null;
    await this.markUsed(key);
    return new Uint8Array(gunzipSync(compressed));
  }

  private async readEntry(Key: string): Promise<CacheEntry | null> {
    const bytes = await this.get(Key);
    if (bytes === null) return null;
    try {
      return JSON.parse(Buffer.from(bytes).toString('utf8')) as CacheEntry;
    } catch {
      return null;
    }
  }

  async getCacheEntry(key: string, now: Date): Promise<CacheEntry | null> {
    const entry = await this.readEntry(this.entryObject(key));
    if (entry === null || Date.parse(entry.expiresAt) <= now.getTime()) return null;
    // Rewriting the small entry marks it used; its value's marker too.
    await this.put(this.entryObject(key), JSON.stringify(entry));
    await this.markUsed(entry.valueKey);
    return entry;
  }

  async putCacheEntry(entry: CacheEntry): Promise<void> {
    await this.put(this.entryObject(entry.key), JSON.stringify(entry));
  }

  private memoryObject(key: string): string {
    const hex = memoryNameOf(key);
    return `${this.prefix}memory/${hex.slice(0, 2)}/${hex}.json`;
  }

  async getMemory(key: string): Promise<MemoryEntry | null> {
    const bytes = await this.get(this.memoryObject(key));
    if (bytes === null) return null;
    const { value, expiresAt } = JSON.parse(Buffer.from(bytes).toString('utf8')) as MemoryEntry;
    return { value, expiresAt };
  }

  async putMemory(key: string, entry: MemoryEntry): Promise<void> {
    await this.put(this.memoryObject(key), JSON.stringify({ key, ...entry }));
  }

  /** Every object under `folder` of the store's prefix. */
  private async list(folder: string): Promise<_Object[]> {
    const objects: _Object[] = [];
    let ContinuationToken: string | undefined;
    do {
      const page = await this.send('list', () =>
        this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: `${this.prefix}${folder}`, ContinuationToken })),
      );
      objects.push(...(page.Contents ?? []));
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken);
    return objects;
  }

  private async remove(keys: string[]): Promise<void> {
    for (let start = 0; start < keys.length; start += 1000) {
      const Objects = keys.slice(start, start + 1000).map((Key) => ({ Key }));
      await this.send('delete', () => this.client.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects, Quiet: true } })));
    }
  }

  async clearCache(): Promise<number> {
    const entries = (await this.list('cache/')).map((object) => object.Key!).filter((key) => key.endsWith('.json'));
    await this.remove(entries);
    return entries.length;
  }

  async collectGarbage(before: Date, keep: ReadonlySet<ValueKey>): Promise<GcOutcome> {
    const outcome: GcOutcome = { values: 0, cacheEntries: 0, bytes: 0 };
    const kept = new Set(keep);
    const staleEntries: string[] = [];
    for (const object of await this.list('cache/')) {
      const entry = await this.readEntry(object.Key!);
      const expired = entry === null || Date.parse(entry.expiresAt) <= Date.now() || (object.LastModified ?? new Date(0)) < before;
      if (expired) staleEntries.push(object.Key!);
      else kept.add(entry.valueKey);
    }
    await this.remove(staleEntries);
    outcome.cacheEntries = staleEntries.length;
    const lastUsed = new Map((await this.list('used/')).map((object) => [object.Key!.slice(object.Key!.lastIndexOf('/') + 1), object.LastModified ?? new Date(0)]));
    const doomed: string[] = [];
    for (const object of await this.list('values/')) {
      const hex = object.Key!.slice(object.Key!.lastIndexOf('/') + 1).replace(/\.gz$/, '');
      const used = Math.max((object.LastModified ?? new Date(0)).getTime(), lastUsed.get(hex)?.getTime() ?? 0);
      if (used >= before.getTime() || kept.has(`sha256:${hex}`)) continue;
      doomed.push(object.Key!, `${this.prefix}used/${hex}`);
      outcome.values++;
      outcome.bytes += object.Size ?? 0;
    }
    await this.remove(doomed);
    return outcome;
  }

  close(): Promise<void> {
    this.client.destroy();
    return Promise.resolve();
  }
}
