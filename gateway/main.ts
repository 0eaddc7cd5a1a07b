// The gateway as a runner process: real engine (hot-reloaded from the registry like the scorers),
// registry, Kafka topics and ClickHouse behind GatewayDeps.   npm run gateway
import type { AddressInfo } from 'node:net';
import type { Feedback, ModelVersionEvent, ScoredReview } from '../schemas/types.generated.js';
import { parseConfig, z } from '../processors/shared/config.js';
import { UlasanError } from '../processors/shared/errors.js';
import { Health } from '../processors/shared/kit.js';
import type { Context, Processor } from '../processors/shared/context.js';
import { ModelHolder } from '../processors/shared/model-holder.js';
import { followedRegistry } from '../processors/shared/registry/follower.js';
import type { ModelRegistry } from '../processors/shared/registry/registry.js';
import { scoringShape } from '../processors/scoring/config.js';
import { buildGateway, type GatewayDeps } from './app.js';
import type { Stats } from './schemas.js';
import { DRIFT_SEGMENTS_SQL, driftSegmentView, type DriftSegmentRow } from './queries.js';

const gatewayShape = {
  ...scoringShape,
  GATEWAY_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  GATEWAY_HOST: z.string().default('127.0.0.1'),
  /** Bearer token for the admin routes; unset = admin routes always answer 403. */
  GATEWAY_ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  GATEWAY_MAX_BATCH: z.coerce.number().int().min(1).max(10_000).default(256),
  GATEWAY_BODY_LIMIT: z.coerce
    .number()
    .int()
    .min(1024)
    .default(1024 * 1024),
  GATEWAY_RATE_LIMIT: z.coerce.number().int().min(1).default(6000),
  GATEWAY_RATE_WINDOW_MS: z.coerce.number().int().min(1000).default(60_000),
  GATEWAY_MICROBATCH: z.enum(['on', 'off']).default('on'),
  /** How long /feedback waits for Kafka to acknowledge before answering 503 (nothing is acknowledged unwritten). */
  GATEWAY_KAFKA_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(5000),
  GRAFANA_URL: z.string().url().default('http://127.0.0.1:3000'),
};

/** Resolves or rejects with `p`, or rejects with `error()` after `ms` (p keeps running: it may still land). */
function withTimeout<T>(p: Promise<T>, ms: number, error: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(error()), ms)));
  p.catch(() => undefined); // a late failure after the timeout has already been answered
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export const gateway: Processor = {
  name: 'gateway',
  topology: {
    inputs: ['registry'],
    outputs: ['feedback', 'predictionLog'],
    tables: [],
    commit: 'none',
    punctuators: [],
  },
  async start(ctx: Context) {
    const cfg = parseConfig(gatewayShape, ctx.env);
    const log = ctx.logger.child({ processor: 'gateway' });
    const models = await ModelHolder.start(
      cfg.SCORING_MODEL_DIR,
      cfg.SCORING_MODEL_NAME,
      { intraOpThreads: cfg.SCORING_INTRA_OP_THREADS, maxBatch: cfg.SCORING_ENGINE_BATCH },
      log,
    );
    const health = new Health(ctx.config.ULASAN_STALL_MS);
    const { registry, follower } = await followedRegistry(ctx);
    follower.onEvent((e) => models.observe(e));
    const producer = ctx.kafka.producer();
    await producer.connect();
    // The followed state, brought up to date with anything another process wrote (cheap: no re-read).
    const openRegistry = async (): Promise<ModelRegistry> => {
      await registry.refresh();
      return registry;
    };
    const db = ctx.store.database;
    const one = async (sql: string): Promise<Record<string, unknown>> => (await ctx.store.query(sql))[0] ?? {};

    const deps: GatewayDeps = {
      engine: () => models.snapshot().production,
      registry: {
        versions: async () => (await openRegistry()).state.versions(cfg.SCORING_MODEL_NAME),
        promote: async (version, reason) =>
          (await openRegistry()).promote(cfg.SCORING_MODEL_NAME, version, reason, 'gateway'),
        rollback: async (reason) => (await openRegistry()).rollback(cfg.SCORING_MODEL_NAME, reason, 'gateway'),
      },
      reload: async () => {
        const reg = await openRegistry();
        for (const e of reg.state.history(cfg.SCORING_MODEL_NAME) as ModelVersionEvent[]) models.observe(e);
        await models.settled();
        return models.snapshot().production.version;
      },
      logPredictions: (preds: ScoredReview[]) => {
        void Promise.all(
          preds.map(async (p) => ({ key: p.review_id, value: await ctx.serde.encode(ctx.topics.predictionLog, p) })),
        )
          .then((messages) => producer.send({ topic: ctx.topics.predictionLog, messages }))
          .catch((err: unknown) => log.warn({ err }, 'prediction log send failed'));
      },
      // Acknowledged only once Kafka has it; past the timeout the caller gets 503 and may retry (the
      // feedback table keeps one row per review_id, so a late write of the first attempt is harmless).
      sendFeedback: async (f: Feedback) => {
        const value = await ctx.serde.encode(ctx.topics.feedback, f);
        const sent = producer.send({ topic: ctx.topics.feedback, messages: [{ key: f.review_id, value }], acks: -1 });
        const timeout = () =>
          new UlasanError(
            'KAFKA_UNAVAILABLE',
            `Kafka did not acknowledge the feedback within ${cfg.GATEWAY_KAFKA_TIMEOUT_MS} ms`,
          );
        try {
          await withTimeout(sent, cfg.GATEWAY_KAFKA_TIMEOUT_MS, timeout);
          health.ok('kafka');
        } catch (err) {
          health.waiting('kafka');
          throw err;
        }
      },
      stats: async (): Promise<Stats> => {
        const v = await one(
          `SELECT count() AS total, countIf(scored_at >= now() - INTERVAL 1 DAY) AS day, countIf(label = 'negative') AS neg, countIf(label = 'neutral') AS neu, countIf(label = 'positive') AS pos FROM ${db}.predictions FINAL`,
        );
        const d = await one(
          `SELECT toString(window_start) AS start, drifted, severity FROM ${db}.drift_windows FINAL WHERE tested ORDER BY window_start DESC LIMIT 1`,
        );
        const p = models.snapshot().production;
        return {
          reviews_scored: Number(v.total ?? 0),
          last_24h: Number(v.day ?? 0),
          sentiment_mix: { negative: Number(v.neg ?? 0), neutral: Number(v.neu ?? 0), positive: Number(v.pos ?? 0) },
          drift: {
            latest_window: (d.start as string | undefined) ?? null,
            drifted: Boolean(d.drifted),
            severity: Number(d.severity ?? 0),
          },
          model: { name: p.name, version: p.version },
        };
      },
      trend: async () =>
        (
          await ctx.store.query<{ day: string; negative: string; neutral: string; positive: string }>(
            `SELECT toString(day) AS day, sum(negative) AS negative, sum(neutral) AS neutral, sum(positive) AS positive FROM ${db}.trend_daily_sentiment GROUP BY day ORDER BY day`,
          )
        ).map((r) => ({
          day: r.day,
          negative: Number(r.negative),
          neutral: Number(r.neutral),
          positive: Number(r.positive),
        })),
      driftSegments: async () => (await ctx.store.query<DriftSegmentRow>(DRIFT_SEGMENTS_SQL(db))).map(driftSegmentView),
      kafkaReachable: async () => {
        const admin = ctx.kafka.admin();
        try {
          await Promise.race([
            admin.connect().then(() => admin.describeCluster()),
            new Promise((_, r) => setTimeout(() => r(new Error('timeout')), 2000)),
          ]);
          return true;
        } catch {
          return false;
        } finally {
          await admin.disconnect().catch(() => undefined);
        }
      },
      metrics: ctx.metrics,
    };
    const app = await buildGateway(deps, {
      adminToken: cfg.GATEWAY_ADMIN_TOKEN,
      maxBatch: cfg.GATEWAY_MAX_BATCH,
      bodyLimit: cfg.GATEWAY_BODY_LIMIT,
      rateLimitMax: cfg.GATEWAY_RATE_LIMIT,
      rateLimitWindowMs: cfg.GATEWAY_RATE_WINDOW_MS,
      microBatch: cfg.GATEWAY_MICROBATCH === 'on',
      grafanaUrl: cfg.GRAFANA_URL,
    });
    await app.listen({ port: cfg.GATEWAY_PORT, host: cfg.GATEWAY_HOST });
    const port = (app.server.address() as AddressInfo).port;
    log.info({ port }, 'gateway listening');
    return {
      healthy: () => health.healthy() && follower.healthy(),
      port,
      models,
      async stop() {
        await app.close();
        await follower.release();
        await producer.disconnect();
        await models.close();
      },
    };
  },
};
