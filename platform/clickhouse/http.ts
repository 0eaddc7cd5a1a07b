// ClickHouse server over HTTP with the official client.
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
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

  /** The leanest format the server took so far; a server too old for one is asked once, then not again. */
  private columnsFormat: 'JSONColumns' | 'JSONCompactEachRow' | 'JSONEachRow' = 'JSONColumns';

  /**
   * A columnar batch. JSONColumns first (what current ClickHouse releases take): the caller's arrays in one
   * native JSON.stringify, sent as the body of an `exec` (the client has no JSONColumns insert, and
   * its `insert` stringifies row by row; bench:scoring --clickhouse sink measures both). A server
   * that does not know it gets JSONCompactEachRow (positional rows, names not repeated), one older
   * still (the stack's 18.16 check server) JSONEachRow rows.
   */
  async insertColumns(table: string, columns: ColumnBatch, options: InsertOptions = {}): Promise<void> {
    const n = columnBatchRows(columns);
    if (n === 0) return;
    const names = Object.keys(columns);
    const cols = names.map((c) => columns[c]!);
    if (this.columnsFormat === 'JSONColumns') {
      if (await this.unlessUnknownFormat(() => this.insertJsonColumns(table, columns, options))) return;
      this.columnsFormat = 'JSONCompactEachRow';
    }
    if (this.columnsFormat === 'JSONCompactEachRow') {
      const values = new Array<unknown[]>(n);
      for (let i = 0; i < n; i++) values[i] = cols.map((col) => col[i]);
      const insert = () => this.insertValues(table, values, 'JSONCompactEachRow', options, names);
      if (await this.unlessUnknownFormat(insert)) return;
      this.columnsFormat = 'JSONEachRow';
    }
    const rows = new Array<Row>(n);
    for (let i = 0; i < n; i++) rows[i] = Object.fromEntries(names.map((c, k) => [c, cols[k]![i]]));
    await this.insertValues(table, rows, 'JSONEachRow', options);
  }

  /** True when `insert` ran; false when the server does not know its format (any other error is thrown). */
  private async unlessUnknownFormat(insert: () => Promise<void>): Promise<boolean> {
    try {
      await insert();
      return true;
    } catch (err) {
      if (/Unknown (input )?format/i.test((err as Error).message)) return false;
      throw err;
    }
  }

  private async insertJsonColumns(table: string, columns: ColumnBatch, options: InsertOptions): Promise<void> {
    const names = Object.keys(columns).join(', ');
    const query = `INSERT INTO ${qualify(this.database, table)} (${names}) FORMAT JSONColumns`;
    try {
      const result = await this.client.exec({
        query,
        values: Readable.from([JSON.stringify(columns)]),
        clickhouse_settings: options.dedupToken ? { insert_deduplication_token: options.dedupToken } : undefined,
      });
      result.stream.resume(); // the response body is empty; read it so the socket goes back to the pool
      await finished(result.stream);
    } catch (err) {
      throw this.wrap(err, `INSERT INTO ${table}`);
    }
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
