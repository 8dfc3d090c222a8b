// The profile of a table: what the dialect's pipelines read (`row_count`, `column_count`, `duplicate_rows`,
// `columns.<name>.missing_count`, `.missing_percentage`, `.data_type`, ...).
import { isNumeric, type ColumnInfo } from './data-operations';
import { quoteIdentifier as id, type DataSession } from './duckdb-session';

export interface ColumnProfile {
  data_type: string;
  missing_count: number;
  missing_percentage: number;
  unique_count: number;
  min: unknown;
  max: unknown;
  mean?: number | null;
  std?: number | null;
}

export interface TableProfile {
  row_count: number;
  column_count: number;
  duplicate_rows: number;
  columns: Record<string, ColumnProfile>;
}

export async function profileTable(session: DataSession, table: string, columns: ColumnInfo[]): Promise<TableProfile> {
  const from = id(table);
  const counts = await session.query(
    `SELECT count(*) AS row_count, (SELECT count(*) FROM (SELECT DISTINCT * FROM ${from})) AS distinct_rows FROM ${from}`,
  );
  const rowCount = Number(counts.rows[0]?.row_count ?? 0);
  const distinctRows = Number(counts.rows[0]?.distinct_rows ?? 0);
  const profiles: Record<string, ColumnProfile> = {};
  for (const column of columns) profiles[column.name] = await profileColumn(session, from, column, rowCount);
  return { row_count: rowCount, column_count: columns.length, duplicate_rows: rowCount - distinctRows, columns: profiles };
}

async function profileColumn(session: DataSession, from: string, column: ColumnInfo, rowCount: number): Promise<ColumnProfile> {
  const c = id(column.name);
  const numeric = isNumeric(column);
  const stats = numeric ? `, avg(${c})::DOUBLE AS mean, stddev_samp(${c})::DOUBLE AS std` : '';
  const { rows } = await session.query(
    `SELECT count(${c}) AS present, count(DISTINCT ${c}) AS unique_count, min(${c}) AS min, max(${c}) AS max${stats} FROM ${from}`,
  );
  const row = rows[0] ?? {};
  const missing = rowCount - Number(row.present ?? 0);
  return {
    data_type: column.type,
    missing_count: missing,
    missing_percentage: rowCount === 0 ? 0 : Math.round((missing / rowCount) * 10000) / 100,
    unique_count: Number(row.unique_count ?? 0),
    min: row.min ?? null,
    max: row.max ?? null,
    ...(numeric ? { mean: (row.mean as number | null) ?? null, std: (row.std as number | null) ?? null } : {}),
  };
}
