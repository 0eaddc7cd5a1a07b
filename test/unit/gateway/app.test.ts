// Gateway routes with inject(): schemas, auth, limits, error codes. Dependencies are fakes.
import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import type { InjectOptions } from 'fastify';
import { buildGateway, type GatewayDeps } from '../../../gateway/app.js';
import { TokenBook, newToken, parseTokens, type Role } from '../../../gateway/auth.js';
import type { InferenceEngine, Prediction } from '../../../models/core/engine.js';
import type {
  AdminAction,
  Feedback,
  ModelVersionEvent,
  RetrainRequest,
  ScoredReview,
} from '../../../schemas/types.generated.js';
import type { Filter } from '../../../gateway/dashboard-queries.js';
import { UlasanError } from '../../../processors/shared/errors.js';

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
  const audits: AdminAction[] = [];
  const retrains: RetrainRequest[] = [];
  const filters: Filter[] = [];
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
  let production = 2;
  const deps: GatewayDeps = {
    modelName: 'ulasan-compact',
    engine: () => engine,
    registry: {
      versions: async () => [1, 2, 3].map((n) => v(n, n === production ? 'Production' : 'Archived')),
      promote: async (n) => {
        const before = production;
        production = n;
        return [v(before, 'Archived'), v(n, 'Production')];
      },
      rollback: async () => [v((production = 1), 'Production')],
    },
    audit: async (a) => void audits.push(a),
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
          sources: [],
          model_version: '3',
          start: '2026-11-20 00:00:00.000',
          end: '2026-11-21 00:00:00.000',
          rows: 4800,
        },
      },
    ],
    requestRetrain: async (r) => void retrains.push(r),
    dashboard: {
      apps: async (f) => (filters.push(f), [{ app_id: 'id.co.app', reviews: 7 }]),
      sentiment: async (f) => (filters.push(f), [{ t: 1_700_000_000_000, negative: 1, neutral: 2, positive: 4 }]),
      drift: async () => [
        {
          t: 1_700_000_000_000,
          segment: 'id.co.app',
          drifted: false,
          scores: { char_count: 0.4 },
          effects: { char_count: 0.02 },
          drifted_features: [],
          reason: '',
          rows: 40,
        },
      ],
      timeline: async () => [{ at: 1_700_000_000_000, kind: 'promotion', label: 'v2 to Production' }],
      negatives: async () => [],
      terms: async () => ({ negative: [{ term: 'error', n: 3, z: 2.5 }], neutral: [], positive: [] }),
      versions: async () => [],
      runFile: async (id, file) => (id === '0123abcd-0000' && file === 'confusion.svg' ? Buffer.from('<svg/>') : null),
      alerts: async (f) => (filters.push(f), []),
      topics: async () => ({ t: [], reviews: [], topics: [] }),
      appVersions: async () => [],
      emerging: async (f) => ({ recent_from: f.from, baseline_from: f.from, to: f.to, apps: [] }),
    },
    metrics: new Registry(),
  };
  return { deps, logged, feedback, calls, audits, retrains, filters };
}

const issued = Object.fromEntries(
  (['read', 'feedback', 'admin'] as Role[]).map((role) => [role, newToken(`${role}-user`, role)]),
) as Record<Role, { token: string; entry: string }>;
const tokens = new TokenBook(
  parseTokens(
    Object.values(issued)
      .map((t) => t.entry)
      .join(','),
  ).entries,
);
const as = (role: Role) => ({ authorization: `Bearer ${issued[role].token}` });

/** inject() with the read role's token unless the request names its own authorization. */
function call(app: Awaited<ReturnType<typeof buildGateway>>, o: InjectOptions, role: Role = 'read') {
  return app.inject({ ...o, headers: { ...as(role), ...(o.headers ?? {}) } });
}

const options = {
  tokens,
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
    const res = await call(app, {
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
    const ok = await call(app, {
      method: 'POST',
      url: '/predict/batch',
      payload: { items: [{ text: 'bagus' }, { text: 'jelek' }] },
    });
    expect(ok.json().predictions.map((p: { label: string }) => p.label)).toEqual(['positive', 'negative']);
    const tooMany = await call(app, {
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
    const res = await call(app, {
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
    const res = await call(app, { method: 'POST', url: '/predict', payload: { text: 'a'.repeat(2000) } });
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

  it.each([
    ['GET', '/stats', 'read'],
    ['GET', '/stats/trend', 'read'],
    ['GET', '/models', 'read'],
    ['GET', '/models/2', 'read'],
    ['GET', '/drift/segments', 'read'],
    ['POST', '/predict', 'read'],
    ['POST', '/feedback', 'feedback'],
    ['POST', '/models/3/promote', 'admin'],
    ['POST', '/models/rollback', 'admin'],
    ['POST', '/model/reload', 'admin'],
    ['POST', '/retrain', 'admin'],
    ['GET', '/dashboard/sentiment', 'read'],
    ['GET', '/dashboard/versions', 'read'],
    ['GET', '/dashboard/alerts', 'read'],
    ['GET', '/dashboard/topics', 'read'],
    ['GET', '/dashboard/app-versions', 'read'],
    ['GET', '/dashboard/emerging', 'read'],
    ['GET', '/runs/0123abcd-0000/confusion.svg', 'read'],
  ] as const)('%s %s needs the %s role: 401 without or with an unknown token, 403 below it', async (m, url, need) => {
    const app = await buildGateway(fakes().deps, options);
    const payload =
      url === '/predict' ? { text: 'bagus' } : url === '/feedback' ? { review_id: 'r1', true_label: 'neutral' } : {};
    const send = (headers: Record<string, string>) => app.inject({ method: m, url, payload, headers });
    const none = await send({});
    expect(none.statusCode).toBe(401);
    expect(none.json().code).toBe('UNAUTHENTICATED');
    const unknown = await send({ authorization: 'Bearer not-a-token-anyone-was-given' });
    expect(unknown.statusCode).toBe(401);
    for (const role of ['read', 'feedback', 'admin'] as Role[]) {
      const rank = { read: 1, feedback: 2, admin: 3 };
      const res = await send(as(role));
      if (rank[role] >= rank[need]) expect(res.statusCode, role).toBeLessThan(300);
      else {
        expect(res.statusCode, role).toBe(403);
        expect(res.json().code).toBe('FORBIDDEN');
      }
    }
  });

  it('leaves health, readiness, metrics, docs and the status page open', async () => {
    const app = await buildGateway(fakes().deps, options);
    for (const url of ['/health', '/ready', '/metrics', '/docs/json', '/']) {
      expect((await app.inject({ method: 'GET', url })).statusCode, url).toBe(200);
    }
  });

  it('audits every admin action: who, what, from which Production to which, failures included', async () => {
    const f = fakes();
    const app = await buildGateway(f.deps, options);
    const ok = await call(
      app,
      { method: 'POST', url: '/models/3/promote', payload: { reason: 'looks good' } },
      'admin',
    );
    expect(ok.statusCode).toBe(200);
    expect(ok.json().events.map((e: { stage: string }) => e.stage)).toEqual(['Archived', 'Production']);
    expect((await call(app, { method: 'POST', url: '/model/reload' }, 'admin')).json()).toEqual({ model_version: '3' });
    f.deps.registry.rollback = async () => {
      throw new UlasanError('DATA_NOT_FOUND', 'nothing to roll back to');
    };
    const failed = await call(app, { method: 'POST', url: '/models/rollback' }, 'admin');
    expect(failed.json()).toMatchObject({ code: 'DATA_NOT_FOUND' });
    expect(f.audits.map((a) => [a.action, a.actor, a.from_version, a.to_version, a.outcome, a.error_code])).toEqual([
      ['promote', 'admin-user', '2', '3', 'done', null],
      ['reload', 'admin-user', '3', '3', 'done', null],
      ['rollback', 'admin-user', '3', '3', 'failed', 'DATA_NOT_FOUND'],
    ]);
    expect(f.audits[0]).toMatchObject({ reason: 'looks good', model_name: 'ulasan-compact' });
    // The audit record carries the gateway's request id (a UUID), one per request.
    expect(f.audits[0]!.action_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-/);
    expect(new Set(f.audits.map((a) => a.action_id)).size).toBe(3);
  });

  it('rate-limits per token: one client exhausting its budget leaves another untouched', async () => {
    const app = await buildGateway(fakes().deps, { ...options, rateLimitMax: 2 });
    for (let i = 0; i < 2; i++) expect((await call(app, { method: 'GET', url: '/models' })).statusCode).toBe(200);
    expect((await call(app, { method: 'GET', url: '/models' })).statusCode).toBe(429);
    expect((await call(app, { method: 'GET', url: '/models' }, 'admin')).statusCode).toBe(200);
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
    const app = await buildGateway(f.deps, { ...options, log: log as never });
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

  it('lists models, shows one, and 404s an unknown version', async () => {
    const app = await buildGateway(fakes().deps, options);
    expect((await call(app, { method: 'GET', url: '/models' })).json().versions).toHaveLength(3);
    expect((await call(app, { method: 'GET', url: '/models/2' })).json()).toMatchObject({
      version: 2,
      stage: 'Production',
    });
    const missing = await call(app, { method: 'GET', url: '/models/9' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().code).toBe('NOT_FOUND');
  });

  it('accepts feedback to the feedback topic, marked with a pseudonym of the token that gave it', async () => {
    const f = fakes();
    const app = await buildGateway(f.deps, options);
    const payload = { review_id: 'r1', true_label: 'neutral' };
    expect((await call(app, { method: 'POST', url: '/feedback', payload }, 'feedback')).statusCode).toBe(202);
    expect((await call(app, { method: 'POST', url: '/feedback', payload }, 'admin')).statusCode).toBe(202);
    expect(f.feedback[0]).toMatchObject({ review_id: 'r1', true_label: 'neutral', source: 'gateway' });
    const [a, b] = f.feedback.map((x) => x.user_hash);
    expect(a).toMatch(/^[0-9a-f]{32}$/);
    expect(b).not.toBe(a);
    expect(JSON.stringify(f.feedback)).not.toContain('feedback-user');
    const bad = { review_id: 'r1', true_label: 'great' };
    expect((await call(app, { method: 'POST', url: '/feedback', payload: bad }, 'feedback')).statusCode).toBe(400);
  });

  it('serves stats, readiness, metrics and the OpenAPI UI', async () => {
    const app = await buildGateway(fakes().deps, options);
    expect((await call(app, { method: 'GET', url: '/stats' })).json().sentiment_mix.positive).toBe(5);
    expect((await call(app, { method: 'GET', url: '/ready' })).json()).toEqual({
      ready: true,
      model: true,
      kafka: true,
    });
    expect((await call(app, { method: 'GET', url: '/metrics' })).statusCode).toBe(200);
    expect((await call(app, { method: 'GET', url: '/docs/json' })).json().paths).toHaveProperty('/predict');
  });

  it('micro-batches concurrent /predict calls into one engine run', async () => {
    const f = fakes();
    const app = await buildGateway(f.deps, { ...options, microBatch: true });
    const res = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        call(app, { method: 'POST', url: '/predict', payload: { text: `bagus ${i}` } }),
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

describe('manual retrain and the status page panels', () => {
  it('POST /retrain puts one manual request on the retrain topic, audited, with its reason and manifest', async () => {
    const f = fakes();
    const app = await buildGateway(f.deps, options);
    const res = await call(
      app,
      { method: 'POST', url: '/retrain', payload: { reason: 'new slang', data: '/m/manifest.json' } },
      'admin',
    );
    expect(res.statusCode).toBe(202);
    expect(f.retrains).toHaveLength(1);
    expect(f.retrains[0]).toMatchObject({
      request_id: res.json().request_id,
      model_name: 'ulasan-compact',
      reasons: ['manual'],
      details: { reason: 'new slang', manifest: '/m/manifest.json' },
      requested_by: 'gateway:admin-user',
      force: true,
    });
    expect(f.audits.map((a) => [a.action, a.reason, a.outcome])).toEqual([['retrain', 'new slang', 'done']]);
    expect((await call(app, { method: 'POST', url: '/retrain', payload: { bogus: 1 } }, 'admin')).statusCode).toBe(400);
    expect(f.retrains).toHaveLength(1);
    await app.close();
  });

  it('POST /retrain with a teacher asks for a distillation, and refuses a teacher that is not a registry version', async () => {
    const f = fakes();
    const app = await buildGateway(f.deps, options);
    const payload = { reason: 'distil IndoBERT', teacher: 'indobert-base@production', unlabeled_rows: 5000 };
    const res = await call(app, { method: 'POST', url: '/retrain', payload }, 'admin');
    expect(res.statusCode).toBe(202);
    expect(f.retrains[0]!.details).toMatchObject({
      job: 'distill',
      teacher: 'indobert-base@production',
      unlabeled_rows: '5000',
    });
    for (const teacher of ['../../etc/passwd', 'x@y@z', '']) {
      const bad = await call(app, { method: 'POST', url: '/retrain', payload: { teacher } }, 'admin');
      expect(bad.statusCode).toBe(400);
    }
    expect(f.retrains).toHaveLength(1);
    await app.close();
  });

  it('serves each panel with the filter it was asked for, defaulting to the last 30 days', async () => {
    const f = fakes();
    const app = await buildGateway(f.deps, options);
    const res = await call(app, { method: 'GET', url: '/dashboard/sentiment?app=id.co.app&from=1000&to=900000000' });
    expect(res.json()).toEqual({ buckets: [{ t: 1_700_000_000_000, negative: 1, neutral: 2, positive: 4 }] });
    expect(f.filters[0]).toEqual({ app: 'id.co.app', from: 1000, to: 900_000_000, bucket: 'day' });
    await call(app, { method: 'GET', url: '/dashboard/apps' });
    expect(f.filters[1]!.to - f.filters[1]!.from).toBe(30 * 86_400_000);
    expect(f.filters[1]!.app).toBeNull();
    for (const [url, key] of [
      ['/dashboard/drift', 'windows'],
      ['/dashboard/timeline', 'events'],
      ['/dashboard/negatives', 'reviews'],
      ['/dashboard/terms', 'terms'],
      ['/dashboard/versions', 'versions'],
      ['/dashboard/alerts', 'alerts'],
      ['/dashboard/topics', 'topics'],
      ['/dashboard/app-versions', 'apps'],
      ['/dashboard/emerging', 'emerging'],
    ]) {
      const r = await call(app, { method: 'GET', url: url! });
      expect(r.statusCode, url).toBe(200);
      expect(r.json(), url).toHaveProperty(key!);
    }
    const bad = await call(app, { method: 'GET', url: '/dashboard/sentiment?from=5&to=4' });
    expect(bad.statusCode).toBe(400);
    expect((await call(app, { method: 'GET', url: '/dashboard/sentiment?bucket=week' })).statusCode).toBe(400);
    await app.close();
  });

  it('serves a run report as SVG that runs no script, 404s a missing one, refuses a path in the run id', async () => {
    const app = await buildGateway(fakes().deps, options);
    const ok = await call(app, { method: 'GET', url: '/runs/0123abcd-0000/confusion.svg' });
    expect(ok.statusCode).toBe(200);
    expect(ok.headers['content-type']).toMatch(/^image\/svg\+xml/);
    expect(ok.headers['content-security-policy']).toContain("default-src 'none'");
    expect((await call(app, { method: 'GET', url: '/runs/0123abcd-0000/learning-curve.svg' })).statusCode).toBe(404);
    expect((await call(app, { method: 'GET', url: '/runs/..%2F..%2Fetc/confusion.svg' })).statusCode).toBe(400);
    expect((await call(app, { method: 'GET', url: '/runs/0123abcd-0000/passwd' })).statusCode).toBe(400);
    const js = await app.inject({ method: 'GET', url: '/assets/uplot.min.js' });
    expect(js.statusCode).toBe(200);
    expect(js.body).toContain('uPlot');
    await app.close();
  });
});
