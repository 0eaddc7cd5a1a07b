// insertColumns (the scorer's columnar insert, issue 31) stores what insert stores, on both transports:
// chdb (JSONColumns) and the HTTP client (JSONColumns, then JSONCompactEachRow, then JSONEachRow on a
// server too old for them, as the stack's 18.16 check server is). DateTime64 columns take epoch
// milliseconds. The HTTP client's JSONColumns request, recorded, is run by chdb's engine (ClickHouse
// 26.7, the only current one here) to show a current server takes it.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../platform/clickhouse/open.js';
import { freshDir, stackAddresses } from '../helpers.js';

const tricky = 'kutip " \\ garis\nbaru\ttab 👍';

describe('columnar inserts', () => {
  it('chdb: the same rows as insert, epoch milliseconds into DateTime64(3)', async () => {
    const store = await openStore({ database: 'ulasan', chdbPath: freshDir('chdb-columns') });
    try {
      await store.exec(
        'CREATE TABLE ulasan.t (id String, n UInt64, x Float32, s Nullable(String), tags Array(String), ' +
          'd DateTime64(3)) ENGINE = MergeTree ORDER BY id',
      );
      await store.insert('t', [{ id: 'a', n: '7', x: 0.5, s: tricky, tags: ['crash'], d: '2026-01-02 03:04:05.006' }]);
      await store.insertColumns('t', {
        id: ['b', 'c'],
        n: ['8', '9'],
        x: [0.25, 1],
        s: [null, tricky],
        tags: [[], ['login', 'ads']],
        d: [Date.UTC(2026, 0, 2, 3, 4, 5, 6), Date.UTC(2008, 0, 1)],
      });
      const got = await store.query('SELECT id, n, x, s, tags, toString(d) AS d FROM ulasan.t ORDER BY id');
      expect(got).toEqual([
        { id: 'a', n: 7, x: 0.5, s: tricky, tags: ['crash'], d: '2026-01-02 03:04:05.006' },
        { id: 'b', n: 8, x: 0.25, s: null, tags: [], d: '2026-01-02 03:04:05.006' },
        { id: 'c', n: 9, x: 1, s: tricky, tags: ['login', 'ads'], d: '2008-01-01 00:00:00.000' },
      ]);
      await expect(store.insertColumns('t', { id: ['x'], n: [] })).rejects.toMatchObject({
        code: 'CLICKHOUSE_QUERY_FAILED',
      });
    } finally {
      await store.close();
    }
  });

  it('HTTP: the same rows as insert on the stack ClickHouse server', async () => {
    const { clickhouseUrl, clickhouse } = stackAddresses();
    const table = `columns_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    const store = await openStore({ database: 'ulasan', url: clickhouseUrl, ...clickhouse.writer });
    try {
      // Memory engine and DateTime: what the 18.16 server used locally supports.
      await store.exec(
        `CREATE TABLE ulasan.${table} (id String, n UInt64, s Nullable(String), tags Array(String)) ENGINE = Memory`,
      );
      await store.insert(table, [{ id: 'a', n: 7, s: tricky, tags: ['crash'] }]);
      await store.insertColumns(table, { id: ['b', 'c'], n: [8, 9], s: [null, tricky], tags: [[], ['login', 'ads']] });
      const got = await store.query(`SELECT id, n, s, tags FROM ulasan.${table} ORDER BY id`);
      expect(got.map((r) => ({ ...r, n: Number(r.n) }))).toEqual([
        { id: 'a', n: 7, s: tricky, tags: ['crash'] },
        { id: 'b', n: 8, s: null, tags: [] },
        { id: 'c', n: 9, s: tricky, tags: ['login', 'ads'] },
      ]);
    } finally {
      await store.exec(`DROP TABLE IF EXISTS ulasan.${table}`).catch(() => undefined);
      await store.close();
    }
  });

  it('HTTP: the JSONColumns request a current server gets stores, in chdb, what insertColumns stores', async () => {
    const requests: { query: string; token: string | null; body: string }[] = [];
    const recorder = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const params = new URL(req.url ?? '/', 'http://r').searchParams;
        const token = params.get('insert_deduplication_token');
        requests.push({ query: params.get('query') ?? '', token, body: Buffer.concat(chunks).toString('utf8') });
        res.end();
      });
    });
    await new Promise<void>((r) => recorder.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(recorder.address() as AddressInfo).port}`;
    const http = await openStore({ database: 'ulasan', url, readOnly: true });
    const chdb = await openStore({ database: 'ulasan', chdbPath: freshDir('chdb-http-columns') });
    try {
      const columns = {
        id: ['b', 'c'],
        n: ['8', '9'],
        s: [null, tricky],
        tags: [[], ['login', 'ads']],
        d: [Date.UTC(2026, 0, 2, 3, 4, 5, 6), Date.UTC(2008, 0, 1)],
      };
      await http.insertColumns('t', columns, { dedupToken: 'batch-1' });
      const insert = requests.find((r) => r.query.startsWith('INSERT'));
      expect(insert?.query).toBe('INSERT INTO ulasan.t (id, n, s, tags, d) FORMAT JSONColumns');
      expect(insert?.token).toBe('batch-1');
      const ddl = 'id String, n UInt64, s Nullable(String), tags Array(String), d DateTime64(3)';
      await chdb.exec(`CREATE TABLE ulasan.t (${ddl}) ENGINE = MergeTree ORDER BY id`);
      await chdb.exec(`CREATE TABLE ulasan.t2 (${ddl}) ENGINE = MergeTree ORDER BY id`);
      await chdb.exec(`${insert!.query}\n${insert!.body}`);
      await chdb.insertColumns('t2', columns);
      const read = (t: string) => chdb.query(`SELECT id, n, s, tags, toString(d) AS d FROM ulasan.${t} ORDER BY id`);
      const got = await read('t');
      expect(got).toEqual(await read('t2'));
      expect(got).toHaveLength(2);
      expect(got[1]).toMatchObject({ id: 'c', s: tricky, d: '2008-01-01 00:00:00.000' });
    } finally {
      await http.close();
      await chdb.close();
      await new Promise((r) => recorder.close(r));
    }
  });
});
