// ClickHouse: migrations on embedded chdb (the SQL target), and the HTTP transport against a real
// server (the local stack's Debian clickhouse-server 18.16, or CLICKHOUSE_URL when set).
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MIGRATED_TABLES, MIGRATIONS, migrate } from '../../processors/kit/migrations.js';
import { openStore } from '../../platform/clickhouse/open.js';
import { toJsonColumns } from '../../platform/clickhouse/store.js';
import { freshDir, stackAddresses } from '../helpers.js';

describe('migrations on chdb', () => {
  it('apply twice without error and create every table', async () => {
    const store = await openStore({ database: 'ulasan', chdbPath: freshDir('chdb') });
    try {
      const first = await migrate(store);
      expect(first.applied).toEqual(MIGRATIONS.map((m) => m.id));
      const second = await migrate(store);
      expect(second.applied).toEqual([]);
      expect(second.skipped).toEqual(MIGRATIONS.map((m) => m.id));
      // Bookkeeping aside, every statement itself is idempotent.
      for (const m of MIGRATIONS) for (const sql of m.statements('ulasan')) await store.exec(sql);
      const tables = (
        await store.query<{ name: string }>(`SELECT name FROM system.tables WHERE database = 'ulasan'`)
      ).map((r) => r.name);
      for (const t of MIGRATED_TABLES) expect(tables).toContain(t);
      // The 30-day trend views run against the real schema.
      for (const v of ['trend_daily_volume', 'trend_daily_sentiment', 'trend_daily_drift', 'trend_daily_error_rate']) {
        expect(await store.query(`SELECT * FROM ulasan.${v}`)).toEqual([]);
      }
    } finally {
      await store.close();
    }
  });

  it('collapses a re-inserted review to one row with FINAL', async () => {
    const store = await openStore({ database: 'ulasan', chdbPath: freshDir('chdb') });
    try {
      await migrate(store);
      const row = {
        review_id: 'r1',
        app_id: 'a',
        source: 's',
        text: 'bagus',
        rating: 5,
        lang: 'id',
        author_hash: null,
        created_at: '2026-01-01 00:00:00.000',
        ingested_at: '2026-01-01 00:00:01.000',
        kafka_partition: 0,
        kafka_offset: 1,
      };
      await store.insert('reviews', [row]);
      await store.insert('reviews', [{ ...row, kafka_offset: 2 }]);
      const [c] = await store.query<{ n: string }>('SELECT count() AS n FROM ulasan.reviews FINAL');
      expect(Number(c!.n)).toBe(1);
      const bound = await store.query<{ text: string }>(
        'SELECT text FROM ulasan.reviews FINAL WHERE review_id = {id:String}',
        { id: 'r1' },
      );
      expect(bound).toEqual([{ text: 'bagus' }]);
    } finally {
      await store.close();
    }
  });
});

describe('chdb inserts, column-wise and row-wise', () => {
  it('stores the same values either way, and falls back to rows when keys differ', async () => {
    const store = await openStore({ database: 'ulasan', chdbPath: freshDir('chdb') });
    try {
      await store.exec(
        "CREATE TABLE ulasan.t (id String, n Int64, x Float64, s Nullable(String), d DateTime64(3), w String DEFAULT 'dflt') ENGINE = MergeTree ORDER BY id",
      );
      const tricky = 'kutip " \\ garis\nbaru\ttab 👍 \u0000';
      const uniform = [
        { id: 'u1', n: 1, x: 0.5, s: tricky, d: '2026-01-01 00:00:00.123', w: 'a' },
        { id: 'u2', n: -2, x: 1e-9, s: null, d: '2026-01-02 00:00:00.000', w: 'b' },
      ];
      expect(toJsonColumns(uniform)).not.toBeNull();
      await store.insert('t', uniform);
      const ragged = [
        { id: 'r1', n: 3, x: 2, s: 'x', d: '2026-01-03 00:00:00.000' }, // w missing: column default
        { id: 'r2', n: 4, x: 3, s: 'y', d: '2026-01-04 00:00:00.000', w: 'c' },
      ];
      expect(toJsonColumns(ragged)).toBeNull();
      expect(toJsonColumns([{ id: 'v', w: undefined }])).toBeNull();
      await store.insert('t', ragged);
      const got = await store.query('SELECT id, n, x, s, toString(d) AS d, w FROM ulasan.t ORDER BY id');
      expect(got).toEqual([
        { id: 'r1', n: 3, x: 2, s: 'x', d: '2026-01-03 00:00:00.000', w: 'dflt' },
        { id: 'r2', n: 4, x: 3, s: 'y', d: '2026-01-04 00:00:00.000', w: 'c' },
        { id: 'u1', n: 1, x: 0.5, s: tricky, d: '2026-01-01 00:00:00.123', w: 'a' },
        { id: 'u2', n: -2, x: 1e-9, s: null, d: '2026-01-02 00:00:00.000', w: 'b' },
      ]);
    } finally {
      await store.close();
    }
  });
});

describe('HTTP transport against a real ClickHouse server', () => {
  it('pings, inserts and selects', async () => {
    const db = `ulasan_t_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    const store = await openStore({ database: db, url: stackAddresses().clickhouseUrl });
    try {
      expect(store.kind).toBe('http');
      expect(await store.ping()).toBe(true);
      // Memory engine and no query parameters: the 18.16 server used locally supports both.
      await store.exec(`CREATE TABLE IF NOT EXISTS ${db}.t (id UInt32, text String) ENGINE = Memory`);
      await store.insert('t', [
        { id: 1, text: 'bagus 👍' },
        { id: 2, text: 'jelek' },
      ]);
      const rows = await store.query<{ id: number; text: string }>(`SELECT id, text FROM ${db}.t ORDER BY id`);
      expect(rows).toEqual([
        { id: 1, text: 'bagus 👍' },
        { id: 2, text: 'jelek' },
      ]);
      await expect(store.query(`SELECT nope FROM ${db}.t`)).rejects.toMatchObject({ code: 'CLICKHOUSE_QUERY_FAILED' });
    } finally {
      await store.exec(`DROP DATABASE IF EXISTS ${db}`).catch(() => undefined);
      await store.close();
    }
  });
});

describe('per-role HTTP transport (the users.d file compose mounts, on the local clickhouse-server)', () => {
  it('the writer creates and inserts; the reader selects, and is refused inserts and DDL', async () => {
    const { clickhouseUrl, clickhouse } = stackAddresses();
    const table = `roles_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    const writer = await openStore({ database: 'ulasan', url: clickhouseUrl, ...clickhouse.writer });
    const reader = await openStore({ database: 'ulasan', url: clickhouseUrl, readOnly: true, ...clickhouse.reader });
    const stranger = await openStore({
      database: 'ulasan',
      url: clickhouseUrl,
      readOnly: true,
      username: 'ulasan_reader',
      password: 'x',
    });
    try {
      await writer.exec('CREATE DATABASE IF NOT EXISTS ulasan');
      await writer.exec(`CREATE TABLE ulasan.${table} (id UInt32, text String) ENGINE = Memory`);
      await writer.insert(table, [{ id: 1, text: 'bagus' }]);
      expect(await reader.query(`SELECT id, text FROM ulasan.${table}`)).toEqual([{ id: 1, text: 'bagus' }]);
      await expect(reader.insert(table, [{ id: 2, text: 'jelek' }])).rejects.toThrow(/readonly/i);
      await expect(reader.exec(`DROP TABLE ulasan.${table}`)).rejects.toThrow(/readonly/i);
      await expect(writer.exec('CREATE DATABASE ulasan_elsewhere')).rejects.toThrow(/Access denied/i);
      await expect(stranger.query('SELECT 1')).rejects.toThrow(/password/i);
      expect(await reader.query(`SELECT count() AS n FROM ulasan.${table}`)).toEqual([{ n: '1' }]);
    } finally {
      await writer.exec(`DROP TABLE IF EXISTS ulasan.${table}`).catch(() => undefined);
      for (const s of [writer, reader, stranger]) await s.close();
    }
  });
});
