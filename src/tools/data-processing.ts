// data-processing (alias data-processor): DuckDB over the step's data — rows inline, or CSV / JSON / Parquet files
// in the workspace. The step's action picks the operation; the result is the dialect's
// `{processed_data: {action, data}}` (pyorc-dialect.md section 5), `data` as rows or, with output_format csv, CSV text.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { isPlainObject } from '../compiler/values';
import { fileParameter, formatParameter, loadStepInput, loadValue, unwrapResult } from './data-input';
import {
  aggregateQuery, asList, castQuery, computeQuery, deduplicateQuery, fillMissingQuery, normalizeQuery, renameQuery, sortQuery, whereOf,
  type ColumnInfo,
} from './data-operations';
import { profileTable } from './data-profile';
import { DataSession, formatOfPath, loadQueryFiles, quoteIdentifier as id, quoteLiteral, rowsToCsv, type DataFormat, type QueryResult } from './duckdb-session';
import { invalidParameters } from './tool-failure';
import type { ToolAction, ToolContext, ToolModule } from './types';

type Parameters = Record<string, unknown>;
const parameters = z.record(z.string(), z.unknown());

/** The step's `operation` when it is an object: its keys count as parameters too. */
function specOf(parameters: Parameters): Parameters {
  return isPlainObject(parameters.operation) ? { ...parameters, ...parameters.operation } : parameters;
}

async function columnsOf(session: DataSession, table: string): Promise<ColumnInfo[]> {
  const described = await session.query(`DESCRIBE ${id(table)}`);
  return described.rows.map((row) => ({ name: String(row.column_name), type: String(row.column_type) }));
}

/** A data step: load its input as table `data`, lock the session, run `body`'s SQL, return the rows in the dialect's shape. */
async function tabular(action: string, parameters: Parameters, context: ToolContext, body: (session: DataSession) => Promise<string>): Promise<Record<string, unknown>> {
  // These read their input once, in no particular row order: a file is read in place, not copied first.
  const session = await DataSession.open({ lazyFiles: ['convert', 'filter', 'aggregate', 'pivot'].includes(action) });
  try {
    await loadStepInput(parameters, session, context.workspace, 'data');
    const output = outputOf(parameters, context);
    await session.lock(output?.format === 'parquet' ? output.absolute : undefined);
    await session.run(`CREATE TABLE orc_result AS ${await body(session)}`);
    const result = await session.query('SELECT * FROM orc_result');
    if (output) await writeOutput(session, result, output, context);
    return shaped(action, result, parameters, output?.relative);
  } finally {
    session.close();
  }
}

interface Output {
  relative: string;
  absolute: string;
  format: DataFormat;
}

function outputOf(parameters: Parameters, context: ToolContext): Output | undefined {
  const relative = parameters.output_path ?? parameters.output_file ?? parameters.save_to;
  if (typeof relative !== 'string' || relative.trim() === '') return undefined;
  const absolute = context.workspace.resolve(relative);
  return { relative, absolute, format: formatParameter(parameters.output_format) ?? formatOfPath(relative) ?? 'json' };
}

async function writeOutput(session: DataSession, result: QueryResult, output: Output, context: ToolContext): Promise<void> {
  fs.mkdirSync(path.dirname(output.absolute), { recursive: true });
  if (output.format === 'parquet') await session.run(`COPY orc_result TO ${quoteLiteral(output.absolute)} (FORMAT parquet)`);
  else fs.writeFileSync(output.absolute, output.format === 'csv' ? rowsToCsv(result.columns, result.rows) : JSON.stringify(result.rows, null, 2));
  context.wrote(output.relative);
}

function shaped(action: string, result: QueryResult, parameters: Parameters, written?: string): Record<string, unknown> {
  const fill = parameters.fill_value;
  const rows = action === 'pivot' && fill !== undefined ? result.rows.map((row) => Object.fromEntries(Object.entries(row).map(([key, value]) => [key, value ?? fill]))) : result.rows;
  const data = formatParameter(parameters.output_format) === 'csv' ? rowsToCsv(result.columns, rows) : rows;
  return {
    processed_data: { action, data, row_count: rows.length, column_names: result.columns },
    row_count: rows.length,
    column_names: result.columns,
    ...(written ? { output_path: written } : {}),
  };
}

function action<P extends Parameters>(description: string, run: (parameters: P, context: ToolContext) => Promise<Record<string, unknown>>): ToolAction<P> {
  return { description, parameters: parameters as unknown as z.ZodType<P>, run };
}

/** The transform steps, in order: `operations`, `transformations`, or one `operation` with a `type`. */
function transformSteps(parameters: Parameters): Parameters[] {
  const spec = specOf(parameters);
  const list = spec.operations ?? spec.transformations ?? spec.steps;
  if (Array.isArray(list)) return list.filter(isPlainObject);
  if (typeof spec.type === 'string') return [spec];
  return [];
}

function transformSql(step: Parameters, table: string, columns: ColumnInfo[]): string {
  const from = id(table);
  const type = String(step.type ?? step.operation ?? step.action ?? '').toLowerCase();
  switch (type) {
    case 'filter': case 'where': return `SELECT * FROM ${from} WHERE ${whereOf(step)}`;
    case 'aggregate': case 'group_by': case 'groupby': return aggregateQuery(from, step);
    case 'deduplicate': case 'remove_duplicates': case 'drop_duplicates': case 'dedupe': return deduplicateQuery(from, columns, step);
    case 'cast': case 'convert_types': case 'astype': return castQuery(from, columns, step);
    case 'fill_missing': case 'fillna': case 'handle_missing': return fillMissingQuery(from, columns, step);
    case 'rename': return renameQuery(from, columns, step);
    case 'select': case 'keep': return `SELECT ${asList(step.columns ?? step.fields).map(id).join(', ') || '*'} FROM ${from}`;
    case 'drop': case 'remove_columns': case 'drop_columns': return `SELECT * EXCLUDE (${asList(step.columns ?? step.fields).map(id).join(', ')}) FROM ${from}`;
    case 'sort': case 'order_by': return sortQuery(from, step);
    case 'limit': case 'head': return `SELECT * FROM ${from} LIMIT ${Number(step.n ?? step.count ?? step.limit ?? 10)}`;
    case 'calculate': case 'compute': case 'add_column': case 'derive': case 'calculated_field': return computeQuery(from, columns, step);
    case 'normalize': case 'scale': return normalizeQuery(from, columns, step);
    default:
      throw invalidParameters(`unknown transform '${type}': use filter, aggregate, deduplicate, cast, fill_missing, rename, select, drop, sort, limit, calculate or normalize`);
  }
}

/** Runs the steps one table at a time (each sees the columns the last made); returns the last table's name. */
async function transformChain(session: DataSession, steps: Parameters[]): Promise<string> {
  let table = 'data';
  for (const [index, step] of steps.entries()) {
    const next = `orc_step_${index}`;
    await session.run(`CREATE TABLE ${id(next)} AS ${transformSql(step, table, await columnsOf(session, table))}`);
    table = next;
  }
  return table;
}

/** clean: duplicates removed (unless remove_duplicates: false), missing values handled, text trimmed. */
async function cleanChain(session: DataSession, parameters: Parameters): Promise<string> {
  const steps: Parameters[] = [];
  if (parameters.remove_duplicates !== false) steps.push({ type: 'deduplicate', columns: parameters.subset });
  const missing = parameters.handle_missing ?? parameters.missing ?? parameters.fill_missing;
  if (missing !== undefined && missing !== false && missing !== 'keep') steps.push({ type: 'fill_missing', strategy: missing, value: parameters.fill_value });
  const table = await transformChain(session, steps);
  if (parameters.trim === false) return `SELECT * FROM ${id(table)}`;
  const columns = await columnsOf(session, table);
  return `SELECT ${columns.map((column) => (column.type === 'VARCHAR' ? `trim(${id(column.name)})` : id(column.name)) + ` AS ${id(column.name)}`).join(', ')} FROM ${id(table)}`;
}

function pivotSql(parameters: Parameters): string {
  const on = asList(parameters.columns ?? parameters.on);
  if (on.length === 0) throw invalidParameters('a pivot needs `columns` (the column whose values become columns)');
  const index = asList(parameters.index ?? parameters.rows ?? parameters.group_by);
  const values = asList(parameters.values ?? parameters.value);
  const fn = String(parameters.aggfunc ?? parameters.function ?? (values.length > 0 ? 'sum' : 'count')).replace(/^mean$/, 'avg');
  const using = values.length > 0 ? values.map((value) => `${fn}(${id(value)})`).join(', ') : 'count(*)';
  return `PIVOT data ON ${on.map(id).join(', ')} USING ${using}${index.length > 0 ? ` GROUP BY ${index.map(id).join(', ')} ORDER BY ${index.map(id).join(', ')}` : ''}`;
}

/** The step's own SQL over `data`, its named datasets and the workspace files it names. */
async function queryAction(parameters: Parameters, context: ToolContext): Promise<Record<string, unknown>> {
  const sql = parameters.query ?? parameters.sql;
  if (typeof sql !== 'string' || sql.trim() === '') throw invalidParameters('a query needs `query`: SQL over the table `data` (the step\'s data) or workspace files named in it');
  const session = await DataSession.open();
  try {
    if (fileParameter(parameters) !== undefined || (parameters.data !== undefined && parameters.data !== null)) await loadStepInput(parameters, session, context.workspace, 'data');
    for (const [name, value] of Object.entries(namedDatasets(parameters))) await loadValue(value, undefined, session, context.workspace, name);
    const rewritten = await loadQueryFiles(sql, session, context.workspace);
    await session.lock();
    const result = await session.query(rewritten);
    return shaped('query', result, parameters);
  } finally {
    session.close();
  }
}

/** `datasets` as `[{name, data|path}]` or `{name: data}`. */
function namedDatasets(parameters: Parameters): Record<string, unknown> {
  const given = parameters.datasets ?? parameters.tables;
  if (isPlainObject(given)) return given;
  if (!Array.isArray(given)) return {};
  return Object.fromEntries(given.filter(isPlainObject).map((item, index) => [String(item.name ?? `dataset_${index + 1}`), item.data ?? item.path ?? item.file]));
}

/** merge: `combine` (default) keeps each dataset under its name; `concat` stacks rows; `join` joins on `on`. */
async function mergeAction(parameters: Parameters, context: ToolContext): Promise<Record<string, unknown>> {
  const datasets = namedDatasets(parameters);
  if (Object.keys(datasets).length === 0) throw invalidParameters('a merge needs `datasets`: a list of {name, data} or a mapping of name to data');
  const strategy = String(parameters.merge_strategy ?? parameters.strategy ?? parameters.how ?? 'combine').toLowerCase();
  if (strategy === 'combine') {
    const data = Object.fromEntries(Object.entries(datasets).map(([name, value]) => [name, unwrapResult(value)]));
    return { processed_data: { action: 'merge', data }, dataset_count: Object.keys(data).length };
  }
  const session = await DataSession.open();
  try {
    const names = Object.keys(datasets);
    for (const name of names) await loadValue(datasets[name], undefined, session, context.workspace, name);
    await session.lock();
    const keys = asList(parameters.on ?? parameters.key ?? parameters.join_on);
    const sql = mergeSql(names, strategy, keys);
    return shaped('merge', await session.query(sql), parameters);
  } finally {
    session.close();
  }
}

function mergeSql(names: string[], strategy: string, keys: string[]): string {
  if (['concat', 'append', 'union', 'stack'].includes(strategy)) return names.map((name) => `SELECT * FROM ${id(name)}`).join(' UNION ALL BY NAME ');
  const kind = { join: 'INNER', inner: 'INNER', left: 'LEFT', outer: 'FULL OUTER', full: 'FULL OUTER', right: 'RIGHT' }[strategy];
  if (!kind) throw invalidParameters(`unknown merge_strategy '${strategy}': use combine, concat, join, left or outer`);
  if (keys.length === 0) throw invalidParameters(`a ${strategy} merge needs \`on\` (the key column or columns)`);
  const [first, ...rest] = names;
  return `SELECT * FROM ${id(first!)}${rest.map((name) => ` ${kind} JOIN ${id(name)} USING (${keys.map(id).join(', ')})`).join('')}`;
}

async function profileAction(parameters: Parameters, context: ToolContext): Promise<Record<string, unknown>> {
  const session = await DataSession.open();
  try {
    await loadStepInput(parameters, session, context.workspace, 'data');
    await session.lock();
    const profile = await profileTable(session, 'data', await columnsOf(session, 'data'));
    return { processed_data: { action: 'profile', data: profile, ...profile }, ...profile };
  } finally {
    session.close();
  }
}

const ACTIONS = {
  convert: action('Reads the data and gives it in output_format (json rows, csv text; parquet with output_path)', (p, c) => tabular('convert', p, c, async () => 'SELECT * FROM data')),
  filter: action('Keeps the rows that meet `criteria` ({column: value | [values] | {gt, lt, ...}}), `field`/`value`, or `where` (SQL)', (p, c) =>
    tabular('filter', p, c, async () => `SELECT * FROM data WHERE ${whereOf(specOf(p))}`)),
  aggregate: action('Groups by `group_by` and computes `aggregations` ({name: {column, function}}: sum, mean, count, count_distinct, min, max, median, std)', (p, c) =>
    tabular('aggregate', p, c, async () => aggregateQuery('data', specOf(p)))),
  transform: action('Applies `operations` in order: filter, aggregate, deduplicate, cast, fill_missing, rename, select, drop, sort, limit, calculate, normalize', (p, c) =>
    tabular('transform', p, c, async (session) => `SELECT * FROM ${id(await transformChain(session, transformSteps(p)))}`)),
  clean: action('Removes duplicate rows, handles missing values (`handle_missing`: drop, forward_fill, mean, zero, a value) and trims text', (p, c) =>
    tabular('clean', p, c, (session) => cleanChain(session, p))),
  pivot: action('Pivots: `index` rows, `columns` whose values become columns, `values` aggregated by `aggfunc`, `fill_value` for gaps', (p, c) =>
    tabular('pivot', p, c, async () => pivotSql(p))),
  profile: action('Row and column counts, duplicate rows, and per column its type, missing values, distinct values, min, max, mean', profileAction),
  merge: action('Merges `datasets`: merge_strategy combine (by name), concat, join/left/outer on `on`', mergeAction),
  query: action('Runs `query` (DuckDB SQL) over `data`, the named `datasets` and workspace files it names; nothing outside the workspace', queryAction),
};

const ACTION_ALIASES: Record<string, keyof typeof ACTIONS> = {
  process: 'transform', analyze: 'profile', analyse: 'profile', summarize: 'profile', statistics: 'profile', describe: 'profile',
  sql: 'query', execute: 'query', group: 'aggregate', group_by: 'aggregate', combine: 'merge', join: 'merge', deduplicate: 'clean',
};

export const dataProcessingTool: ToolModule = {
  name: 'data-processing',
  aliases: ['data-processor'],
  description: 'DuckDB over CSV, JSON and Parquet in the workspace, or rows given inline: convert, filter, aggregate, transform, clean, pivot, profile, merge, query',
  actions: ACTIONS,
  defaultAction: 'transform',
  actionFor(name, given) {
    for (const candidate of [name, given.action, given.operation_type]) {
      if (typeof candidate !== 'string') continue;
      const key = candidate.toLowerCase();
      if (key in ACTIONS) return key;
      if (ACTION_ALIASES[key]) return ACTION_ALIASES[key];
    }
    return undefined;
  },
  availability: () => ({ available: true }),
};
