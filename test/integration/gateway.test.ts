// The gateway over a real socket on the real stack: predict with the compact model, feedback to the
// feedback topic, readiness against the real Kafka, the prediction log topic.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProcessors, type Running } from '../../processors/runner.js';
import { readToEnd } from '../../processors/shared/registry/registry.js';
import type { Feedback, ScoredReview } from '../../schemas/types.generated.js';
import { ensureDefaultModel } from '../../scripts/model-build.js';
import { freshDir, stackAddresses, uniquePrefix, waitFor } from '../helpers.js';

const { brokers, registryUrl } = stackAddresses();
const prefix = uniquePrefix();
let running: Running;
let base: string;

beforeAll(async () => {
  running = await runProcessors(
    ['gateway'],
    {
      ...process.env,
      KAFKA_BROKERS: brokers.join(','),
      SCHEMA_REGISTRY_URL: registryUrl,
      CHDB_PATH: freshDir('gateway'),
      ULASAN_TOPIC_PREFIX: prefix,
      SCORING_MODEL_DIR: await ensureDefaultModel(),
      GATEWAY_PORT: '0',
      GATEWAY_ADMIN_TOKEN: 'test-admin-token-123456',
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

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

describe('gateway on a real socket', () => {
  it('predicts, logs the prediction to its topic, takes feedback, and reports readiness', async () => {
    const res = await post('/predict', { text: 'Aplikasinya sering error, kecewa berat', review_id: `${prefix}g1` });
    expect(res.status).toBe(200);
    const p = (await res.json()) as { label: string; model_name: string };
    expect(p.label).toBe('negative');
    expect(p.model_name).toBe('ulasan-compact');

    const bad = await post('/predict', '{"text":');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { code: string }).code).toBe('INVALID_JSON');

    expect((await post('/feedback', { review_id: `${prefix}g1`, true_label: 'negative' })).status).toBe(202);
    const { ctx } = running;
    const fb: Feedback[] = [];
    await waitFor(
      async () => {
        fb.length = 0;
        await readToEnd(
          ctx.kafka,
          ctx.topics.feedback,
          async (v) => void fb.push((await ctx.serde.decode<Feedback>(v)).value),
        );
        return fb.length > 0;
      },
      20_000,
      'feedback on its topic',
    );
    expect(fb[0]).toMatchObject({ review_id: `${prefix}g1`, true_label: 'negative', source: 'gateway' });

    const logged: ScoredReview[] = [];
    await waitFor(
      async () => {
        logged.length = 0;
        await readToEnd(
          ctx.kafka,
          ctx.topics.predictionLog,
          async (v) => void logged.push((await ctx.serde.decode<ScoredReview>(v)).value),
        );
        return logged.length > 0;
      },
      20_000,
      'prediction log',
    );
    expect(logged[0]).toMatchObject({ review_id: `${prefix}g1`, label: 'negative', source: 'gateway' });

    const ready = await fetch(`${base}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ready: true, model: true, kafka: true });
    const stats = (await (await fetch(`${base}/stats`)).json()) as { model: { name: string } };
    expect(stats.model.name).toBe('ulasan-compact');
    expect((await post('/model/reload', {}, { authorization: 'Bearer wrong' })).status).toBe(403);
  });
});
