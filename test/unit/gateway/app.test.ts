// Gateway routes with inject(): schemas, auth, limits, error codes. Dependencies are fakes.
import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { buildGateway, type GatewayDeps } from '../../../gateway/app.js';
import type { InferenceEngine, Prediction } from '../../../models/core/engine.js';
import type { Feedback, ModelVersionEvent, ScoredReview } from '../../../schemas/types.generated.js';

const v = (version: number, stage: ModelVersionEvent['stage']): ModelVersionEvent => ({
  name: 'ulasan-compact',
  version,
  stage,
  metrics: { accuracy: 0.89 },
  artifact_uri: `file:///a/${version}`,
  content_hash: 'h',
  run_id: null,
  reason: 'r',
  actor: 't',
  timestamp: 1_700_000_000_000,
});

function fakes() {
  const logged: ScoredReview[] = [];
  const feedback: Feedback[] = [];
  const calls: number[] = [];
  const engine = {
    pkg: { sentiments: ['negative', 'neutral', 'positive'], meta: { feature_set_version: 'fs-1' } },
    predict: async (texts: string[]): Promise<Prediction[]> => {
      calls.push(texts.length);
      await new Promise((r) => setTimeout(r, 5)); // an engine run takes time: requests pile up meanwhile
      return texts.map((t) => ({
        label: 'x',
        sentiment: null,
        confidence: 0.8,
        probabilities: /jelek/.test(t) ? { a: 0.8, b: 0.1, c: 0.1 } : { a: 0.1, b: 0.1, c: 0.8 },
        modelName: 'ulasan-compact',
        modelVersion: '3',
      }));
    },
  } as unknown as InferenceEngine;
  const deps: GatewayDeps = {
    engine: () => engine,
    registry: {
      versions: async () => [v(1, 'Archived'), v(2, 'Production')],
      promote: async (n) => [v(2, 'Archived'), v(n, 'Production')],
      rollback: async () => [v(1, 'Production')],
    },
    reload: async () => '3',
    logPredictions: (p) => logged.push(...p),
    sendFeedback: async (f) => void feedback.push(f),
    stats: async () => ({
      reviews_scored: 10,
      last_24h: 4,
      sentiment_mix: { negative: 3, neutral: 2, positive: 5 },
      drift: { latest_window: null, drifted: false, severity: 0 },
      model: { name: 'ulasan-compact', version: '3' },
    }),
    trend: async () => [{ day: '2026-11-27', negative: 1, neutral: 1, positive: 3 }],
    kafkaReachable: async () => true,
    driftSegments: async () => [
      {
        window_size: '1h',
        segment: 'id.co.app',
        latest_window: '2026-11-28 10:00:00.000',
        role: 'test',
        tested: true,
        drifted: true,
        drifted_features: ['predicted_label'],
        reason: 'negative share 12 % -> 41 %',
        reference: {
          origin: 'window',
          model_version: '3',
          start: '2026-11-20 00:00:00.000',
          end: '2026-11-21 00:00:00.000',
          rows: 4800,
        },
      },
    ],
    metrics: new Registry(),
  };
  return { deps, logged, feedback, calls };
}

const options = {
  adminToken: 'secret',
  maxBatch: 4,
  bodyLimit: 64 * 1024,
  rateLimitMax: 1000,
  rateLimitWindowMs: 60_000,
  microBatch: false,
};

describe('gateway routes', () => {
  it('POST /predict returns the sentiment, probabilities and model version, and logs asynchronously', async () => {
    const f = fakes();
    const app = await buildGateway(f.deps, options);
    const res = await app.inject({
      method: 'POST',
      url: '/predict',
      payload: { text: 'aplikasinya jelek', app_id: 'a' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ label: 'negative', model_version: '3', probabilities: { negative: 0.8 } });
    expect(f.logged[0]).toMatchObject({ app_id: 'a', source: 'gateway', label: 'negative' });
  });

  it('POST /predict/batch enforces the batch limit', async () => {
    const app = await buildGateway(fakes().deps, options);
    const ok = await app.inject({
      method: 'POST',
      url: '/predict/batch',
      payload: { items: [{ text: 'bagus' }, { text: 'jelek' }] },
    });
    expect(ok.json().predictions.map((p: { label: string }) => p.label)).toEqual(['positive', 'negative']);
    const tooMany = await app.inject({
      method: 'POST',
      url: '/predict/batch',
      payload: { items: Array.from({ length: 5 }, () => ({ text: 'x' })) },
    });
    expect(tooMany.statusCode).toBe(400);
    expect(tooMany.json().code).toBe('VALIDATION_FAILED');
  });

  it.each([
    ['invalid JSON', '{"text": ', 'INVALID_JSON', 400],
    ['missing text', '{}', 'VALIDATION_FAILED', 400],
    ['whitespace text', '{"text": "   "}', 'VALIDATION_FAILED', 400],
    ['unknown field', '{"text": "a", "evil": 1}', 'VALIDATION_FAILED', 400],
  ])('rejects %s with a coded 400', async (_, payload, code, status) => {
    const app = await buildGateway(fakes().deps, options);
    const res = await app.inject({
      method: 'POST',
      url: '/predict',
      payload,
      headers: { 'content-type': 'application/json' },
    });
    expect(res.statusCode).toBe(status);
    expect(res.json()).toMatchObject({ code, statusCode: status });
  });

  it('rejects a body over the limit with 413', async () => {
    const app = await buildGateway(fakes().deps, { ...options, bodyLimit: 1024 });
    const res = await app.inject({ method: 'POST', url: '/predict', payload: { text: 'a'.repeat(2000) } });
    expect(res.statusCode).toBe(413);
    expect(res.json().code).toBe('BODY_TOO_LARGE');
  });

  it('rate-limits with 429 and a code', async () => {
    const app = await buildGateway(fakes().deps, { ...options, rateLimitMax: 2 });
    for (let i = 0; i < 2; i++) expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
    const res = await app.inject({ method: 'GET', url: '/health' });
    expect(res.statusCode).toBe(429);
    expect(res.json().code).toBe('RATE_LIMITED');
  });

  it('guards admin routes: 401 without a token, 403 with a wrong one, 200 with the right one', async () => {
    const app = await buildGateway(fakes().deps, options);
    expect((await app.inject({ method: 'POST', url: '/models/2/promote' })).json().code).toBe('UNAUTHENTICATED');
    const wrong = await app.inject({
      method: 'POST',
      url: '/models/rollback',
      headers: { authorization: 'Bearer nope' },
    });
    expect(wrong.statusCode).toBe(403);
    expect(wrong.json().code).toBe('FORBIDDEN');
    const ok = await app.inject({
      method: 'POST',
      url: '/models/2/promote',
      headers: { authorization: 'Bearer secret' },
      payload: { reason: 'looks good' },
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().events.map((e: { stage: string }) => e.stage)).toEqual(['Archived', 'Production']);
    expect(
      (await app.inject({ method: 'POST', url: '/model/reload', headers: { authorization: 'Bearer secret' } })).json(),
    ).toEqual({ model_version: '3' });
  });

  it('lists models, shows one, and 404s an unknown version', async () => {
    const app = await buildGateway(fakes().deps, options);
    expect((await app.inject({ method: 'GET', url: '/models' })).json().versions).toHaveLength(2);
    expect((await app.inject({ method: 'GET', url: '/models/2' })).json()).toMatchObject({
      version: 2,
      stage: 'Production',
    });
    const missing = await app.inject({ method: 'GET', url: '/models/9' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().code).toBe('NOT_FOUND');
  });

  it('accepts feedback to the feedback topic', async () => {
    const f = fakes();
    const app = await buildGateway(f.deps, options);
    const res = await app.inject({
      method: 'POST',
      url: '/feedback',
      payload: { review_id: 'r1', true_label: 'neutral' },
    });
    expect(res.statusCode).toBe(202);
    expect(f.feedback[0]).toMatchObject({ review_id: 'r1', true_label: 'neutral', source: 'gateway' });
    expect(
      (await app.inject({ method: 'POST', url: '/feedback', payload: { review_id: 'r1', true_label: 'great' } }))
        .statusCode,
    ).toBe(400);
  });

  it('serves stats, readiness, metrics and the OpenAPI UI', async () => {
    const app = await buildGateway(fakes().deps, options);
    expect((await app.inject({ method: 'GET', url: '/stats' })).json().sentiment_mix.positive).toBe(5);
    expect((await app.inject({ method: 'GET', url: '/ready' })).json()).toEqual({
      ready: true,
      model: true,
      kafka: true,
    });
    expect((await app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/docs/json' })).json().paths).toHaveProperty('/predict');
  });

  it('micro-batches concurrent /predict calls into one engine run', async () => {
    const f = fakes();
    const app = await buildGateway(f.deps, { ...options, microBatch: true });
    const res = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        app.inject({ method: 'POST', url: '/predict', payload: { text: `bagus ${i}` } }),
      ),
    );
    expect(res.every((r) => r.statusCode === 200)).toBe(true);
    expect(f.calls.length).toBeLessThan(8);
    expect(f.calls.reduce((a, b) => a + b, 0)).toBe(8);
  });
});

describe('GET /drift/segments', () => {
  it('lists each segment with its verdict, reason and the reference it was judged against', async () => {
    const app = await buildGateway(fakes().deps, options);
    const res = await app.inject({ method: 'GET', url: '/drift/segments' });
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
