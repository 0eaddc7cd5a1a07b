// One interface over two ClickHouse transports: chdb (embedded, the default and what CI checks all
// SQL against) and @clickhouse/client over HTTP (production servers). All SQL names tables fully
// qualified (db.table) so both transports run the same text.
import { ClickHouseError } from '../errors.js';

export type Row = Record<string, unknown>;

/**
 * A batch as columns: one array per column, all of the same length (one value per row). Hot paths
 * (the scorer) build these directly instead of one object per row; DateTime64 columns may hold epoch
 * milliseconds (ClickHouse reads an integer as ticks of the column's precision).
 */
export type ColumnBatch = Record<string, readonly unknown[]>;

export interface InsertOptions {
  /** ClickHouse insert_deduplication_token: a retried insert with the same token is dropped. */
  dedupToken?: string;
}

export interface ClickHouseStore {
  readonly kind: 'chdb' | 'http';
  readonly database: string;
  /** Runs a statement that returns nothing (DDL, INSERT ... SELECT, OPTIMIZE). */
  exec(sql: string): Promise<void>;
  /** Runs a SELECT and returns JSONEachRow rows; params bind as {name:Type} placeholders. */
  query<T extends Row = Row>(sql: string, params?: Record<string, unknown>): Promise<T[]>;
  insert(table: string, rows: readonly Row[], options?: InsertOptions): Promise<void>;
  /** Inserts a columnar batch (every column given for every row; see columnBatchRows). */
  insertColumns(table: string, columns: ColumnBatch, options?: InsertOptions): Promise<void>;
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

export interface StoreOptions {
  database: string;
  /** When set, talk HTTP to this server; otherwise embed chdb at chdbPath. */
  url?: string;
  username?: string;
  password?: string;
  chdbPath?: string;
  /** A read-only user (the reader role): the database is not created, only used. */
  readOnly?: boolean;
}

export function qualify(database: string, table: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(table))
    throw new ClickHouseError('CLICKHOUSE_QUERY_FAILED', `bad table name ${table}`);
  return `${database}.${table}`;
}

export function toJsonEachRow(rows: readonly Row[]): string {
  return rows.map((r) => JSON.stringify(r)).join('\n');
}

/**
 * The rows as one JSONColumns object ({"col": [v1, v2, ...]}), or null when the rows do not all
 * have exactly the first row's keys with defined values (then JSONEachRow keeps the per-row
 * "missing key = column default" meaning). ClickHouse parses this about twice as fast.
 */
export function toJsonColumns(rows: readonly Row[]): string | null {
  if (rows.length === 0) return null;
  const cols = Object.keys(rows[0]!);
  const out: Record<string, unknown[]> = {};
  for (const c of cols) out[c] = new Array<unknown>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    if (Object.keys(r).length !== cols.length) return null;
    for (const c of cols) {
      const v = r[c];
      if (v === undefined) return null;
      out[c]![i] = v;
    }
  }
  return JSON.stringify(out);
}

/** Rows in a columnar batch; a batch whose columns differ in length is a bug, refused here. */
export function columnBatchRows(columns: ColumnBatch): number {
  let n: number | undefined;
  for (const [name, values] of Object.entries(columns)) {
    if (n === undefined) n = values.length;
    else if (values.length !== n)
      throw new ClickHouseError('CLICKHOUSE_QUERY_FAILED', `column ${name} has ${values.length} values, not ${n}`);
  }
  return n ?? 0;
}

export function parseJsonEachRow<T>(text: string): T[] {
  const out: T[] = [];
  for (const line of text.split('\n')) if (line.trim() !== '') out.push(JSON.parse(line) as T);
  return out;
}
