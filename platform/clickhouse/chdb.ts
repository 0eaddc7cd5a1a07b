// Embedded ClickHouse (chdb). One process owns a data directory (chdb locks it), so the embedded demo
// runs all processors in one process and each test file uses a fresh directory.
import { mkdirSync } from 'node:fs';
import { Session } from 'chdb';
import { ClickHouseError } from '../errors.js';
import {
  columnBatchRows,
  parseJsonEachRow,
  qualify,
  toJsonColumns,
  toJsonEachRow,
  type ClickHouseStore,
  type ColumnBatch,
  type InsertOptions,
  type Row,
} from './store.js';

export class ChdbStore implements ClickHouseStore {
  readonly kind = 'chdb' as const;
  private readonly session: Session;
  // chdb runs one statement at a time per session; a queue keeps concurrent callers in order.
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    readonly path: string,
    readonly database: string,
  ) {
    mkdirSync(path, { recursive: true });
    try {
      this.session = new Session(path);
    } catch (err) {
      throw new ClickHouseError(
        'CLICKHOUSE_QUERY_FAILED',
        `cannot open chdb at ${path} (is another process using it?): ${(err as Error).message}`,
        { cause: err },
      );
    }
  }

  private run<T>(fn: () => Promise<T>, sql: string): Promise<T> {
    const next = this.chain.then(fn, fn).catch((err: unknown) => {
      throw new ClickHouseError('CLICKHOUSE_QUERY_FAILED', `${(err as Error).message}\n  in: ${sql.slice(0, 300)}`, {
        cause: err,
      });
    });
    this.chain = next.catch(() => undefined);
    return next;
  }

  async exec(sql: string): Promise<void> {
    await this.run(() => this.session.queryAsync(sql, { format: 'TabSeparated' }), sql);
  }

  async query<T extends Row = Row>(sql: string, params?: Record<string, unknown>): Promise<T[]> {
    const res = await this.run(
      () =>
        params
          ? this.session.queryBindAsync(sql, params, { format: 'JSONEachRow' })
          : this.session.queryAsync(sql, { format: 'JSONEachRow' }),
      sql,
    );
    return parseJsonEachRow<T>(res.text());
  }

  private settings(options: InsertOptions): string {
    return options.dedupToken
      ? ` SETTINGS insert_deduplication_token = '${options.dedupToken.replace(/[^\w.:-]/g, '_')}'`
      : '';
  }

  async insert(table: string, rows: readonly Row[], options: InsertOptions = {}): Promise<void> {
    if (rows.length === 0) return;
    // Column-wise JSON halves chdb's insert time on uniform rows (bench: 16.7 -> 8.5 us per scored
    // review for the two scoring tables); anything else goes row by row.
    const columns = toJsonColumns(rows);
    const body = columns === null ? `FORMAT JSONEachRow\n${toJsonEachRow(rows)}` : `FORMAT JSONColumns\n${columns}`;
    const sql = `INSERT INTO ${qualify(this.database, table)}${this.settings(options)} ${body}`;
    await this.run(
      () => this.session.queryAsync(sql, { format: 'TabSeparated' }),
      `INSERT INTO ${table} (${rows.length} rows)`,
    );
  }

  /**
   * JSONColumns straight from the caller's arrays: one JSON.stringify (native) of the whole batch,
   * no row objects. chdb's node binding takes no binary insert format (its raw Buffer insert is
   * text formats only); JSONColumns measured cheapest of those (docs/benchmarks.md, cost per review).
   */
  async insertColumns(table: string, columns: ColumnBatch, options: InsertOptions = {}): Promise<void> {
    const n = columnBatchRows(columns);
    if (n === 0) return;
    const into = `INSERT INTO ${qualify(this.database, table)}${this.settings(options)}`;
    const sql = `${into} FORMAT JSONColumns\n${JSON.stringify(columns)}`;
    await this.run(() => this.session.queryAsync(sql, { format: 'TabSeparated' }), `INSERT INTO ${table} (${n} rows)`);
  }

  async ping(): Promise<boolean> {
    try {
      await this.query('SELECT 1 AS ok');
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await this.chain;
    this.session.close();
  }
}
