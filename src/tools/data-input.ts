// What a data step's `data` (or `path`) means: rows inline (a list, JSON or CSV text, a previous data step's
// result) or a CSV / JSON / Parquet file in the workspace; loaded into a table of the session.
import { isPlainObject } from '../compiler/values';
import { formatOfPath, type DataFormat, type DataSession, type Row } from './duckdb-session';
import { invalidParameters } from './tool-failure';
import type { Workspace } from './types';

/** Parameter names the dialect's pipelines use for a file to read. */
const FILE_KEYS = ['path', 'file', 'file_path', 'input_file', 'input_path', 'source'] as const;

export function fileParameter(parameters: Record<string, unknown>): string | undefined {
  for (const key of FILE_KEYS) {
    const value = parameters[key];
    if (typeof value === 'string' && value.trim() !== '') return value.trim();
  }
  return undefined;
}

export function formatParameter(value: unknown): DataFormat | undefined {
  const text = typeof value === 'string' ? value.toLowerCase() : '';
  return text === 'csv' || text === 'json' || text === 'parquet' ? text : undefined;
}

/** Loads the step's input (its file, else its `data`) into `table`. */
export async function loadStepInput(parameters: Record<string, unknown>, session: DataSession, workspace: Workspace, table: string): Promise<void> {
  const file = fileParameter(parameters);
  if (file !== undefined) {
    await session.loadFile(workspace.resolve(file), formatParameter(parameters.format), table);
    return;
  }
  if (parameters.data === undefined || parameters.data === null || parameters.data === '') {
    throw invalidParameters('the step has no data: give `data` (rows, JSON or CSV text) or `path` (a CSV, JSON or Parquet file in the workspace)');
  }
  await loadValue(parameters.data, formatParameter(parameters.format), session, workspace, table);
}

/** Loads one value (rows, text, a file name or an earlier result) into `table`. */
export async function loadValue(value: unknown, format: DataFormat | undefined, session: DataSession, workspace: Workspace, table: string): Promise<void> {
  if (typeof value === 'string') {
    const text = value.trim();
    if (!text.includes('\n') && formatOfPath(text) && !/^[[{]/.test(text)) {
      await session.loadFile(workspace.resolve(text), format, table);
      return;
    }
    if (format !== 'csv' && /^[[{]/.test(text)) {
      const parsed = parseJson(text);
      if (parsed !== undefined) return loadValue(parsed, 'json', session, workspace, table);
      if (format === 'json') throw invalidParameters('`data` is not valid JSON (format: json)');
    }
    await session.loadInline(text.endsWith('\n') ? text : `${text}\n`, 'csv', table);
    return;
  }
  const inner = unwrapResult(value);
  if (typeof inner === 'string') return loadValue(inner, format, session, workspace, table);
  await session.loadInline(rowsOf(inner), 'json', table);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Rows out of a value: a list of records, a list of values, columns (`{a:[..], b:[..]}`), or an earlier result. */
export function rowsOf(value: unknown): Row[] {
  const inner = unwrapResult(value);
  if (Array.isArray(inner)) return inner.map((item) => (isPlainObject(item) ? item : { value: item }));
  if (isPlainObject(inner)) {
    const entries = Object.values(inner);
    const length = Array.isArray(entries[0]) ? entries[0].length : -1;
    if (entries.length > 0 && entries.every((column) => Array.isArray(column) && column.length === length)) {
      return Array.from({ length }, (_, index) => Object.fromEntries(Object.entries(inner).map(([key, column]) => [key, (column as unknown[])[index]])));
    }
    return [inner];
  }
  return [{ value: inner }];
}

/** An earlier data step's result (`{processed_data:{action,data}}`, `{result:{...}}`) stands for its data. */
export function unwrapResult(value: unknown): unknown {
  let current = typeof value === 'string' && /^\s*[[{]/.test(value) ? (parseJson(value) ?? value) : value;
  for (let depth = 0; depth < 4 && isPlainObject(current); depth++) {
    if ('processed_data' in current) current = current.processed_data;
    else if ('result' in current && Object.keys(current).every((key) => ['result', 'success', 'error'].includes(key))) current = current.result;
    else if ('data' in current && 'action' in current) current = current.data;
    else break;
    if (typeof current === 'string') current = parseJson(current) ?? current;
  }
  return current;
}
