// Load benchmark of POST /predict (compact model) at rising concurrency, with and without
// micro-batching: the highest request rate whose p99 stays under 50 ms.
//   npm run bench:gateway
// The gateway runs in this process with the real engine; Kafka-facing dependencies are no-ops
// (the prediction log is fire-and-forget anyway), so the figures are the HTTP + model path.
import autocannon from 'autocannon';
import { Registry } from 'prom-client';
import { buildGateway } from '../gateway/app.js';
import { TokenBook, newToken, parseTokens } from '../gateway/auth.js';
import { InferenceEngine } from '../models/core/engine.js';
import { ensureDefaultModel } from '../scripts/model-build.js';

const engine = await InferenceEngine.load(await ensureDefaultModel(), { maxBatch: 256, intraOpThreads: 1 });
const texts = [
  'aplikasinya bagus sekali, pengiriman cepat',
  'sering error tidak bisa login, kecewa',
  'biasa saja',
  'mantap 👍 sangat membantu',
];
const rows: Record<string, string | number>[] = [];
// Every request carries a token, as in production (the token lookup is part of the measured path).
const { token, entry } = newToken('bench', 'read');
const tokens = new TokenBook(parseTokens(entry).entries);
for (const microBatch of [false, true]) {
  const app = await buildGateway(
    {
      modelName: engine.name,
      engine: () => engine,
      audit: async () => undefined,
      registry: { versions: async () => [], promote: async () => [], rollback: async () => [] },
      reload: async () => engine.version,
      logPredictions: () => undefined,
      sendFeedback: async () => undefined,
      stats: async () => ({
        reviews_scored: 0,
        last_24h: 0,
        sentiment_mix: { negative: 0, neutral: 0, positive: 0 },
        drift: { latest_window: null, drifted: false, severity: 0 },
        model: { name: engine.name, version: engine.version },
      }),
      trend: async () => [{ day: '2026-11-27', negative: 1, neutral: 1, positive: 3 }],
      kafkaReachable: async () => true,
      driftSegments: async () => [],
      requestRetrain: async () => undefined,
      dashboard: {
        apps: async () => [],
        sentiment: async () => [],
        drift: async () => [],
        timeline: async () => [],
        negatives: async () => [],
        terms: async () => ({ negative: [], neutral: [], positive: [] }),
        versions: async () => [],
        runFile: async () => null,
        alerts: async () => [],
        topics: async () => ({ t: [], reviews: [], topics: [] }),
        appVersions: async () => [],
        emerging: async () => ({ recent_from: 0, baseline_from: 0, to: 0, apps: [] }),
      },
      metrics: new Registry(),
    },
    { tokens, maxBatch: 256, bodyLimit: 1 << 20, rateLimitMax: 1e9, rateLimitWindowMs: 60_000, microBatch },
  );
  await app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}/predict`;
  for (const connections of [1, 4, 16, 64, 128]) {
    let i = 0;
    const r = await autocannon({
      url,
      method: 'POST',
      connections,
      duration: 4,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      requests: [{ setupRequest: (req) => ({ ...req, body: JSON.stringify({ text: texts[i++ % texts.length] }) }) }],
    });
    rows.push({
      micro_batching: microBatch ? 'on' : 'off',
      connections,
      'req/s': Math.round(r.requests.average),
      'p50 ms': r.latency.p50,
      'p99 ms': r.latency.p99,
      errors: r.errors + r.non2xx,
    });
    console.log(JSON.stringify(rows.at(-1)));
  }
  await app.close();
}
console.table(rows);
for (const mb of ['off', 'on']) {
  const ok = rows.filter((r) => r.micro_batching === mb && Number(r['p99 ms']) < 50);
  const best = ok.sort((a, b) => Number(b['req/s']) - Number(a['req/s']))[0];
  console.log(
    `micro-batching ${mb}: highest rate with p99 < 50 ms = ` +
      (best ? `${best['req/s']} req/s at ${best.connections} connections` : 'none'),
  );
}
await engine.close();
process.exit(0);
