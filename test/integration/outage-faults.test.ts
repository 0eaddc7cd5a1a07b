// Outages are waits, not verdicts, on the real stack:
// - the schema registry is unreachable for 30 s (a TCP proxy in front of it refuses connections)
//   while reviews with a schema version the scorer has not seen arrive: none is dead-lettered, all
//   are scored once it is back;
// - ClickHouse inserts fail for a while (the predictions table is detached): nothing is lost and
//   nothing is stored twice.
// (Kafka down during gateway /feedback: feedback-kafka-down.test.ts, its own process for chdb.)
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { produceReviews } from '../../processors/producer/main.js';
import { loadSchema } from '../../platform/serde/schemas.js';
import { AvroSerde } from '../../platform/serde/serde.js';
import { runProcessors, type Running } from '../../app/runner.js';
import type { Review } from '../../schemas/types.generated.js';
import { ensureDefaultModel } from '../../scripts/model-build.js';
import { freshDir, stackAddresses, uniquePrefix, waitFor } from '../helpers.js';

const { brokers, registryUrl } = stackAddresses();

/** A TCP proxy that can refuse every connection (an unreachable dependency) and come back. */
class SwitchableProxy {
  private readonly sockets = new Set<net.Socket>();
  private open = true;
  readonly server: net.Server;

  constructor(private readonly target: { host: string; port: number }) {
    this.server = net.createServer((client) => {
      if (!this.open) return client.destroy();
      const upstream = net.connect(this.target);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
    });
  }

  async listen(): Promise<number> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return (this.server.address() as net.AddressInfo).port;
  }

  down(): void {
    this.open = false;
    for (const s of this.sockets) s.destroy();
  }

  up(): void {
    this.open = true;
  }
}

const target = new URL(registryUrl);
const proxy = new SwitchableProxy({ host: target.hostname, port: Number(target.port) });
const prefix = uniquePrefix();
let running: Running;

beforeAll(async () => {
  const port = await proxy.listen();
  running = await runProcessors(
    ['scoring'],
    {
      ...process.env,
      KAFKA_BROKERS: brokers.join(','),
      SCHEMA_REGISTRY_URL: `http://127.0.0.1:${port}${target.pathname}`,
      CHDB_PATH: freshDir('outage'),
      ULASAN_TOPIC_PREFIX: prefix,
      SCORING_GROUP: `${prefix}scoring`,
      SCORING_MODEL_DIR: await ensureDefaultModel(),
      SCORING_INSTANCE_ID: `outage-${process.pid}`,
      ULASAN_STALL_MS: '10000',
      LOG_LEVEL: 'error',
    },
    { opsServer: false },
  );
}, 240_000);

afterAll(async () => {
  proxy.up();
  await running?.stop();
  await running?.ctx.kafka.deleteTopics(Object.values(running.ctx.topics)).catch(() => undefined);
  proxy.server.close();
});

function reviews(label: string, n: number): Review[] {
  const now = Date.now();
  return Array.from({ length: n }, (_, i) => ({
    review_id: `${prefix}${label}-${i}`,
    app_id: 'id.co.outage',
    source: 'google_play',
    text: i % 2 ? 'aplikasinya bagus dan cepat sekali' : 'sering error, lambat, mengecewakan',
    rating: null,
    lang: null,
    author_hash: null,
    created_at: now - 60_000 + i,
    ingested_at: now,
  }));
}

async function metric(name: string): Promise<number> {
  const m = await running.ctx.metrics.getSingleMetric(name)?.get();
  return (m?.values ?? []).reduce((s, v) => s + v.value, 0);
}

const predictions = async (): Promise<{ n: number; distinct: number }> => {
  const db = running.ctx.store.database;
  const r = await running.ctx.store.query<{ n: string; d: string }>(
    `SELECT count() AS n, uniqExact(review_id) AS d FROM ${db}.predictions FINAL`,
  );
  return { n: Number(r[0]!.n), distinct: Number(r[0]!.d) };
};

describe('outages are waits', () => {
  it(
    'registry unreachable for 30 s: a new schema version waits, nothing is dead-lettered, all are scored after',
    { timeout: 180_000 },
    async () => {
      const { ctx } = running;
      // A new, BACKWARD-compatible version of the Review schema, registered straight at the registry.
      const writer = new AvroSerde(registryUrl);
      const v2 = loadSchema('Review');
      (v2.fields as unknown[]).push({ name: 'device', type: ['null', 'string'], default: null });
      const v2Id = await writer.register(ctx.topics.reviews, 'Review', v2);
      expect(v2Id).not.toBe(ctx.serde.schemaId(ctx.topics.reviews));
      const deadBefore = await metric('ulasan_scoring_dead_lettered_total');

      proxy.down();
      const batch = reviews('v2', 200);
      await produceReviews(ctx.kafka, writer, ctx.topics.reviews, batch);
      await waitFor(
        async () => (await metric('ulasan_outage_retries_total')) >= 3,
        30_000,
        'the scorer waiting on the registry',
      );
      await new Promise((r) => setTimeout(r, 30_000));
      expect((await predictions()).n).toBe(0);
      expect(running.handles.scoring!.healthy()).toBe(false); // waiting > its stall limit is reported
      proxy.up();

      await waitFor(
        async () => (await predictions()).n === batch.length,
        90_000,
        `${batch.length} predictions after the registry returned`,
      );
      expect(await metric('ulasan_scoring_dead_lettered_total')).toBe(deadBefore);
      await waitFor(async () => running.handles.scoring!.healthy(), 30_000, 'healthy again');
    },
  );

  it('ClickHouse inserts failing for a while: no review lost, none stored twice', { timeout: 180_000 }, async () => {
    const { ctx } = running;
    const db = ctx.store.database;
    const before = (await predictions()).n;
    const retries = await metric('ulasan_outage_retries_total');
    await ctx.store.exec(`DETACH TABLE ${db}.predictions`);
    const batch = reviews('ch', 300);
    await produceReviews(ctx.kafka, ctx.serde, ctx.topics.reviews, batch);
    await waitFor(
      async () => (await metric('ulasan_outage_retries_total')) >= retries + 3,
      60_000,
      'inserts failing and retried',
    );
    await ctx.store.exec(`ATTACH TABLE ${db}.predictions`);

    await waitFor(
      async () => (await predictions()).n === before + batch.length,
      90_000,
      `${before + batch.length} predictions`,
    );
    const p = await predictions();
    expect(p.distinct).toBe(p.n);
    expect(await metric('ulasan_scoring_dead_lettered_total')).toBe(0);
  });
});
