// database on a real PostgreSQL (Debian's, a fresh cluster): bound parameters, read-only transactions, errors typed.
import { FailureType } from '../../src/base/failure-types';
import { findTool } from '../../src/tools';
import { startPostgres, type PostgresServer } from '../helpers/postgres';
import { callTool, toolContext, type TestToolContext } from './tool-context';

let postgres: PostgresServer;
let context: TestToolContext;

beforeAll(async () => {
  postgres = await startPostgres();
}, 120_000);
afterAll(() => postgres.stop());
beforeEach(() => (context = toolContext({ ...process.env, ORC_DATABASE_URL: postgres.url })));
afterEach(() => context.remove());

test('query with bound parameters, list and describe tables', async () => {
  await callTool('database', 'execute', { query: 'CREATE TABLE IF NOT EXISTS fruit (name text PRIMARY KEY, count int)' }, context);
  const inserted = await callTool('database', 'query', { query: 'INSERT INTO fruit VALUES ($1, $2), ($3, $4) ON CONFLICT DO NOTHING', params: ['apple', 3, "pear'; DROP TABLE fruit; --", 5] }, context);
  expect(inserted).toMatchObject({ row_count: 2, command: 'INSERT' });
  const selected = await callTool('database', 'query', { query: 'SELECT name, count FROM fruit WHERE count > $1 ORDER BY name', params: [1] }, context);
  expect(selected).toEqual({ rows: [{ name: 'apple', count: 3 }, { name: "pear'; DROP TABLE fruit; --", count: 5 }], row_count: 2, columns: ['name', 'count'], command: 'SELECT' });
  await expect(callTool('database', 'list_tables', {}, context)).resolves.toEqual({ tables: ['fruit'], count: 1 });
  await expect(callTool('database', 'describe', { table: 'fruit' }, context)).resolves.toEqual({
    table: 'fruit',
    columns: [{ name: 'name', type: 'text', nullable: false }, { name: 'count', type: 'integer', nullable: true }],
  });
});

test('a read-only worker refuses writes; a bad statement is a non-retried TOOL_FAILED naming the SQLSTATE', async () => {
  const readOnly = toolContext({ ...process.env, ORC_DATABASE_URL: postgres.url, ORC_DATABASE_READ_ONLY: '1' });
  await expect(callTool('database', 'query', { query: 'CREATE TABLE nope (a int)' }, readOnly)).rejects.toMatchObject({
    type: FailureType.ToolFailed,
    nonRetryable: true,
    message: expect.stringContaining('read-only transaction'),
  });
  readOnly.remove();
  await expect(callTool('database', 'query', { query: 'SELEC 1' }, context)).rejects.toMatchObject({ type: FailureType.ToolFailed, nonRetryable: true, message: expect.stringContaining('42601') });
});

test('without ORC_DATABASE_URL the tool is unavailable, with the reason', async () => {
  expect(findTool('database')!.availability({})).toEqual({ available: false, reason: expect.stringContaining('ORC_DATABASE_URL') });
});
