// Every run-store backend behaves the same (src/store/run-store.ts): the folder store, a real PostgreSQL server and a
// real S3-compatible server (moto).
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runStoreKeyValue } from '../../src/activities/tools';
import { openRunStore, type RunStore } from '../../src/store/run-store';
import { S3RunStore } from '../../src/store/s3-run-store';
import { startPostgres, type PostgresServer } from '../helpers/postgres';
import { startS3Server, type S3Server } from '../helpers/s3';

let postgres: PostgresServer;
let s3: S3Server;
let folder: string;

beforeAll(async () => {
  postgres = await startPostgres();
  s3 = await startS3Server();
  folder = fs.mkdtempSync(path.join(os.tmpdir(), 'orc-run-store-'));
}, 120_000);

afterAll(async () => {
  await postgres?.stop();
  await s3?.stop();
  fs.rmSync(folder, { recursive: true, force: true });
});

const backends: Array<[string, () => string]> = [
  ['folder', () => path.join(folder, `store-${Math.random().toString(36).slice(2)}`)],
  ['postgres', () => postgres.url],
  ['s3', () => s3.url(`runs-${Math.random().toString(36).slice(2)}`)],
];

describe.each(backends)('the %s run store', (_name, url) => {
  let store: RunStore;
  beforeEach(async () => {
    store = openRunStore(url(), folder);
    // The PostgreSQL store (and an S3 prefix) is shared by the tests of this file: start each from an empty cache.
    await store.clearCache();
  });
  afterEach(async () => {
    await store.close();
  });

  test('a value comes back byte for byte under its sha256 key, and the same bytes keep one key', async () => {
    const bytes = new Uint8Array(Buffer.from(`payload ${'z'.repeat(300_000)} ${Date.now()}`));
    const key = await store.putValue(bytes);
    expect(key).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(await store.putValue(bytes)).toBe(key);
    expect(Buffer.from((await store.getValue(key))!).equals(Buffer.from(bytes))).toBe(true);
    expect(await store.getValue(`sha256:${'0'.repeat(64)}`)).toBeNull();
    expect(store.location).not.toContain('password');
  });

  test('cache entries expire, and clearCache empties the cache', async () => {
    const valueKey = await store.putValue(new Uint8Array(Buffer.from('answer')));
    const now = new Date();
    const live = { key: `sha256:${'a'.repeat(64)}`, valueKey, storedAt: now.toISOString(), expiresAt: new Date(now.getTime() + 60_000).toISOString() };
    const expired = { ...live, key: `sha256:${'b'.repeat(64)}`, expiresAt: new Date(now.getTime() - 1).toISOString() };
    await store.putCacheEntry(live);
    await store.putCacheEntry(expired);
    expect(await store.getCacheEntry(live.key, now)).toEqual(live);
    expect(await store.getCacheEntry(expired.key, now)).toBeNull();
    expect(await store.clearCache()).toBe(2);
    expect(await store.getCacheEntry(live.key, now)).toBeNull();
  });

  test('gc deletes values unused since the cutoff unless kept or pointed to by a live entry', async () => {
    const stamp = Date.now();
    const keep = await store.putValue(new Uint8Array(Buffer.from(`kept by an open run ${stamp}`)));
    const cached = await store.putValue(new Uint8Array(Buffer.from(`behind a cache entry ${stamp}`)));
    const old = await store.putValue(new Uint8Array(Buffer.from(`unused ${stamp}`)));
    await store.putCacheEntry({ key: `sha256:${'c'.repeat(64)}`, valueKey: cached, storedAt: new Date().toISOString(), expiresAt: new Date(stamp + 3_600_000).toISOString() });
    // With a cutoff in the future everything is unused since then, the cache entry too: gc removes the entry, then
    // its value; only the value an open run references stays.
    const outcome = await store.collectGarbage(new Date(stamp + 60_000), new Set([keep]));
    expect(outcome.cacheEntries).toBeGreaterThanOrEqual(1);
    expect(await store.getValue(keep)).not.toBeNull();
    expect(await store.getValue(old)).toBeNull();
    expect(await store.getValue(cached)).toBeNull();
    // A cutoff in the past removes nothing that was just used.
    const fresh = await store.putValue(new Uint8Array(Buffer.from(`fresh ${stamp}`)));
    await store.collectGarbage(new Date(stamp - 60_000), new Set());
    expect(await store.getValue(fresh)).not.toBeNull();
  });

  test('memory entries keep any JSON under any key; neither clearCache nor gc removes them', async () => {
    const key = `notes/${process.pid}/ключ ${Date.now()}`;
    expect(await store.getMemory(key)).toBeNull();
    await store.putMemory(key, { value: { items: [1, 'two', null] }, expiresAt: null });
    await store.clearCache();
    await store.collectGarbage(new Date(Date.now() + 60_000), new Set());
    expect(await store.getMemory(key)).toEqual({ value: { items: [1, 'two', null] }, expiresAt: null });
    const expiresAt = new Date(Date.now() + 60_000).toISOString();
    await store.putMemory(key, { value: 'later', expiresAt });
    expect(await store.getMemory(key)).toEqual({ value: 'later', expiresAt });
    expect(await store.getMemory(`${key} (another)`)).toBeNull();
  });
});

test('two PostgreSQL stores (two workers with different data directories) share values and cache entries', async () => {
  const first = openRunStore(postgres.url, path.join(folder, 'worker-a'));
  const second = openRunStore(postgres.url, path.join(folder, 'worker-b'));
  try {
    const key = await first.putValue(new Uint8Array(Buffer.from('written by worker a')));
    expect(Buffer.from((await second.getValue(key))!).toString()).toBe('written by worker a');
    const entry = { key: `sha256:${'d'.repeat(64)}`, valueKey: key, storedAt: new Date().toISOString(), expiresAt: new Date(Date.now() + 60_000).toISOString() };
    await first.putCacheEntry(entry);
    expect(await second.getCacheEntry(entry.key, new Date())).toEqual(entry);
  } finally {
    await first.close();
    await second.close();
  }
});

test('a PostgreSQL store that cannot be reached says which one, without its password', async () => {
  const store = openRunStore('postgres://orc:hunter2@127.0.0.1:1/postgres', folder);
  try {
    const failure = store.putValue(new Uint8Array([1, 2, 3]));
    await expect(failure).rejects.toThrow(/^the run store at postgres:\/\/orc@127\.0\.0\.1:1\/postgres cannot be reached: /);
    await expect(failure).rejects.not.toThrow(/hunter2/);
  } finally {
    await store.close();
  }
});

test('two S3 stores on one prefix share values and cache entries; another prefix sees none of them', async () => {
  const first = openRunStore(s3.url('shared'), path.join(folder, 'worker-c'));
  const second = openRunStore(s3.url('shared/'), path.join(folder, 'worker-d'));
  const elsewhere = openRunStore(s3.url('other'), folder);
  try {
    expect(first.location).toBe(`s3://${s3.bucket}/shared/`);
    const key = await first.putValue(new Uint8Array(Buffer.from('written by worker c')));
    expect(Buffer.from((await second.getValue(key))!).toString()).toBe('written by worker c');
    expect(await elsewhere.getValue(key)).toBeNull();
    const entry = { key: `sha256:${'e'.repeat(64)}`, valueKey: key, storedAt: new Date().toISOString(), expiresAt: new Date(Date.now() + 60_000).toISOString() };
    await first.putCacheEntry(entry);
    expect(await second.getCacheEntry(entry.key, new Date())).toEqual(entry);
    expect(await elsewhere.getCacheEntry(entry.key, new Date())).toBeNull();
  } finally {
    await Promise.all([first.close(), second.close(), elsewhere.close()]);
  }
});

test('an S3 store that cannot be reached, or whose bucket is missing, says which store', async () => {
  const unreachable = new S3RunStore('s3://orc-runs/prefix', { endpoint: 'http://127.0.0.1:1' });
  const missingBucket = openRunStore('s3://no-such-bucket/prefix', folder);
  try {
    await expect(unreachable.putValue(new Uint8Array([1, 2, 3]))).rejects.toThrow(
      /^the run store at s3:\/\/orc-runs\/prefix\/ \(http:\/\/127\.0\.0\.1:1\) cannot be reached: /,
    );
    await expect(missingBucket.putValue(new Uint8Array([4, 5, 6]))).rejects.toThrow(/^the run store at s3:\/\/no-such-bucket\/prefix\/ .*(NoSuchBucket|bucket does not exist)/i);
  } finally {
    await unreachable.close();
    await missingBucket.close();
  }
}, 60_000);

test('ORC_STORE_URL=s3:// without a bucket is refused with the form it takes', () => {
  expect(() => openRunStore('s3:///prefix', folder)).toThrow('ORC_STORE_URL=s3:///prefix: an S3 run store is s3://BUCKET/PREFIX');
});

test("the memory tools' store outlives orc cache clear and gc, still reads what an older build kept in the cache, and deletes", async () => {
  const store = openRunStore(path.join(folder, `memory-${process.pid}`), folder);
  const memory = runStoreKeyValue(store);
  await memory.put('notes\u0000plan', { steps: ['a', 'b'] }, null);
  expect(await store.clearCache()).toBe(0);
  await store.collectGarbage(new Date(Date.now() + 60_000), new Set());
  expect(await memory.get('notes\u0000plan')).toEqual({ steps: ['a', 'b'] });

  // An older build kept memory as a step-cache entry under a hashed key.
  const legacyKey = `sha256:${createHash('sha256').update('tool-memory\u0000notes\u0000old').digest('hex')}`;
  const valueKey = await store.putValue(new Uint8Array(Buffer.from(JSON.stringify('from before'))));
  await store.putCacheEntry({ key: legacyKey, valueKey, storedAt: new Date().toISOString(), expiresAt: '9999-12-31T00:00:00.000Z' });
  expect(await memory.get('notes\u0000old')).toBe('from before');
  await memory.delete('notes\u0000old');
  expect(await memory.get('notes\u0000old')).toBeUndefined();

  await memory.put('notes\u0000brief', 'gone soon', new Date(Date.now() - 1));
  expect(await memory.get('notes\u0000brief')).toBeUndefined();
  await store.close();
});
