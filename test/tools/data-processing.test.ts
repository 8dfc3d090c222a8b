// data-processing on real DuckDB: each action over inline rows and workspace files, and no way out of the workspace.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FailureType } from '../../src/base/failure-types';
import { callTool, toolContext, type TestToolContext } from './tool-context';

const SALES = ['order_id,product,status,quantity,unit_price', '1,apple,active,3,2.5', '2,pear,active,1,4', '3,apple,cancelled,2,2.5', '3,apple,cancelled,2,2.5', '4,plum,active,,1'].join('\n');

let context: TestToolContext;
beforeEach(() => {
  context = toolContext();
  fs.writeFileSync(path.join(context.workspace.root, 'sales.csv'), `${SALES}\n`);
});
afterEach(() => context.remove());

type Processed = { processed_data: { action: string; data: unknown } & Record<string, unknown> };
const run = async (action: string, parameters: Record<string, unknown>) => (await callTool('data-processing', action, parameters, context)) as Processed;

test('filter: CSV text with criteria gives the matching rows, as CSV when asked', async () => {
  const result = await run('filter', { data: SALES, format: 'csv', operation: { criteria: { status: 'active' } }, output_format: 'csv' });
  expect(result.processed_data.action).toBe('filter');
  expect(result.processed_data.data).toBe('order_id,product,status,quantity,unit_price\n1,apple,active,3,2.5\n2,pear,active,1,4\n4,plum,active,,1\n');
});

test('aggregate: a workspace CSV grouped, with named aggregations', async () => {
  const result = await run('aggregate', {
    path: 'sales.csv',
    group_by: ['product'],
    aggregations: { total_quantity: { column: 'quantity', function: 'sum' }, orders: { column: 'order_id', function: 'count_distinct' } },
  });
  expect(result.processed_data.data).toEqual([
    { product: 'apple', total_quantity: 7, orders: 2 },
    { product: 'pear', total_quantity: 1, orders: 1 },
    { product: 'plum', total_quantity: null, orders: 1 },
  ]);
});

test('transform: the dialect corpus form (deduplicate, cast, fill_missing, calculate, filter) in order', async () => {
  const result = await run('transform', {
    data: SALES,
    operations: [
      { type: 'deduplicate', columns: ['order_id'], keep: 'first' },
      { type: 'cast', columns: { quantity: 'integer', unit_price: 'float' } },
      { type: 'fill_missing', strategy: { quantity: 1 } },
      { type: 'calculate', expressions: { total_amount: 'quantity * unit_price' } },
      { type: 'filter', condition: "status != 'cancelled'" },
    ],
  });
  expect(result.processed_data.data).toEqual([
    { order_id: 1, product: 'apple', status: 'active', quantity: 3, unit_price: 2.5, total_amount: 7.5 },
    { order_id: 2, product: 'pear', status: 'active', quantity: 1, unit_price: 4, total_amount: 4 },
    { order_id: 4, product: 'plum', status: 'active', quantity: 1, unit_price: 1, total_amount: 1 },
  ]);
});

test('transform: the older form (operation.transformations) over JSON rows, and normalize', async () => {
  const rows = [{ active: true, value: 2 }, { active: false, value: 5 }, { active: true, value: 4 }];
  const summed = await run('transform', { data: JSON.stringify(rows), operation: { transformations: [{ type: 'filter', field: 'active', value: true }, { type: 'aggregate', operation: 'sum', field: 'value' }] } });
  expect(summed.processed_data.data).toEqual([{ value_sum: 6 }]);
  const normalized = await run('transform', { data: rows, operation: { type: 'normalize', method: 'min-max' } });
  expect((normalized.processed_data.data as Array<{ value: number }>).map((row) => row.value)).toEqual([0, 1, 2 / 3]);
});

test('profile: counts, duplicates and per-column missing values as the corpus reads them', async () => {
  const result = await run('profile', { data: SALES, format: 'csv' });
  expect(result.processed_data).toMatchObject({ action: 'profile', row_count: 5, column_count: 5, duplicate_rows: 1 });
  expect((result.processed_data.columns as Record<string, { missing_count: number; missing_percentage: number }>).quantity).toMatchObject({ missing_count: 1, missing_percentage: 20 });
});

test('pivot, clean, convert to a Parquet file and read it back', async () => {
  const pivot = await run('pivot', { path: 'sales.csv', index: ['product'], columns: ['status'], values: ['quantity'], aggfunc: 'sum', fill_value: 0 });
  expect(pivot.processed_data.data).toEqual([
    { product: 'apple', active: 3, cancelled: 4 },
    { product: 'pear', active: 1, cancelled: 0 },
    { product: 'plum', active: 0, cancelled: 0 },
  ]);
  const clean = await run('clean', { data: SALES, remove_duplicates: true, handle_missing: 'forward_fill' });
  expect((clean.processed_data.data as unknown[]).length).toBe(4);
  expect((clean.processed_data.data as Array<{ quantity: number }>)[3]!.quantity).toBe(2);
  const converted = await callTool('data-processing', 'convert', { path: 'sales.csv', output_path: 'out/sales.parquet' }, context);
  expect(converted.output_path).toBe('out/sales.parquet');
  expect(context.written).toEqual(['out/sales.parquet']);
  const back = await run('aggregate', { path: 'out/sales.parquet', aggregations: { n: { column: '*', function: 'count' } } });
  expect(back.processed_data.data).toEqual([{ n: 5 }]);
});

test('merge: combine keeps datasets by name; concat stacks rows; data-processor is the same tool', async () => {
  const combined = await run('merge', { datasets: [{ name: 'a', data: { x: 1 } }, { name: 'b', data: '[{"y":2}]' }], merge_strategy: 'combine' });
  expect(combined.processed_data.data).toEqual({ a: { x: 1 }, b: [{ y: 2 }] });
  const stacked = (await callTool('data-processor', 'merge', { datasets: { a: [{ x: 1 }], b: [{ x: 2, y: 3 }] }, merge_strategy: 'concat' }, context)) as Processed;
  expect(stacked.processed_data.data).toEqual([{ x: 1, y: null }, { x: 2, y: 3 }]);
});

test('query: SQL over a workspace file named in it', async () => {
  const result = await run('query', { query: "SELECT product, sum(quantity) AS q FROM read_csv('sales.csv') GROUP BY product ORDER BY q DESC LIMIT 1" });
  expect(result.processed_data.data).toEqual([{ product: 'apple', q: 7 }]);
});

describe('no way out of the workspace', () => {
  let outside: string;
  beforeEach(() => {
    outside = fs.mkdtempSync(path.join(os.tmpdir(), 'orc-outside-'));
    fs.writeFileSync(path.join(outside, 'secret.csv'), 'secret\nhunter2\n');
  });
  afterEach(() => fs.rmSync(outside, { recursive: true, force: true }));

  const outsideType = FailureType.PathOutsideWorkspace;
  test.each<[string, string, () => string]>([
    ['an absolute path in read_csv', outsideType, () => `SELECT * FROM read_csv('${path.join(outside, 'secret.csv')}')`],
    ['a bare file literal', outsideType, () => `SELECT * FROM '${path.join(outside, 'secret.csv')}'`],
    ['a .. path', outsideType, () => `SELECT * FROM read_csv_auto('../${path.basename(outside)}/secret.csv')`],
    ['a path built at run time', outsideType, () => `SELECT * FROM read_csv('${outside}' || '/secret.csv')`],
    ['glob()', outsideType, () => `SELECT * FROM glob('${outside}/*')`],
    ['a file written by COPY', outsideType, () => `COPY (SELECT 1) TO '${path.join(outside, 'x.csv')}'`],
    ['external access switched back on (configuration locked)', FailureType.InvalidStep, () => 'SET enable_external_access=true'],
  ])('%s is refused (%s) and reads nothing', async (_name, type, sql) => {
    const attempt = run('query', { data: [{ a: 1 }], query: sql() });
    await expect(attempt).rejects.toMatchObject({ type });
    await attempt.catch((error: Error) => expect(error.message).not.toContain('hunter2'));
    expect(fs.readdirSync(outside)).toEqual(['secret.csv']);
  });

  test('a filter read in place (a view over the workspace file) still reaches no other file through its condition', async () => {
    const where = `(SELECT count(*) FROM read_csv('${path.join(outside, 'secret.csv')}')) > 0`;
    await expect(run('filter', { path: 'sales.csv', where })).rejects.toMatchObject({ type: FailureType.PathOutsideWorkspace });
    await expect(run('aggregate', { path: 'sales.csv', aggregations: { n: { column: '*', function: 'count' } } })).resolves.toMatchObject({ processed_data: { data: [{ n: 5 }] } });
  });

  test('a symlink inside the workspace that points out is refused', async () => {
    fs.symlinkSync(path.join(outside, 'secret.csv'), path.join(context.workspace.root, 'link.csv'));
    await expect(run('convert', { path: 'link.csv' })).rejects.toMatchObject({ type: FailureType.PathOutsideWorkspace });
    await expect(run('query', { query: "SELECT * FROM 'link.csv'" })).rejects.toMatchObject({ type: FailureType.PathOutsideWorkspace });
  });

  test('a file outside named as the query reads it is PATH_OUTSIDE_WORKSPACE', async () => {
    await expect(run('query', { data: [{ a: 1 }], query: `SELECT * FROM read_csv('${path.join(outside, 'secret.csv')}')` })).rejects.toMatchObject({
      type: FailureType.PathOutsideWorkspace,
    });
  });
});
