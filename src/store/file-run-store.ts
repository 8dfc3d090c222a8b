// The default backend of the run store: a folder on one machine (values gzipped, cache entries as JSON files).
import { createHash, randomUUID } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { CacheEntry, GcOutcome, MemoryEntry, RunStore, ValueKey } from './run-store';

const KEY_PATTERN = /^sha256:([0-9a-f]{64})$/;

function hexOf(key: string): string {
  const match = KEY_PATTERN.exec(key);
  if (!match) throw new Error(`not a run-store key: ${key.slice(0, 80)}`);
  return match[1]!;
}

/** A memory key (any text) as a file or object name: its sha256 in hex. */
export function memoryNameOf(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export function valueKeyOf(bytes: Uint8Array): ValueKey {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** Writes through a temporary file and a rename, so a reader never sees half a file. */
async function writeAtomically(file: string, data: Uint8Array | string): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const temporary = `${file}.${randomUUID()}.tmp`;
  await fs.writeFile(temporary, data);
  await fs.rename(temporary, file);
}

async function touch(file: string): Promise<void> {
  const now = new Date();
  await fs.utimes(file, now, now).catch(() => undefined);
}

async function filesUnder(directory: string): Promise<string[]> {
  const entries = await fs.readdir(directory, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((entry) => entry.isFile()).map((entry) => path.join(entry.parentPath, entry.name));
}

export class FileRunStore implements RunStore {
  readonly location: string;
  private readonly values: string;
  private readonly cache: string;
  private readonly memory: string;

  constructor(directory: string) {
    this.location = path.resolve(directory);
    this.values = path.join(this.location, 'values');
    this.cache = path.join(this.location, 'cache');
    this.memory = path.join(this.location, 'memory');
  }

  private memoryFile(key: string): string {
    const hex = memoryNameOf(key);
    return path.join(this.memory, hex.slice(0, 2), `${hex}.json`);
  }

  async getMemory(key: string): Promise<MemoryEntry | null> {
    try {
      const { value, expiresAt } = JSON.parse(await fs.readFile(this.memoryFile(key), 'utf8')) as MemoryEntry;
      return { value, expiresAt };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  async putMemory(key: string, entry: MemoryEntry): Promise<void> {
    await writeAtomically(this.memoryFile(key), JSON.stringify({ key, ...entry }));
  }

  private valueFile(key: ValueKey): string {
    const hex = hexOf(key);
    return path.join(this.values, hex.slice(0, 2), `${hex}.gz`);
  }

  private entryFile(key: string): string {
    const hex = hexOf(key);
    return path.join(this.cache, hex.slice(0, 2), `${hex}.json`);
  }

  async putValue(bytes: Uint8Array): Promise<ValueKey> {
    const key = valueKeyOf(bytes);
    const file = this.valueFile(key);
    try {
      await fs.access(file);
      await touch(file);
    } catch {
      await writeAtomically(file, gzipSync(bytes, { level: 6 }));
    }
    return key;
  }

  async getValue(key: ValueKey): Promise<Uint8Array | null> {
    const file = this.valueFile(key);
    try {
      const compressed = await fs.readFile(file);
      await touch(file);
      return new Uint8Array(gunzipSync(compressed));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  async getCacheEntry(key: string, now: Date): Promise<CacheEntry | null> {
    const file = this.entryFile(key);
    let entry: CacheEntry;
    try {
      entry = JSON.parse(await fs.readFile(file, 'utf8')) as CacheEntry;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' || error instanceof SyntaxError) return null;
      throw error;
    }
    if (Date.parse(entry.expiresAt) <= now.getTime()) return null;
    await touch(file);
    await touch(this.valueFile(entry.valueKey));
    return entry;
  }

  async putCacheEntry(entry: CacheEntry): Promise<void> {
    await writeAtomically(this.entryFile(entry.key), JSON.stringify(entry));
  }

  async clearCache(): Promise<number> {
    const files = (await filesUnder(this.cache)).filter((file) => file.endsWith('.json'));
    await Promise.all(files.map((file) => fs.rm(file, { force: true })));
    return files.length;
  }

  async collectGarbage(before: Date, keep: ReadonlySet<ValueKey>): Promise<GcOutcome> {
    const outcome: GcOutcome = { values: 0, cacheEntries: 0, bytes: 0 };
    const kept = new Set(keep);
    for (const file of await filesUnder(this.cache)) {
      const stat = await fs.stat(file).catch(() => null);
      if (!stat) continue;
      let entry: CacheEntry | null = null;
      try {
        entry = JSON.parse(await fs.readFile(file, 'utf8')) as CacheEntry;
      } catch {
        entry = null;
      }
      const expired = entry === null || Date.parse(entry.expiresAt) <= Date.now() || stat.mtime < before;
      if (expired) {
        await fs.rm(file, { force: true });
        outcome.cacheEntries++;
      } else if (entry) kept.add(entry.valueKey);
    }
    for (const file of await filesUnder(this.values)) {
      const hex = path.basename(file).replace(/\.gz$/, '');
      const stat = await fs.stat(file).catch(() => null);
      if (!stat || stat.mtime >= before || kept.has(`sha256:${hex}`)) continue;
      await fs.rm(file, { force: true });
      outcome.values++;
      outcome.bytes += stat.size;
    }
    return outcome;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
