// The SQL each data-processing operation runs over a table: filters, aggregations and the transform steps the
// dialect's pipelines write (deduplicate, cast, fill_missing, rename, select, drop, sort, compute, normalize).
import { isPlainObject } from '../compiler/values';
import { quoteIdentifier as id, quoteLiteral } from './duckdb-session';
import { invalidParameters } from './tool-failure';

export interface ColumnInfo {
  name: string;
  type: string;
}

const NUMERIC_TYPE = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|FLOAT|DOUBLE|DECIMAL)/;

export function isNumeric(column: ColumnInfo): boolean {
  return NUMERIC_TYPE.test(column.type);
}

export function asList(value: unknown): string[] {
  if (typeof value === 'string') return value.split(',').map((item) => item.trim()).filter(Boolean);
  return Array.isArray(value) ? value.map(String) : [];
}

/** A JSON value as an SQL literal. */
export function sqlValue(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'NULL';
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  return quoteLiteral(typeof value === 'object' ? JSON.stringify(value) : String(value));
}

const COMPARISONS: Record<string, string> = { eq: '=', equals: '=', ne: '<>', not_equals: '<>', gt: '>', gte: '>=', lt: '<', lte: '<=' };

/** `column` compared with `value` whatever the column's type: numbers as numbers, text as text. */
function compare(column: string, operator: string, value: unknown): string {
  if (typeof value === 'number') return `TRY_CAST(${id(column)} AS DOUBLE) ${operator} ${value}`;
  if (typeof value === 'boolean') return `TRY_CAST(${id(column)} AS BOOLEAN) ${operator} ${sqlValue(value)}`;
  return `CAST(${id(column)} AS VARCHAR) ${operator} ${sqlValue(value)}`;
}

/** One criterion: `status: active`, `age: {gt: 30}`, `kind: [a, b]`, `note: null`. */
function criterion(column: string, condition: unknown): string {
  if (condition === null) return `${id(column)} IS NULL`;
  if (Array.isArray(condition)) return `(${condition.map((value) => compare(column, '=', value)).join(' OR ') || 'FALSE'})`;
  if (!isPlainObject(condition)) return compare(column, '=', condition);
  return Object.entries(condition)
    .map(([operator, value]) => {
      if (COMPARISONS[operator]) return compare(column, COMPARISONS[operator]!, value);
      if (operator === 'in') return criterion(column, asArray(value));
      if (operator === 'not_in') return `NOT ${criterion(column, asArray(value))}`;
      if (operator === 'contains') return `CAST(${id(column)} AS VARCHAR) ILIKE ${sqlValue(`%${String(value)}%`)}`;
      if (operator === 'not_null' || operator === 'exists') return `${id(column)} IS ${value === false ? '' : 'NOT '}NULL`;
      throw invalidParameters(`unknown comparison '${operator}' for '${column}': use eq, ne, gt, gte, lt, lte, in, not_in, contains or not_null`);
    })
    .join(' AND ');
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [value];
}

/** The WHERE condition of criteria (`{column: condition}`), a `field`/`value` pair or an SQL expression. */
export function whereOf(spec: Record<string, unknown>): string {
  const parts: string[] = [];
  const criteria = spec.criteria ?? spec.conditions ?? spec.filters;
  if (isPlainObject(criteria)) parts.push(...Object.entries(criteria).map(([column, condition]) => criterion(column, condition)));
  if (Array.isArray(criteria)) parts.push(...criteria.filter(isPlainObject).map((item) => whereOf(item)));
  const field = spec.field ?? spec.column;
  if (typeof field === 'string' && 'value' in spec) {
    const operator = typeof spec.operator === 'string' ? spec.operator : 'eq';
    parts.push(criterion(field, operator === 'eq' || operator === '==' ? spec.value : { [operator]: spec.value }));
  }
  const where = spec.where ?? spec.expression ?? spec.condition ?? spec.query;
  if (typeof where === 'string' && where.trim() !== '') parts.push(`(${where})`);
  if (parts.length === 0) throw invalidParameters('a filter needs `criteria` ({column: value}), `field` and `value`, or `where` (an SQL condition)');
  return parts.join(' AND ');
}

const AGGREGATES: Record<string, (column: string) => string> = {
  sum: (c) => `sum(${c})`,
  mean: (c) => `avg(${c})`,
  avg: (c) => `avg(${c})`,
  average: (c) => `avg(${c})`,
  count: (c) => (c === '*' ? 'count(*)' : `count(${c})`),
  count_distinct: (c) => `count(DISTINCT ${c})`,
  nunique: (c) => `count(DISTINCT ${c})`,
  min: (c) => `min(${c})`,
  max: (c) => `max(${c})`,
  median: (c) => `median(${c})`,
  std: (c) => `stddev_samp(${c})`,
  stddev: (c) => `stddev_samp(${c})`,
  var: (c) => `var_samp(${c})`,
  first: (c) => `first(${c})`,
  last: (c) => `last(${c})`,
};

export interface Aggregation {
  name: string;
  column: string;
  fn: string;
}

function aggregateSql(aggregation: Aggregation): string {
  const make = AGGREGATES[aggregation.fn.toLowerCase()];
  if (!make) throw invalidParameters(`unknown aggregate function '${aggregation.fn}': use ${Object.keys(AGGREGATES).join(', ')}`);
  const column = aggregation.column === '*' ? '*' : id(aggregation.column);
  const numeric = ['sum', 'mean', 'avg', 'average', 'median', 'std', 'stddev', 'var'].includes(aggregation.fn.toLowerCase());
  return `${make(numeric ? `TRY_CAST(${column} AS DOUBLE)` : column)} AS ${id(aggregation.name)}`;
}

/** Aggregations as the pipelines write them: `{name: {column, function}}`, `{column: function}`, a list, or one `operation` + `field`. */
export function aggregationsOf(spec: Record<string, unknown>): Aggregation[] {
  const given = spec.aggregations ?? spec.aggregates ?? spec.metrics;
  if (isPlainObject(given)) {
    return Object.entries(given).map(([key, value]) => {
      if (isPlainObject(value)) return { name: key, column: String(value.column ?? value.field ?? key), fn: String(value.function ?? value.func ?? value.operation ?? 'sum') };
      return { name: `${key}_${String(value)}`, column: key, fn: String(value) };
    });
  }
  if (Array.isArray(given)) {
    return given.filter(isPlainObject).map((item) => {
      const column = String(item.column ?? item.field ?? '*');
      const fn = String(item.function ?? item.func ?? item.operation ?? 'count');
      return { name: String(item.alias ?? item.name ?? `${column === '*' ? 'all' : column}_${fn}`), column, fn };
    });
  }
  const fn = spec.function ?? spec.operation ?? spec.aggfunc;
  const column = spec.field ?? spec.column ?? spec.value;
  if (typeof fn === 'string' && typeof column === 'string') return [{ name: `${column}_${fn}`, column, fn }];
  return [{ name: 'count', column: '*', fn: 'count' }];
}

export function aggregateQuery(from: string, spec: Record<string, unknown>): string {
  const groups = asList(spec.group_by ?? spec.groupby ?? spec.by);
  const selects = [...groups.map(id), ...aggregationsOf(spec).map(aggregateSql)];
  const grouping = groups.length > 0 ? ` GROUP BY ${groups.map(id).join(', ')} ORDER BY ${groups.map(id).join(', ')}` : '';
  return `SELECT ${selects.join(', ')} FROM ${from}${grouping}`;
}

const CAST_TYPES: Record<string, string> = {
  integer: 'BIGINT', int: 'BIGINT', float: 'DOUBLE', double: 'DOUBLE', number: 'DOUBLE', numeric: 'DOUBLE',
  string: 'VARCHAR', str: 'VARCHAR', text: 'VARCHAR', boolean: 'BOOLEAN', bool: 'BOOLEAN',
  date: 'DATE', datetime: 'TIMESTAMP', timestamp: 'TIMESTAMP',
};

/** `SELECT` list over `columns` with some of them replaced by an expression. */
function replacing(columns: ColumnInfo[], replace: (column: ColumnInfo) => string | undefined): string {
  return columns.map((column) => `${replace(column) ?? id(column.name)} AS ${id(column.name)}`).join(', ');
}

export function castQuery(from: string, columns: ColumnInfo[], spec: Record<string, unknown>): string {
  const targets = isPlainObject(spec.columns) ? spec.columns : isPlainObject(spec.types) ? spec.types : {};
  return `SELECT ${replacing(columns, (column) => {
    const wanted = targets[column.name];
    if (wanted === undefined) return undefined;
    const type = CAST_TYPES[String(wanted).toLowerCase()] ?? String(wanted).toUpperCase();
    return `TRY_CAST(${id(column.name)} AS ${type})`;
  })} FROM ${from}`;
}

/** Missing values: `{column: value}`, one `value` for all, or a method (drop, forward_fill, mean, zero). */
export function fillMissingQuery(from: string, columns: ColumnInfo[], spec: Record<string, unknown>): string {
  const strategy = spec.strategy ?? spec.values ?? spec.handle_missing ?? spec.method;
  if (isPlainObject(strategy)) {
    return `SELECT ${replacing(columns, (column) => (column.name in strategy ? `COALESCE(${id(column.name)}, ${sqlValue(strategy[column.name])})` : undefined))} FROM ${from}`;
  }
  const method = typeof strategy === 'string' ? strategy.toLowerCase() : 'value';
  if (method === 'drop') return `SELECT * FROM ${from} WHERE ${columns.map((column) => `${id(column.name)} IS NOT NULL`).join(' AND ') || 'TRUE'}`;
  if (method === 'forward_fill' || method === 'ffill' || method === 'interpolate' || method === 'pad') {
    return `SELECT ${replacing(columns, (column) => `COALESCE(${id(column.name)}, last_value(${id(column.name)} IGNORE NULLS) OVER (ORDER BY rowid ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW))`)} FROM ${from}`;
  }
  if (method === 'mean' || method === 'median' || method === 'zero') {
    const fill = (column: ColumnInfo): string => (method === 'zero' ? '0' : `${method === 'mean' ? 'avg' : 'median'}(${id(column.name)}) OVER ()`);
    return `SELECT ${replacing(columns, (column) => (isNumeric(column) ? `COALESCE(${id(column.name)}, ${fill(column)})` : undefined))} FROM ${from}`;
  }
  const value = spec.value ?? spec.fill_value;
  if (value === undefined) throw invalidParameters(`unknown missing-value strategy '${String(strategy)}': use drop, forward_fill, mean, median, zero, a value, or {column: value}`);
  return `SELECT ${replacing(columns, (column) => `COALESCE(${id(column.name)}, ${sqlValue(value)})`)} FROM ${from}`;
}

export function deduplicateQuery(from: string, columns: ColumnInfo[], spec: Record<string, unknown>): string {
  const given = asList(spec.columns ?? spec.subset ?? spec.on);
  const keys = given.length > 0 ? given : columns.map((column) => column.name);
  const pick = String(spec.keep ?? 'first') === 'last' ? 'max' : 'min';
  return `SELECT * FROM ${from} WHERE rowid IN (SELECT ${pick}(rowid) FROM ${from} GROUP BY ${keys.map(id).join(', ')}) ORDER BY rowid`;
}

export function normalizeQuery(from: string, columns: ColumnInfo[], spec: Record<string, unknown>): string {
  const chosen = asList(spec.columns ?? spec.fields);
  const method = String(spec.method ?? 'min-max').toLowerCase().replace(/[_ ]/g, '-');
  return `SELECT ${replacing(columns, (column) => {
    if (!isNumeric(column) || (chosen.length > 0 && !chosen.includes(column.name))) return undefined;
    const c = id(column.name);
    if (method === 'z-score' || method === 'zscore' || method === 'standard') return `(${c} - avg(${c}) OVER ()) / NULLIF(stddev_samp(${c}) OVER (), 0)`;
    return `(${c} - min(${c}) OVER ()) / NULLIF(max(${c}) OVER () - min(${c}) OVER (), 0)`;
  })} FROM ${from}`;
}

export function renameQuery(from: string, columns: ColumnInfo[], spec: Record<string, unknown>): string {
  const mapping = isPlainObject(spec.mapping) ? spec.mapping : isPlainObject(spec.columns) ? spec.columns : {};
  return `SELECT ${columns.map((column) => `${id(column.name)} AS ${id(String(mapping[column.name] ?? column.name))}`).join(', ')} FROM ${from}`;
}

export function sortQuery(from: string, spec: Record<string, unknown>): string {
  const keys = asList(spec.by ?? spec.columns ?? spec.column ?? spec.field);
  if (keys.length === 0) throw invalidParameters('a sort needs `by` (a column or a list of columns)');
  const descending = spec.ascending === false || String(spec.order ?? '').toLowerCase() === 'desc';
  return `SELECT * FROM ${from} ORDER BY ${keys.map((key) => `${id(key)} ${descending ? 'DESC' : 'ASC'}`).join(', ')}`;
}

/** New columns from SQL expressions: `{name, expression}` or `expressions: {name: expression}`. */
export function computeQuery(from: string, columns: ColumnInfo[], spec: Record<string, unknown>): string {
  const single = spec.name ?? spec.column ?? spec.new_column ?? spec.field;
  const expression = spec.expression ?? spec.formula;
  const expressions = isPlainObject(spec.expressions) ? spec.expressions : typeof single === 'string' && typeof expression === 'string' ? { [single]: expression } : {};
  const entries = Object.entries(expressions).filter((entry): entry is [string, string] => typeof entry[1] === 'string');
  if (entries.length === 0) throw invalidParameters('a computed column needs `name` and `expression` (SQL, e.g. "quantity * unit_price"), or `expressions: {name: expression}`');
  const replaced = entries.map(([name]) => name).filter((name) => columns.some((column) => column.name === name));
  const others = replaced.length > 0 ? `* EXCLUDE (${replaced.map(id).join(', ')})` : '*';
  // MySQL's DATE_FORMAT(value, format) is DuckDB's strftime(value, format).
  const selects = entries.map(([name, sql]) => `${sql.replace(/\bDATE_FORMAT\s*\(/gi, 'strftime(')} AS ${id(name)}`);
  return `SELECT ${others}, ${selects.join(', ')} FROM ${from}`;
}
