// The gateway over a real socket on the real stack: roles, predict with the compact model, feedback
// to its topic (counted by the trigger only for scored reviews), verified model packages, the admin
// audit trail on its topic and in ClickHouse, and public routes that stay cheap under load.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newToken, type Role } from '../../gateway/auth.js';
import { feedbackSince } from '../../processors/retrain-trigger/queries.js';
import { runProcessors, type Running } from '../../app/runner.js';
import { ModelRegistry, readToEnd } from '../../platform/registry/registry.js';
import { toDateTime64 } from '../../platform/time.js';
import type { AdminAction, Feedback, ScoredReview } from '../../schemas/types.generated.js';
import { ensureDefaultModel } from '../../scripts/model-build.js';
import { freshDir, stackAddresses, uniquePrefix, waitFor } from '../helpers.js';

const { brokers, registryUrl } = stackAddresses();
const prefix = uniquePrefix();
const issued = Object.fromEntries(
  (['read', 'feedback', 'admin'] as Role[]).map((r) => [r, newToken(`${r}-user`, r)]),
) as Record<Role, { token: string; entry: string }>;
let running: Running;
let base: string;

beforeAll(async () => {
  running = await runProcessors(
    ['gateway', 'feedback-store', 'registry-mirror'],
    {
      ...process.env,
      KAFKA_BROKERS: brokers.join(','),
      SCHEMA_REGISTRY_URL: registryUrl,
      CHDB_PATH: freshDir('gateway'),
      ULASAN_TOPIC_PREFIX: prefix,
      ULASAN_ARTIFACT_DIR: freshDir('gateway-artifacts'),
      FEEDBACK_STORE_GROUP: `${prefix}feedback`,
      REGISTRY_MIRROR_GROUP: `${prefix}mirror`,
      SCORING_MODEL_DIR: await ensureDefaultModel(),
      GATEWAY_PORT: '0',
      // Low enough for the last test to spend it; the earlier tests make a handful of token-less calls.
      GATEWAY_RATE_LIMIT_ANONYMOUS: '100',
      GATEWAY_TOKENS: Object.values(issued)
        .map((t) => t.entry)
        .join(','),
      LOG_LEVEL: 'warn',
    },
    { opsServer: false },
  );
  base = `http://127.0.0.1:${running.handles.gateway!.port as number}`;
}, 120_000);

afterAll(async () => {
  await running?.stop();
  await running?.ctx.kafka.deleteTopics(Object.values(running.ctx.topics)).catch(() => undefined);
});

const auth = (role: Role) => ({ authorization: `Bearer ${issued[role].token}` });
const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
const get = (path: string, role: Role = 'read') => fetch(`${base}${path}`, { headers: auth(role) });

async function topic<T>(key: 'feedback' | 'predictionLog' | 'audit'): Promise<T[]> {
  const { ctx } = running;
  const out: T[] = [];
  await readToEnd(ctx.kafka, ctx.topics[key], async (v) => void out.push((await ctx.serde.decode<T>(v)).value));
  return out;
}

async function metric(name: string, label: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(name) && l.includes(label));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

describe('gateway on a real socket', () => {
  it('predicts, logs the prediction to its topic, takes feedback, and reports readiness', async () => {
    const res = await post(
      '/predict',
      { text: 'Aplikasinya sering error, kecewa berat', review_id: `${prefix}g1` },
      auth('read'),
    );
    expect(res.status).toBe(200);
    const p = (await res.json()) as { label: string; model_name: string };
    expect(p.label).toBe('negative');
    expect(p.model_name).toBe('ulasan-compact');
    expect((await post('/predict', { text: 'bagus' })).status).toBe(401);

    const bad = await post('/predict', '{"text":', auth('read'));
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { code: string }).code).toBe('INVALID_JSON');

    const fb = { review_id: `${prefix}g1`, true_label: 'negative' };
    expect((await post('/feedback', fb, auth('read'))).status).toBe(403);
    expect((await post('/feedback', fb, auth('feedback'))).status).toBe(202);
    let feedback: Feedback[] = [];
    await waitFor(async () => (feedback = await topic<Feedback>('feedback')).length > 0, 20_000, 'feedback');
    expect(feedback[0]).toMatchObject({ review_id: `${prefix}g1`, true_label: 'negative', source: 'gateway' });
    let logged: ScoredReview[] = [];
    await waitFor(async () => (logged = await topic<ScoredReview>('predictionLog')).length > 0, 20_000, 'log');
    expect(logged[0]).toMatchObject({ review_id: `${prefix}g1`, label: 'negative', source: 'gateway' });

    const ready = await fetch(`${base}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ready: true, model: true, kafka: true });
    const stats = (await (await get('/stats')).json()) as { model: { name: string } };
    expect(stats.model.name).toBe('ulasan-compact');
    expect((await post('/model/reload', {}, { authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await post('/model/reload', {}, auth('feedback'))).status).toBe(403);
  });

  it('counts feedback toward the data trigger only for scored reviews, once per review and token', async () => {
    const { ctx } = running;
    const db = ctx.store.database;
    const now = Date.now();
    await ctx.store.insert('predictions', [
      {
        review_id: `${prefix}scored`,
        app_id: 'app',
        source: 'test',
        label: 'positive',
        prob_negative: 0.1,
        prob_neutral: 0.1,
        prob_positive: 0.8,
        confidence: 0.8,
        model_name: 'ulasan-compact',
        model_version: '1',
        feature_set_version: 'x',
        created_at: toDateTime64(now),
        scored_at: toDateTime64(now),
      },
    ]);
    for (const [id, label] of [
      ['scored', 'negative'],
      ['scored', 'neutral'],
      ['never-scored', 'negative'],
    ]) {
      const res = await post('/feedback', { review_id: `${prefix}${id}`, true_label: label }, auth('feedback'));
      expect(res.status).toBe(202);
    }
    expect(
      (await post('/feedback', { review_id: `${prefix}scored`, true_label: 'negative' }, auth('admin'))).status,
    ).toBe(202);
    const stored = async () =>
      Number(
        (
          await ctx.store.query<{ n: string }>(
            `SELECT count() AS n FROM ${db}.feedback FINAL WHERE review_id LIKE '${prefix}%scored'`,
          )
        )[0]!.n,
      );
    // Four posts: the feedback token's two labels for one review collapse to its latest.
    await waitFor(async () => (await stored()) === 3, 30_000, 'feedback stored');
    expect(await feedbackSince(ctx.store, now - 60_000)).toBe(2);
  });

  it('refuses a tampered package on promotion and reload, keeps Production, and audits both actions', async () => {
    const { ctx } = running;
    const registry = await ModelRegistry.open({
      kafka: ctx.kafka,
      serde: ctx.serde,
      topics: ctx.topics,
      artifactDir: ctx.config.ULASAN_ARTIFACT_DIR,
    });
    const before = ((await (await get('/stats')).json()) as { model: { version: string } }).model.version;
    const { event } = await registry.register({
      name: 'ulasan-compact',
      packageDir: await ensureDefaultModel(),
      runId: null,
      reason: 'tamper test',
      actor: 'test',
    });
    const onnx = path.join(fileURLToPath(event.artifact_uri), 'model.onnx');
    const bytes = readFileSync(onnx);
    bytes[100]! ^= 0x01;
    writeFileSync(onnx, bytes);
    await waitFor(
      async () => ((await (await get('/models')).json()) as { versions: unknown[] }).versions.length > 0,
      20_000,
      'registered version followed',
    );
    const promoted = await post(`/models/${event.version}/promote`, { reason: 'ship it' }, auth('admin'));
    expect(promoted.status).toBe(200);
    const reloaded = (await (await post('/model/reload', {}, auth('admin'))).json()) as { model_version: string };
    expect(reloaded.model_version).toBe(before);
    expect(await metric('ulasan_model_artifact_refused_total', 'reason="hash-mismatch"')).toBeGreaterThanOrEqual(1);

    // The first test's refused reloads (a wrong token, then the feedback role) are on the trail too.
    let audit: AdminAction[] = [];
    await waitFor(async () => (audit = await topic<AdminAction>('audit')).length >= 4, 20_000, 'audit records');
    const refusal = (a: AdminAction) => a.error_code === 'UNAUTHENTICATED' || a.error_code === 'FORBIDDEN';
    expect(audit.filter(refusal).map((a) => [a.action, a.actor, a.remote_address, a.error_code])).toEqual([
      ['reload', '(unrecognised token)', '127.0.0.1', 'UNAUTHENTICATED'],
      ['reload', 'feedback-user', '127.0.0.1', 'FORBIDDEN'],
    ]);
    expect(audit.filter((a) => !refusal(a)).map((a) => [a.action, a.actor, a.to_version, a.outcome])).toEqual([
      ['promote', 'admin-user', String(event.version), 'done'],
      ['reload', 'admin-user', before, 'done'],
    ]);
    const rows = async () =>
      ctx.store.query<{ action: string; actor: string; error_code: string | null }>(
        `SELECT action, actor, error_code FROM ${ctx.store.database}.admin_audit FINAL ORDER BY at`,
      );
    await waitFor(async () => (await rows()).length === 4, 30_000, 'audit in ClickHouse');
    expect((await rows()).map((r) => [r.action, r.error_code])).toEqual([
      ['reload', 'UNAUTHENTICATED'],
      ['reload', 'FORBIDDEN'],
      ['promote', null],
      ['reload', null],
    ]);
  });

  it('serves 200 concurrent /models without opening a consumer or admin client, and 50 /stats with one query', async () => {
    // Count what the gateway's Kafka client opens while it serves the burst (other test files create
    // consumer groups on the same broker meanwhile, so the broker's group list cannot tell).
    const client = running.ctx.kafka.kafka;
    const opened = { consumer: 0, admin: 0 };
    const { consumer, admin } = client;
    client.consumer = (...args) => (opened.consumer++, consumer.apply(client, args));
    client.admin = (...args) => (opened.admin++, admin.apply(client, args));
    try {
      const models = await Promise.all(Array.from({ length: 200 }, () => get('/models')));
      expect(models.every((r) => r.status === 200)).toBe(true);
      expect(opened).toEqual({ consumer: 0, admin: 0 });
    } finally {
      client.consumer = consumer;
      client.admin = admin;
    }
    // Past one refresh period (5 s): the burst below starts a fresh read.
    await new Promise((r) => setTimeout(r, 5100));
    const queries = () => metric('ulasan_gateway_view_queries_total', 'view="stats"');
    const q0 = await queries();
    const stats = await Promise.all(Array.from({ length: 50 }, () => get('/stats')));
    expect(stats.every((r) => r.status === 200)).toBe(true);
    expect((await queries()) - q0).toBe(1);
  });

  // Last: it spends this address's budget for requests without a valid token.
  it('refuses retrain data outside the roots, and rate-limits wrong tokens per address with 429 and retry-after', async () => {
    const refused = await post('/retrain', { reason: 'probe', data: '/etc/passwd' }, auth('admin'));
    expect(refused.status).toBe(400);
    const body = (await refused.json()) as { code: string; message: string };
    expect(body.code).toBe('DATA_PATH_REFUSED');
    expect(body.message).not.toContain('root:');
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 120; i++) {
      const res = await fetch(`${base}/stats`, { headers: { authorization: `Bearer guess-${i}` } });
      statuses.push(res.status);
      if (res.status === 429) retryAfter = res.headers.get('retry-after');
      await res.body?.cancel();
    }
    expect(statuses.every((s) => s === 401 || s === 429)).toBe(true);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(20);
    expect(statuses.lastIndexOf(401)).toBeLessThan(statuses.indexOf(429));
    expect(Number(retryAfter)).toBeGreaterThan(0);
    expect((await get('/stats')).status).toBe(200); // a valid token keeps its own budget
  });
});
