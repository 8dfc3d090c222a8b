// The step cache on its own: what the key covers, and hits, misses and writes against a real folder run store.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { canonicalJson, RunStoreStepCache, stepCacheKey } from '../../src/activities/step-cache';
import { FileRunStore } from '../../src/store/file-run-store';

let directory: string;
let store: FileRunStore;

beforeEach(() => {
  directory = fs.mkdtempSync(path.join(os.tmpdir(), 'orc-step-cache-'));
  store = new FileRunStore(directory);
});

afterEach(() => fs.rmSync(directory, { recursive: true, force: true }));

const request = { action: 'generate', model: 'local:smollm2-135m', messages: [{ role: 'user', content: 'Summarise x' }], temperature: 0 };

describe('stepCacheKey', () => {
  it('is sha256 of the request, whatever order its keys were written in', () => {
    const reordered = { temperature: 0, messages: [{ content: 'Summarise x', role: 'user' }], model: 'local:smollm2-135m', action: 'generate' };
    expect(stepCacheKey(request)).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(stepCacheKey(reordered)).toBe(stepCacheKey(request));
    expect(canonicalJson({ b: { d: 1, c: [2, { f: 3, e: 4 }] }, a: null })).toBe('{"a":null,"b":{"c":[2,{"e":4,"f":3}],"d":1}}');
  });

  it('changes with anything that decides the answer, and with the replicate index', () => {
    const keys = new Set([
      stepCacheKey(request),
      stepCacheKey({ ...request, model: 'openai:gpt-4o-mini' }),
      stepCacheKey({ ...request, messages: [{ role: 'user', content: 'Summarise y' }] }),
      stepCacheKey({ ...request, temperature: 0.7 }),
      stepCacheKey({ ...request, maxTokens: 100 }),
      stepCacheKey({ ...request, jsonSchema: { type: 'object' } }),
      stepCacheKey(request, 0),
      stepCacheKey(request, 1),
    ]);
    expect(keys.size).toBe(8);
  });
});

describe('RunStoreStepCache', () => {
  const policy = { ttlSeconds: 3600, read: true };

  it('a miss computes and stores the answer; the same request then hits without computing', async () => {
    const cache = new RunStoreStepCache({ store });
    let computed = 0;
    const compute = async () => ({ answer: `computed ${++computed}` });
    const first = await cache.answer(policy, () => request, compute);
    expect(first.value).toEqual({ answer: 'computed 1' });
    expect(first.record).toEqual({ hit: false, key: stepCacheKey(request), stored_at: expect.any(String) });
    const second = await cache.answer(policy, () => request, compute);
    expect(computed).toBe(1);
    expect(second).toEqual({ value: { answer: 'computed 1' }, record: { hit: true, key: first.record!.key, stored_at: first.record!.stored_at } });
  });

  it('read: false (--no-cache) computes again and writes the new answer', async () => {
    const cache = new RunStoreStepCache({ store });
    await cache.answer(policy, () => request, async () => 'old');
    const fresh = await cache.answer({ ...policy, read: false }, () => request, async () => 'new');
    expect(fresh.value).toBe('new');
    expect(fresh.record?.hit).toBe(false);
    expect((await cache.answer(policy, () => request, async () => 'unused')).value).toBe('new');
  });

  it('an answer that is not cacheable is returned but not stored; no policy means no record at all', async () => {
    const cache = new RunStoreStepCache({ store });
    const failed = await cache.answer(policy, () => request, async () => ({ exit_code: 1 }), (value) => value.exit_code === 0);
    expect(failed.record).toEqual({ hit: false, key: stepCacheKey(request), stored_at: null });
    expect(await store.getCacheEntry(stepCacheKey(request), new Date())).toBeNull();
    const uncached = await cache.answer(undefined, () => request, async () => 'plain');
    expect(uncached).toEqual({ value: 'plain' });
  });

  it('an expired entry, or one whose value is gone, is a miss', async () => {
    const cache = new RunStoreStepCache({ store });
    const key = stepCacheKey(request);
    const valueKey = await store.putValue(Buffer.from(JSON.stringify('stale')));
    await store.putCacheEntry({ key, valueKey, storedAt: '2020-01-01T00:00:00.000Z', expiresAt: '2020-01-08T00:00:00.000Z' });
    expect((await cache.answer(policy, () => request, async () => 'fresh')).value).toBe('fresh');
    await store.putCacheEntry({ key, valueKey: `sha256:${'0'.repeat(64)}`, storedAt: new Date().toISOString(), expiresAt: '2999-01-01T00:00:00.000Z' });
    expect((await cache.answer(policy, () => request, async () => 'again')).value).toBe('again');
  });

  it('calls afterWrite once the entry is in the store, before it returns', async () => {
    let entryAtHook: unknown = 'not called';
    const cache = new RunStoreStepCache({
      store,
      afterWrite: () => {
        entryAtHook = fs.readdirSync(path.join(directory, 'cache'), { recursive: true }).length;
      },
    });
    await cache.answer(policy, () => request, async () => 'answer');
    expect(entryAtHook).toBe(2); // the shard folder and the entry file
  });
});
