// The ops route group on its own (gateway root + opsPlugin), with inject().
import { describe, expect, it } from 'vitest';
import { opsPlugin } from '../../../gateway/plugins/ops.js';
import { UlasanError } from '../../../platform/errors.js';
import { call, fakes, pluginApp } from './harness.js';

describe('ops routes', () => {
  it('serves stats, readiness and metrics', async () => {
    const app = await pluginApp(opsPlugin, fakes().deps);
    expect((await call(app, { method: 'GET', url: '/stats' })).json().sentiment_mix.positive).toBe(5);
    expect((await call(app, { method: 'GET', url: '/ready' })).json()).toEqual({
      ready: true,
      model: true,
      kafka: true,
    });
    expect((await call(app, { method: 'GET', url: '/metrics' })).statusCode).toBe(200);
    expect((await call(app, { method: 'GET', url: '/health' })).json()).toEqual({ status: 'ok' });
  });

  it('answers 503 on /ready while Kafka is unreachable', async () => {
    const f = fakes();
    f.deps.kafkaReachable = async () => false;
    const res = await call(await pluginApp(opsPlugin, f.deps), { method: 'GET', url: '/ready' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({ ready: false, model: true, kafka: false });
  });

  it('answers a 5xx with a code, a fixed message and the request id, and logs the error under that id', async () => {
    const f = fakes();
    const logged: { obj: Record<string, unknown>; msg: string }[] = [];
    const log = { error: (obj: Record<string, unknown>, msg: string) => void logged.push({ obj, msg }) };
    f.deps.stats = async () => {
      throw new Error(
        'Code: 60. DB::Exception: Table ulasan_prod.predictions does not exist: SELECT count() FROM ulasan_prod.predictions FINAL (/var/lib/clickhouse/data)',
      );
    };
    f.deps.trend = async () => {
      throw new UlasanError('CLICKHOUSE_QUERY_FAILED', 'SELECT day FROM ulasan.trend_daily_sentiment failed');
    };
    const app = await pluginApp(opsPlugin, f.deps, { log: log as never });
    for (const url of ['/stats', '/stats/trend']) {
      const res = await call(app, { method: 'GET', url });
      expect(res.statusCode).toBeGreaterThanOrEqual(500);
      const body = res.json() as { code: string; message: string; request_id: string };
      expect(Object.keys(body).sort()).toEqual(['code', 'message', 'request_id', 'statusCode']);
      expect(res.body).not.toMatch(/SELECT|FROM|ulasan|predictions|\/var\/|DB::/);
      const entry = logged.find((l) => l.obj.request_id === body.request_id);
      expect(entry, url).toBeDefined();
      expect(String((entry!.obj.err as Error).message)).toMatch(/SELECT/);
    }
  });

  it('lists each segment with its verdict, reason and the reference it was judged against', async () => {
    const app = await pluginApp(opsPlugin, fakes().deps);
    const res = await call(app, { method: 'GET', url: '/drift/segments' });
    expect(res.statusCode).toBe(200);
    const body = res.json() as {
      segments: { segment: string; reason: string; reference: { origin: string; rows: number } }[];
    };
    expect(body.segments[0]).toMatchObject({
      segment: 'id.co.app',
      reason: 'negative share 12 % -> 41 %',
      reference: { origin: 'window', rows: 4800 },
    });
    await app.close();
  });
});
