// One in-memory DuckDB database per tool call. Every file it reads is resolved through the workspace and loaded
// into a table first; then external access is switched off and the configuration locked, so a query can read
// nothing but those tables (no file, no URL, no extension) whatever it says.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { FailureType } from '../base/failure-types';
import { backendFailed, invalidParameters, toolFailure } from './tool-failure';
import type { Workspace } from './types';

export type DataFormat = 'csv' | 'json' | 'parquet';
export type Row = Record<string, unknown>;

export interface QueryResult {
  columns: string[];
  types: string[];
  rows: Row[];
}

const NUMERIC_AS_TEXT = /^(BIGINT|HUGEINT|UBIGINT|UHUGEINT|DECIMAL)/;
const READERS: Record<DataFormat, string> = { csv: 'read_csv_auto', json: 'read_json_auto', parquet: 'read_parquet' };

/** The format a file's name says, else undefined. */
export function formatOfPath(file: string): DataFormat | undefined {
  const extension = path.extname(file).toLowerCase();
  if (extension === '.csv' || extension === '.tsv') return 'csv';
  if (extension === '.json' || extension === '.jsonl' || extension === '.ndjson') return 'json';
  if (extension === '.parquet') return 'parquet';
  return undefined;
}

export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

export class DataSession {
  private tables = 0;
  private locked = false;
  private scratch?: string;
  /** Files read where they are (views) rather than copied into tables: the only paths DuckDB may open once locked. */
  private readonly readInPlace: string[] = [];

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
    private readonly lazyFiles: boolean,
  ) {}

  /**
   * `lazyFiles`: a file is read by the one query that needs it (a view, that exact path allowed) instead of being
   * copied into a table first; for actions that read their input once and need no row order.
   */
  static async open(options: { lazyFiles?: boolean } = {}): Promise<DataSession> {
    const instance = await DuckDBInstance.create(':memory:', { autoinstall_known_extensions: 'false', autoload_known_extensions: 'false' });
    return new DataSession(instance, await instance.connect(), options.lazyFiles === true);
  }

  /** Loads a workspace-resolved file into a new table; returns the table's name. */
  async loadFile(absolutePath: string, format: DataFormat | undefined, table?: string): Promise<string> {
    if (this.locked) throw new Error('DataSession: files are loaded before the session is locked');
    const kind = format ?? formatOfPath(absolutePath);
    if (!kind) throw invalidParameters(`cannot tell the format of '${path.basename(absolutePath)}': name it .csv, .json or .parquet, or give format: csv|json|parquet`);
    if (!fs.existsSync(absolutePath)) throw invalidParameters(`no file '${path.basename(absolutePath)}' in the workspace`);
    const name = table ?? this.nextTable();
    if (this.lazyFiles) this.readInPlace.push(absolutePath);
    await this.run(`CREATE ${this.lazyFiles ? 'VIEW' : 'TABLE'} ${quoteIdentifier(name)} AS SELECT * FROM ${READERS[kind]}(${quoteLiteral(absolutePath)})`);
    return name;
  }

  /** Loads rows given inline (already parsed, or CSV text) into a new table through a private scratch file. */
  async loadInline(data: Row[] | string, format: 'json' | 'csv', table?: string): Promise<string> {
    this.scratch ??= fs.mkdtempSync(path.join(os.tmpdir(), 'orc-data-'));
    const file = path.join(this.scratch, `${this.tables}.${format}`);
    fs.writeFileSync(file, typeof data === 'string' ? data : JSON.stringify(data));
    const name = table ?? this.nextTable();
    if (format === 'json' && Array.isArray(data) && data.length === 0) {
      await this.run(`CREATE TABLE ${quoteIdentifier(name)} (empty VARCHAR)`);
      await this.run(`DELETE FROM ${quoteIdentifier(name)}`);
      return name;
    }
    await this.run(`CREATE TABLE ${quoteIdentifier(name)} AS SELECT * FROM ${READERS[format]}(${quoteLiteral(file)})`);
    return name;
  }

  /** From here on no statement reaches a file, a URL or an extension, and no setting can be changed back. */
  async lock(writablePath?: string): Promise<void> {
    const allowed = [...this.readInPlace, ...(writablePath ? [writablePath] : [])];
    if (allowed.length > 0) await this.run(`SET allowed_paths=[${allowed.map(quoteLiteral).join(', ')}]`);
    await this.run('SET enable_external_access=false');
    await this.run('SET lock_configuration=true');
    this.locked = true;
  }

  async query(sql: string): Promise<QueryResult> {
    try {
      const reader = await this.connection.runAndReadAll(sql);
      const types = reader.columnTypes().map(String);
      const columns = reader.columnNames();
      const rows = reader.getRowObjectsJson().map((row) => numbersAsNumbers(row as Row, columns, types));
      return { columns, types, rows };
    } catch (error) {
      throw this.failureOf(error, sql);
    }
  }

  async run(sql: string): Promise<void> {
    try {
      await this.connection.run(sql);
    } catch (error) {
      throw this.failureOf(error, sql);
    }
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
    if (this.scratch) fs.rmSync(this.scratch, { recursive: true, force: true });
  }

  private nextTable(): string {
    return `t${this.tables++}`;
  }

  private failureOf(error: unknown, sql: string): Error {
    const message = (error instanceof Error ? error.message : String(error)).replace(/^Error: /, '');
    if (/^Permission Error/.test(message)) {
      return toolFailure(
        FailureType.PathOutsideWorkspace,
        `the query reaches outside the step's data (${message.split('\n')[0]}): a query reads only the step's data and the workspace files it names; nothing was read`,
      );
    }
    if (/^(Parser|Binder|Conversion|Invalid Input|Catalog) Error/.test(message)) return invalidParameters(`DuckDB refused the query: ${message.split('\n')[0]} (in: ${sql.slice(0, 200)})`);
    return backendFailed(`DuckDB failed: ${message.split('\n')[0]}`);
  }
}

/** DuckDB hands 64-bit integers and decimals over as text: numbers again when they fit. */
function numbersAsNumbers(row: Row, columns: string[], types: string[]): Row {
  columns.forEach((column, index) => {
    const value = row[column];
    if (typeof value !== 'string' || !NUMERIC_AS_TEXT.test(types[index] ?? '')) return;
    const number = Number(value);
    if (Number.isFinite(number) && (!Number.isInteger(number) || Number.isSafeInteger(number))) row[column] = number;
  });
  return row;
}

/** Rows as CSV text (RFC 4180 quoting), columns in the given order. */
export function rowsToCsv(columns: string[], rows: Row[]): string {
  const cell = (value: unknown): string => {
    if (value === null || value === undefined) return '';
    const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
    return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  return [columns.map(cell).join(','), ...rows.map((row) => columns.map((column) => cell(row[column])).join(','))].join('\n') + '\n';
}

/** Workspace paths a query names in string literals: each resolved (refused when it leaves) and loaded as a table. */
export async function loadQueryFiles(sql: string, session: DataSession, workspace: Workspace): Promise<string> {
  const call = /\b(read_csv_auto|read_csv|read_json_auto|read_json|read_ndjson|read_parquet|parquet_scan)\s*\(\s*'((?:[^']|'')*)'\s*(?:,[^)]*)?\)/gi;
  let rewritten = '';
  let last = 0;
  for (const match of sql.matchAll(call)) {
    const reader = match[1]!.toLowerCase();
    const format: DataFormat = reader.includes('parquet') ? 'parquet' : reader.includes('json') ? 'json' : 'csv';
    const table = await session.loadFile(workspace.resolve(match[2]!.replace(/''/g, "'")), format);
    rewritten += sql.slice(last, match.index) + quoteIdentifier(table);
    last = match.index + match[0].length;
  }
  rewritten += sql.slice(last);
  return loadBareFileLiterals(rewritten, session, workspace);
}

/** `FROM 'sales.csv'`: DuckDB's short form for reading a file. */
async function loadBareFileLiterals(sql: string, session: DataSession, workspace: Workspace): Promise<string> {
  const bare = /\b(FROM|JOIN)\s+'((?:[^']|'')*)'/gi;
  let rewritten = '';
  let last = 0;
  for (const match of sql.matchAll(bare)) {
    const table = await session.loadFile(workspace.resolve(match[2]!.replace(/''/g, "'")), undefined);
    rewritten += sql.slice(last, match.index) + `${match[1]} ${quoteIdentifier(table)}`;
    last = match.index + match[0].length;
  }
  return rewritten + sql.slice(last);
}
