// ClickHouse server over HTTP with the official client.
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import { ClickHouseError } from '../errors.js';
import {
  columnBatchRows,
  qualify,
  type ClickHouseStore,
  type ColumnBatch,
  type InsertOptions,
  type Row,
} from './store.js';

export class HttpStore implements ClickHouseStore {
  readonly kind = 'http' as const;
  private readonly client: ClickHouseClient;

  constructor(
    readonly url: string,
    readonly database: string,
    username = 'default',
    password = '',
  ) {
    // No default database on the connection: the database may not exist yet, and all SQL is qualified.
    this.client = createClient({
      url,
      username,
      password,
      request_timeout: 60_000,
      compression: { request: false, response: false },
      // Failures are rethrown as ClickHouseError and logged by the caller; the client's own log would double them.
      log: { level: ClickHouseLogLevel.OFF },
    });
  }

  private wrap(err: unknown, sql: string): ClickHouseError {
    return new ClickHouseError('CLICKHOUSE_QUERY_FAILED', `${(err as Error).message}\n  in: ${sql.slice(0, 300)}`, {
      cause: err,
    });
  }

  async exec(sql: string): Promise<void> {
    try {
      await this.client.command({ query: sql });
    } catch (err) {
      throw this.wrap(err, sql);
    }
  }

  async query<T extends Row = Row>(sql: string, params?: Record<string, unknown>): Promise<T[]> {
    try {
      const rs = await this.client.query({ query: sql, format: 'JSONEachRow', query_params: params });
      return (await rs.json()) as T[];
    } catch (err) {
      throw this.wrap(err, sql);
    }
  }

  async insert(table: string, rows: readonly Row[], options: InsertOptions = {}): Promise<void> {
    if (rows.length === 0) return;
    try {
      await this.client.insert({
        table: qualify(this.database, table),
        values: rows as Row[],
        format: 'JSONEachRow',
        clickhouse_settings: options.dedupToken ? { insert_deduplication_token: options.dedupToken } : undefined,
      });
    } catch (err) {
      throw this.wrap(err, `INSERT INTO ${table}`);
    }
  }

  /** False once the server said it does not know JSONCompactEachRow (ClickHouse before 19.x). */
  private compactRows = true;

  /**
   * A columnar batch as JSONCompactEachRow: positional arrays, so the column names are not repeated
   * in every row as JSONEachRow repeats them. The client 1.23 has no binary insert format (RowBinary
   * and Native are not in its list; Parquet would need a writer), so this is the leanest it sends. A
   * server too old for the format (the stack's 18.16 check server) gets JSONEachRow rows instead.
   */
  async insertColumns(table: string, columns: ColumnBatch, options: InsertOptions = {}): Promise<void> {
    const n = columnBatchRows(columns);
    if (n === 0) return;
    const names = Object.keys(columns);
    const cols = names.map((c) => columns[c]!);
    if (this.compactRows) {
      const values = new Array<unknown[]>(n);
      for (let i = 0; i < n; i++) values[i] = cols.map((col) => col[i]);
      try {
        await this.insertValues(table, values, 'JSONCompactEachRow', options, names);
        return;
      } catch (err) {
        if (!/Unknown format JSONCompactEachRow/.test((err as Error).message)) throw err;
        this.compactRows = false;
      }
    }
    const rows = new Array<Row>(n);
    for (let i = 0; i < n; i++) rows[i] = Object.fromEntries(names.map((c, k) => [c, cols[k]![i]]));
    await this.insertValues(table, rows, 'JSONEachRow', options);
  }

  private async insertValues(
    table: string,
    values: unknown[][] | Row[],
    format: 'JSONCompactEachRow' | 'JSONEachRow',
    options: InsertOptions,
    columns?: string[],
  ): Promise<void> {
    try {
      await this.client.insert({
        table: qualify(this.database, table),
        // Positional rows for JSONCompactEachRow: the client writes each element with JSON.stringify.
        values: values as Row[],
        format,
        ...(columns ? { columns: columns as [string, ...string[]] } : {}),
        clickhouse_settings: options.dedupToken ? { insert_deduplication_token: options.dedupToken } : undefined,
      });
    } catch (err) {
      throw this.wrap(err, `INSERT INTO ${table}`);
    }
  }

  async ping(): Promise<boolean> {
    const r = await this.client.ping();
    return r.success;
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
