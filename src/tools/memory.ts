// mcp-memory and memory: a durable key-value namespace in the run store (folder or PostgreSQL). It survives a
// worker kill, and runs that name the same namespace share it.
import { ApplicationFailure } from '@temporalio/activity';
import { z } from 'zod';
import { FailureType } from '../base/failure-types';
import type { KeyValueStore, ToolContext, ToolModule } from './types';

const namespace = z.string().min(1).default('default');
const keyParameter = z.string().min(1, 'must name the key');

function storeOf(context: ToolContext): KeyValueStore {
  const store = context.services?.keyValue;
  if (!store) throw ApplicationFailure.create({ type: FailureType.ToolUnavailable, nonRetryable: true, message: 'this worker has no run store for memory: start it with orc worker (ORC_STORE_URL chooses the store)' });
  return store;
}

const entryKey = (space: string, key: string): string => `${space}\u0000${key}`;
const indexKey = (space: string): string => `${space}\u0000\u0000index`;

async function keysOf(store: KeyValueStore, space: string): Promise<string[]> {
  const keys = await store.get(indexKey(space));
  return Array.isArray(keys) ? keys.filter((key): key is string => typeof key === 'string') : [];
}

/** Index changes of one namespace, one at a time in this process. */
const indexLocks = new Map<string, Promise<unknown>>();

/**
 * Adds or removes a key in the namespace's index. The store has no compare-and-set, so after writing the index is
 * read back and written again until it holds the change: two workers racing converge instead of losing a key.
 */
async function changeIndex(store: KeyValueStore, space: string, key: string, present: boolean): Promise<void> {
  const change = async (): Promise<void> => {
    for (let round = 0; round < 5; round++) {
      const keys = await keysOf(store, space);
      if (keys.includes(key) === present) return;
      await store.put(indexKey(space), present ? [...keys, key] : keys.filter((each) => each !== key), null);
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 20));
    }
  };
  const previous = indexLocks.get(space) ?? Promise.resolve();
  const next = previous.then(change, change);
  indexLocks.set(space, next);
  try {
    await next;
  } finally {
    if (indexLocks.get(space) === next) indexLocks.delete(space);
  }
}

/** The stored value with its expiry, so a read after `ttl` finds nothing even where the store keeps it longer. */
interface Stored {
  value: unknown;
  expires_at: string | null;
}

async function read(store: KeyValueStore, space: string, key: string): Promise<Stored | undefined> {
  const stored = (await store.get(entryKey(space, key))) as Stored | undefined | null;
  if (!stored || typeof stored !== 'object') return undefined;
  if (stored.expires_at !== null && Date.parse(stored.expires_at) <= Date.now()) return undefined;
  return stored;
}

const storeParameters = z.object({ key: keyParameter, value: z.unknown(), namespace, ttl: z.coerce.number().positive().optional() });
const keyParameters = z.object({ key: keyParameter, namespace });
const spaceParameters = z.object({ namespace });

const actions = {
  store: {
    description: 'keeps value under key (ttl: seconds it lives): {stored, key, namespace}',
    parameters: storeParameters,
    run: async (parameters: z.infer<typeof storeParameters>, context: ToolContext) => {
      const store = storeOf(context);
      const expiresAt = parameters.ttl !== undefined ? new Date(Date.now() + parameters.ttl * 1000) : null;
      await store.put(entryKey(parameters.namespace, parameters.key), { value: parameters.value ?? null, expires_at: expiresAt?.toISOString() ?? null }, expiresAt);
      await changeIndex(store, parameters.namespace, parameters.key, true);
      return { stored: true, key: parameters.key, namespace: parameters.namespace };
    },
  },
  retrieve: {
    description: 'the value under key: {value, found}',
    parameters: keyParameters,
    run: async (parameters: z.infer<typeof keyParameters>, context: ToolContext) => {
      const stored = await read(storeOf(context), parameters.namespace, parameters.key);
      return { key: parameters.key, namespace: parameters.namespace, value: stored?.value ?? null, found: stored !== undefined };
    },
  },
  delete: {
    description: 'forgets key: {deleted}',
    parameters: keyParameters,
    run: async (parameters: z.infer<typeof keyParameters>, context: ToolContext) => {
      const store = storeOf(context);
      const found = (await read(store, parameters.namespace, parameters.key)) !== undefined;
      await store.delete(entryKey(parameters.namespace, parameters.key));
      await changeIndex(store, parameters.namespace, parameters.key, false);
      return { key: parameters.key, namespace: parameters.namespace, deleted: found };
    },
  },
  list: {
    description: 'the keys of a namespace that hold a value: {keys, count}',
    parameters: spaceParameters,
    run: async (parameters: z.infer<typeof spaceParameters>, context: ToolContext) => {
      const store = storeOf(context);
      const keys: string[] = [];
      for (const key of await keysOf(store, parameters.namespace)) if ((await read(store, parameters.namespace, key)) !== undefined) keys.push(key);
      return { namespace: parameters.namespace, keys, count: keys.length };
    },
  },
  clear: {
    description: 'forgets every key of a namespace: {cleared}',
    parameters: spaceParameters,
    run: async (parameters: z.infer<typeof spaceParameters>, context: ToolContext) => {
      const store = storeOf(context);
      const keys = await keysOf(store, parameters.namespace);
      for (const key of keys) await store.delete(entryKey(parameters.namespace, key));
      await store.put(indexKey(parameters.namespace), [], null);
      return { namespace: parameters.namespace, cleared: keys.length };
    },
  },
};

/** The dialect names the memory action in `parameters.action` (store, retrieve, list, clear) under any step action. */
function memoryActionFor(action: string, parameters: Record<string, unknown>): string | undefined {
  if (action in actions) return action;
  const named = parameters.action;
  if (typeof named === 'string' && named in actions) return named;
  return { get: 'retrieve', set: 'store', put: 'store', remove: 'delete' }[typeof named === 'string' ? named : action];
}

export const mcpMemoryTool: ToolModule = {
  name: 'mcp-memory',
  description: 'A durable key-value namespace in the run store, shared by runs that name it (store, retrieve, list, delete, clear).',
  actions,
  actionFor: memoryActionFor,
  availability: () => ({ available: true }),
};

export const memoryTool: ToolModule = { ...mcpMemoryTool, name: 'memory', description: 'The same durable key-value namespaces as mcp-memory.' };
