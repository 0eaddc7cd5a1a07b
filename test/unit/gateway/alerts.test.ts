// GET /alerts with inject(): the reader role, the filters reaching the port, the schema refusing
// bad filters, and the plugin's enums kept in step with the Alert schema. The port is a fake; the
// SQL runs on chdb in test/integration/alerts.test.ts.
import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { buildGateway, type GatewayDeps } from '../../../gateway/app.js';
import { TokenBook, newToken, parseTokens } from '../../../gateway/auth.js';
import { AlertBody } from '../../../gateway/plugins/alerts.js';
import type { AlertFilter, AlertRow } from '../../../gateway/plugins/alerts-queries.js';
import { AlertKindValues, AlertStatusValues } from '../../../schemas/types.generated.js';

const row: AlertRow = {
  alert_id: 'a1',
  app_id: 'com.shopee.id',
  kind: 'sentiment_turn',
  app_version: null,
  window_start: 1_700_000_000_000,
  window_end: 1_700_086_400_000,
  topics: ['payment'],
  status: 'open',
  reason: 'negative 14 % → 52 % over 1 day (300 reviews), 61 % of them about payment: *saldo terpotong*',
  baseline_share: 0.14,
  current_share: 0.52,
  reviews: 300,
  statistic: 12.5,
  opened_at: 1_700_086_400_000,
  updated_at: 1_700_086_400_000,
};

async function gateway() {
  const filters: AlertFilter[] = [];
  const deps = {
    alerts: { list: async (f: AlertFilter) => (filters.push(f), [row]) },
    metrics: new Registry(),
  } as unknown as GatewayDeps;
  const reader = newToken('reader', 'read');
  const app = await buildGateway(deps, {
    tokens: new TokenBook(parseTokens(reader.entry).entries),
    maxBatch: 4,
    bodyLimit: 65536,
    rateLimitMax: 1000,
    rateLimitWindowMs: 60_000,
    microBatch: false,
  });
  const get = (url: string, token: string | null = reader.token) =>
    app.inject({ method: 'GET', url, headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { app, get, filters };
}

describe('GET /alerts', () => {
  it('answers the reader role with the alerts and passes every filter to the port', async () => {
    const { get, filters } = await gateway();
    const res = await get('/alerts?app_id=com.shopee.id&kind=sentiment_turn&status=open&from=1000&to=2000&limit=5');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ alerts: [row] });
    expect(filters).toEqual([
      { app_id: 'com.shopee.id', kind: 'sentiment_turn', status: 'open', from: 1000, to: 2000, limit: 5 },
    ]);
  });

  it('defaults to the last 30 days and 100 alerts', async () => {
    const { get, filters } = await gateway();
    expect((await get('/alerts')).statusCode).toBe(200);
    expect(filters[0]!.to - filters[0]!.from).toBe(30 * 86_400_000);
    expect(filters[0]!.limit).toBe(100);
  });

  it('refuses a request without a token, unknown kinds and statuses, extra fields and an empty range', async () => {
    const { get, filters } = await gateway();
    expect((await get('/alerts', null)).statusCode).toBe(401);
    expect((await get('/alerts', 'not-a-token')).statusCode).toBe(401);
    for (const q of ['kind=retrain', 'status=closed', 'colour=red', 'limit=0', 'limit=1001', 'from=5&to=5']) {
      const res = await get(`/alerts?${q}`);
      expect(res.statusCode, q).toBe(400);
      expect(res.json().code).toBe('VALIDATION_FAILED');
    }
    expect(filters).toEqual([]);
  });

  it("keeps the route's kinds and statuses those of schemas/Alert.avsc", () => {
    const kinds = AlertBody.properties.kind.anyOf.map((x: { const: string }) => x.const);
    const statuses = AlertBody.properties.status.anyOf.map((x: { const: string }) => x.const);
    expect(kinds).toEqual([...AlertKindValues]);
    expect(statuses).toEqual([...AlertStatusValues]);
  });
});
