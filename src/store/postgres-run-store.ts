// The cluster backend of the run store (ORC_STORE_URL=postgres://…): every worker and client shares it.
import { gunzipSync, gzipSync } from 'node:zlib';
import { Pool, type QueryResult } from 'pg';
import { valueKeyOf } from './file-run-store';
import type { CacheEntry, GcOutcome, MemoryEntry, RunStore, ValueKey } from './run-store';

/** Two workers starting at once must not both create the tables: the schema is made under this advisory lock. */
const SCHEMA_LOCK = 7_216_530_016;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS orc_values (
  key text PRIMARY KEY,
  data bytea NOT NULL,
  size bigint NOT NULL,
  used_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS orc_cache_entries (
  key text PRIMARY KEY,
  value_key text NOT NULL,
  stored_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  used_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS orc_memory (
  key text PRIMARY KEY,
  value text NOT NULL,
  expires_at timestamptz
);
CREATE INDEX IF NOT EXISTS orc_values_used_at ON orc_values (used_at);
CREATE INDEX IF NOT EXISTS orc_cache_entries_used_at ON orc_cache_entries (used_at);
`;

interface EntryRow {
  key: string;
  value_key: string;
  stored_at: Date;
  expires_at: Date;
}

function entryOf(row: EntryRow): CacheEntry {
  return { key: row.key, valueKey: row.value_key, storedAt: row.stored_at.toISOString(), expiresAt: row.expires_at.toISOString() };
}

export class PostgresRunStore implements RunStore {
  readonly location: string;
  private readonly pool: Pool;
  private ready?: Promise<void>;

  constructor(url: string) {
    const parsed = new URL(url);
    parsed.password = '';
    this.location = parsed.toString();
    this.pool = new Pool({ connectionString: url, max: 4, connectionTimeoutMillis: 10_000 });
    // An idle client losing its server (a restart) must not crash the worker; the next query reconnects.
    this.pool.on('error', () => undefined);
  }

  /** A query, its error naming the store (the driver's own says only what went wrong). */
  private async query<Row extends object = Record<string, unknown>>(text: string, values: unknown[]): Promise<QueryResult<Row>> {
    try {
      return await this.pool.query<Row>(text, values);
    } catch (error) {
      throw new Error(`the run store at ${this.location} failed: ${(error as Error).message}`, { cause: error });
    }
  }

  /** Creates the tables on first use. */
  private schema(): Promise<void> {
    this.ready ??= (async () => {
      const client = await this.pool.connect().catch((error: unknown) => {
        throw new Error(`the run store at ${this.location} cannot be reached: ${(error as Error).message}`, { cause: error });
      });
      try {
        await client.query('BEGIN');
        await client.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK]);
        await client.query(SCHEMA);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw new Error(`the run store at ${this.location} is not usable: ${(error as Error).message}`);
      } finally {
        client.release();
      }
    })().catch((error: unknown) => {
      this.ready = undefined;
      throw error;
    });
    return this.ready;
  }

  async putValue(bytes: Uint8Array): Promise<ValueKey> {
    await this.schema();
    const key = valueKeyOf(bytes);
    // Same bytes, same key: a second put only marks the value used.
    const touched = await this.query('UPDATE orc_values SET used_at = now() WHERE key = $1', [key]);
    if (touched.rowCount === 0) {
      await this.query(
        'INSERT INTO orc_values (key, data, size) VALUES ($1, $2, $3) ON CONFLICT (key) DO UPDATE SET used_at = now()',
        [key, gzipSync(bytes, { level: 6 }), bytes.length],
      );
    }
    return key;
  }

  async getValue(key: ValueKey): Promise<Uint8Array | null> {
    await this.schema();
    const result = await this.query<{ data: Buffer }>('UPDATE orc_values SET used_at = now() WHERE key = $1 RETURNING data', [key]);
    const row = result.rows[0];
    return row ? new Uint8Array(gunzipSync(row.data)) : null;
  }

  async getCacheEntry(key: string, now: Date): Promise<CacheEntry | null> {
    await this.schema();
    const result = await this.query<EntryRow>(
      'UPDATE orc_cache_entries SET used_at = now() WHERE key = $1 AND expires_at > $2 RETURNING key, value_key, stored_at, expires_at',
      [key, now],
    );
    const row = result.rows[0];
    if (!row) return null;
    await this.query('UPDATE orc_values SET used_at = now() WHERE key = $1', [row.value_key]);
    return entryOf(row);
  }

  async putCacheEntry(entry: CacheEntry): Promise<void> {
    await this.schema();
    await this.query(
      `INSERT INTO orc_cache_entries (key, value_key, stored_at, expires_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (key) DO UPDATE SET value_key = EXCLUDED.value_key, stored_at = EXCLUDED.stored_at,
         expires_at = EXCLUDED.expires_at, used_at = now()`,
      [entry.key, entry.valueKey, new Date(entry.storedAt), new Date(entry.expiresAt)],
    );
  }

  async getMemory(key: string): Promise<MemoryEntry | null> {
    await this.schema();
    const row = (await this.query<{ value: string; expires_at: Date | null }>('SELECT value, expires_at FROM orc_memory WHERE key = $1', [key])).rows[0];
    return row ? { value: JSON.parse(row.value) as unknown, expiresAt: row.expires_at?.toISOString() ?? null } : null;
  }

  async putMemory(key: string, entry: MemoryEntry): Promise<void> {
    await this.schema();
    await this.query(
      'INSERT INTO orc_memory (key, value, expires_at) VALUES ($1, $2, $3) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, expires_at = EXCLUDED.expires_at',
      [key, JSON.stringify(entry.value ?? null), entry.expiresAt === null ? null : new Date(entry.expiresAt)],
    );
  }

  async clearCache(): Promise<number> {
    await this.schema();
    return (await this.query('DELETE FROM orc_cache_entries', [])).rowCount ?? 0;
  }

  async collectGarbage(before: Date, keep: ReadonlySet<ValueKey>): Promise<GcOutcome> {
    await this.schema();
    const entries = await this.query('DELETE FROM orc_cache_entries WHERE expires_at <= now() OR used_at < $1', [before]);
    const values = await this.query<{ size: string }>(
      `DELETE FROM orc_values v WHERE v.used_at < $1 AND NOT (v.key = ANY($2::text[]))
         AND NOT EXISTS (SELECT 1 FROM orc_cache_entries e WHERE e.value_key = v.key)
       RETURNING octet_length(v.data) AS size`,
      [before, [...keep]],
    );
    return {
      values: values.rowCount ?? 0,
      cacheEntries: entries.rowCount ?? 0,
      bytes: values.rows.reduce((total, row) => total + Number(row.size), 0),
    };
  }

  private closed = false;

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}
