// database: SQL against the worker's PostgreSQL (ORC_DATABASE_URL, a secret of the worker, never of the pipeline)
// through `pg`, with bound parameters, a statement timeout, and read-only transactions when the worker says so
// (ORC_DATABASE_READ_ONLY=1) or the step asks (`read_only: true`).
import { ApplicationFailure } from '@temporalio/common';
import { Client, DatabaseError } from 'pg';
import { z } from 'zod';
import { FailureType } from '../base/failure-types';
import { backendFailed, invalidParameters, toolFailure } from './tool-failure';
import type { Availability, ToolContext, ToolModule } from './types';

const queryParameters = z.looseObject({
  query: z.string().optional(),
  sql: z.string().optional(),
  /** Values for $1, $2, ... */
  params: z.array(z.unknown()).optional(),
  read_only: z.boolean().optional(),
  /** Milliseconds (default 30000). */
  timeout: z.number().int().positive().optional(),
  max_rows: z.number().int().positive().optional(),
});
type QueryParameters = z.infer<typeof queryParameters>;

const tableParameters = z.looseObject({ table: z.string().optional(), schema: z.string().optional() });

export function databaseAvailability(env: NodeJS.ProcessEnv): Availability {
  return env.ORC_DATABASE_URL
    ? { available: true }
    : { available: false, reason: 'ORC_DATABASE_URL is not set on the worker: set it to a PostgreSQL connection URL (postgres://user@host:port/db)' };
}

/** SQLSTATE classes that the same statement would hit again: syntax, names, data, constraints, permissions. */
const NOT_RETRIED = /^(22|23|25|26|28|2B|2D|2F|34|3D|3F|40|42|44)/;

function failureOf(error: unknown): Error {
  if (error instanceof ApplicationFailure) return error;
  if (error instanceof DatabaseError) {
    const message = `PostgreSQL refused the statement: ${error.message}${error.code ? ` (SQLSTATE ${error.code})` : ''}`;
    return NOT_RETRIED.test(error.code ?? '') ? toolFailure(FailureType.ToolFailed, message) : backendFailed(message);
  }
  return backendFailed(`could not reach the database (ORC_DATABASE_URL): ${(error as Error).message}`);
}

/** One connection for one statement (in a transaction, read-only when asked), closed on every path. */
async function withClient<T>(context: ToolContext, readOnly: boolean, timeoutMs: number, body: (client: Client) => Promise<T>): Promise<T> {
  const connectionString = context.env.ORC_DATABASE_URL;
  if (!connectionString) throw toolFailure(FailureType.ToolUnavailable, (databaseAvailability(context.env) as { reason: string }).reason);
  const client = new Client({ connectionString, statement_timeout: timeoutMs, connectionTimeoutMillis: 10_000, application_name: `orc ${context.runId}/${context.stepId}` });
  const cancel = (): void => void client.end().catch(() => undefined);
  context.signal.addEventListener('abort', cancel, { once: true });
  try {
    await client.connect();
    await client.query(readOnly ? 'BEGIN READ ONLY' : 'BEGIN');
    const answer = await body(client);
    await client.query('COMMIT');
    return answer;
  } catch (error) {
    throw failureOf(error);
  } finally {
    context.signal.removeEventListener('abort', cancel);
    await client.end().catch(() => undefined);
  }
}

async function query(parameters: QueryParameters, context: ToolContext): Promise<Record<string, unknown>> {
  const sql = parameters.query ?? parameters.sql;
  if (!sql || sql.trim() === '') throw invalidParameters('the step has no `query`: the SQL to run (values as $1, $2 ... in `params`)');
  const readOnly = context.env.ORC_DATABASE_READ_ONLY === '1' || parameters.read_only === true;
  return withClient(context, readOnly, parameters.timeout ?? 30_000, async (client) => {
    const result = await client.query({ text: sql, values: parameters.params ?? [] });
    const rows = (result.rows ?? []) as Record<string, unknown>[];
    const kept = rows.slice(0, parameters.max_rows ?? 10_000);
    return {
      rows: kept,
      row_count: result.rowCount ?? rows.length,
      columns: (result.fields ?? []).map((field) => field.name),
      command: result.command,
      ...(kept.length < rows.length ? { truncated: true } : {}),
    };
  });
}

async function listTables(parameters: z.infer<typeof tableParameters>, context: ToolContext): Promise<Record<string, unknown>> {
  return withClient(context, true, 30_000, async (client) => {
    const result = await client.query(
      "SELECT table_schema, table_name FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema') AND ($1::text IS NULL OR table_schema = $1) ORDER BY 1, 2",
      [parameters.schema ?? null],
    );
    return { tables: result.rows.map((row: { table_schema: string; table_name: string }) => (row.table_schema === 'public' ? row.table_name : `${row.table_schema}.${row.table_name}`)), count: result.rowCount };
  });
}

async function describeTable(parameters: z.infer<typeof tableParameters>, context: ToolContext): Promise<Record<string, unknown>> {
  if (!parameters.table) throw invalidParameters('the step has no `table` to describe');
  const [schema, table] = parameters.table.includes('.') ? parameters.table.split('.', 2) : [parameters.schema ?? 'public', parameters.table];
  return withClient(context, true, 30_000, async (client) => {
    const result = await client.query(
      'SELECT column_name, data_type, is_nullable FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position',
      [schema, table],
    );
    if (result.rowCount === 0) throw toolFailure(FailureType.InvalidStep, `no table '${parameters.table}' in the database`);
    return { table: parameters.table, columns: result.rows.map((row: { column_name: string; data_type: string; is_nullable: string }) => ({ name: row.column_name, type: row.data_type, nullable: row.is_nullable === 'YES' })) };
  });
}

export const databaseTool: ToolModule = {
  name: 'database',
  description: 'SQL on the worker\'s PostgreSQL (ORC_DATABASE_URL): query with bound params, list tables, describe a table',
  actions: {
    query: { description: 'Runs `query` with `params` ($1, $2 ...) in one transaction: {rows, row_count, columns, command}', parameters: queryParameters, run: query },
    list_tables: { description: 'The tables (of `schema`, default all): {tables, count}', parameters: tableParameters, run: listTables },
    describe_table: { description: 'The columns of `table`: {columns: [{name, type, nullable}]}', parameters: tableParameters, run: describeTable },
  },
  defaultAction: 'query',
  actionFor(action) {
    const name = action.toLowerCase();
    if (['query', 'execute', 'select', 'sql', 'run'].includes(name)) return 'query';
    if (['list_tables', 'tables'].includes(name)) return 'list_tables';
    if (['describe_table', 'describe', 'schema'].includes(name)) return 'describe_table';
    return undefined;
  },
  availability: databaseAvailability,
};
