// The gateway as a runner process: real engine (hot-reloaded from the registry like the scorers,
// verified packages only), the followed registry, Kafka topics and ClickHouse behind GatewayDeps.
//   npm run gateway
import type { AddressInfo } from 'node:net';
import type { ModelVersionEvent, ScoredReview } from '../schemas/types.generated.js';
import { Health } from '../processors/kit/kit.js';
import type { Context, Processor } from '../processors/kit/context.js';
import type { Producer } from '../platform/kafka/kafka.js';
import type { Logger } from '../platform/logger.js';
import { retrainDataRoots } from '../platform/data-path.js';
import { counter } from '../platform/metrics.js';
import { ModelHolder } from '../models/serving/model-holder.js';
import { followedRegistry } from '../platform/registry/follower.js';
import { alertsPort } from './plugins/alerts-queries.js';
import { buildGateway, type GatewayDeps, type GatewayOptions } from './app.js';
import { TokenBook, parseTokens } from './auth.js';
import { parseGatewayConfig, type GatewayConfig } from './config.js';
import { KafkaProbe, acknowledgedSend } from './ports.js';
import { DRIFT_SEGMENTS_SQL, driftSegmentView, statsCounts, trend, type DriftSegmentRow } from './queries.js';
import { Snapshot } from './snapshot.js';
import { clickhouseDashboardPort } from './dashboard-port.js';

function tokenBook(cfg: GatewayConfig, log: Logger): TokenBook {
  const book = new TokenBook(parseTokens(cfg.GATEWAY_TOKENS ?? '').entries);
  if (book.size === 0) log.warn('GATEWAY_TOKENS is empty: every route but health, metrics and docs answers 401');
  return book;
}

/** The ClickHouse-backed views, each read at most once per refresh period however many ask. */
function views(ctx: Context, cfg: GatewayConfig) {
  const queries = counter(ctx.metrics, {
    name: 'ulasan_gateway_view_queries_total',
    help: 'ClickHouse reads behind the gateway views (at most one per view and refresh period)',
    labelNames: ['view'],
  });
  const view = <T>(name: string, load: () => Promise<T>) =>
    new Snapshot(() => (queries.inc({ view: name }), load()), cfg.GATEWAY_VIEW_REFRESH_MS);
  return {
    stats: view('stats', () => statsCounts(ctx.store)),
    trend: view('trend', () => trend(ctx.store)),
    driftSegments: view('drift_segments', async () =>
      (await ctx.store.query<DriftSegmentRow>(DRIFT_SEGMENTS_SQL(ctx.store.database))).map(driftSegmentView),
    ),
  };
}

interface Wiring {
  ctx: Context;
  cfg: GatewayConfig;
  log: Logger;
  models: ModelHolder;
  registry: Awaited<ReturnType<typeof followedRegistry>>['registry'];
  producer: Producer;
  send: ReturnType<typeof acknowledgedSend>;
  probe: KafkaProbe;
}

/** The route groups' dependencies on the real engine, registry, Kafka and ClickHouse. */
function gatewayDeps({ ctx, cfg, log, models, registry, producer, send, probe }: Wiring): GatewayDeps {
  const v = views(ctx, cfg);
  const name = cfg.SCORING_MODEL_NAME;
  // Admin actions act on the followed state brought up to date with what others wrote.
  const synced = async () => (await registry.refresh(), registry);
  return {
    modelName: name,
    engine: () => models.snapshot().production,
    registry: {
      versions: async () => registry.state.versions(name),
      promote: async (version, reason, actor) => (await synced()).promote(name, version, reason, actor),
      rollback: async (reason, actor) => (await synced()).rollback(name, reason, actor),
    },
    reload: async () => {
      for (const e of (await synced()).state.history(name) as ModelVersionEvent[]) models.observe(e);
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
    // feedback table keeps one row per review and submitter, so a late first attempt is harmless).
    sendFeedback: (f) => send('feedback', f.review_id, f),
    audit: (a) => send('audit', a.action_id, a),
    requestRetrain: (r) => send('retrain', r.request_id, r),
    stats: async () => {
      const p = models.snapshot().production;
      return { ...(await v.stats.get()), model: { name: p.name, version: p.version } };
    },
    trend: () => v.trend.get(),
    driftSegments: () => v.driftSegments.get(),
    dashboard: clickhouseDashboardPort(ctx.store, ctx.config.ULASAN_ARTIFACT_DIR, name),
    alerts: alertsPort(ctx.store),
    kafkaReachable: () => probe.reachable(),
    metrics: ctx.metrics,
  };
}

function gatewayOptions(ctx: Context, cfg: GatewayConfig, log: Logger): GatewayOptions {
  return {
    tokens: tokenBook(cfg, log),
    maxBatch: cfg.GATEWAY_MAX_BATCH,
    bodyLimit: cfg.GATEWAY_BODY_LIMIT,
    rateLimitMax: cfg.GATEWAY_RATE_LIMIT,
    rateLimitAnonymousMax: cfg.GATEWAY_RATE_LIMIT_ANONYMOUS,
    rateLimitWindowMs: cfg.GATEWAY_RATE_WINDOW_MS,
    retrainRoots: retrainDataRoots(ctx.config.ULASAN_DATA_DIR, cfg.LAUNCHER_MANIFEST),
    refusedAuditMax: cfg.GATEWAY_REFUSED_AUDIT_MAX,
    microBatch: cfg.GATEWAY_MICROBATCH === 'on',
    log,
    grafanaUrl: cfg.GRAFANA_URL,
  };
}

export const gateway: Processor = {
  name: 'gateway',
  topology: {
    inputs: [],
    outputs: ['feedback', 'predictionLog', 'audit', 'registry', 'retrain'],
    reads: ['registry'],
    tables: [],
    commit: 'none',
    punctuators: [],
  },
  async start(ctx: Context) {
    const cfg = parseGatewayConfig(ctx.env);
    const log = ctx.logger.child({ processor: 'gateway' });
    const engine = { intraOpThreads: cfg.SCORING_INTRA_OP_THREADS, maxBatch: cfg.SCORING_ENGINE_BATCH };
    const models = await ModelHolder.start(
      cfg.SCORING_MODEL_DIR,
      cfg.SCORING_MODEL_NAME,
      { engine, artifactRoot: cfg.ULASAN_ARTIFACT_DIR, metrics: ctx.metrics },
      log,
    );
    const health = new Health(ctx.config.ULASAN_STALL_MS);
    const { registry, follower } = await followedRegistry(ctx);
    follower.onEvent((e) => models.observe(e));
    const producer = ctx.kafka.producer();
    await producer.connect();
    const send = acknowledgedSend(ctx, producer, health, cfg.GATEWAY_KAFKA_TIMEOUT_MS);
    const probe = new KafkaProbe(ctx.kafka);
    const deps = gatewayDeps({ ctx, cfg, log, models, registry, producer, send, probe });
    const app = await buildGateway(deps, gatewayOptions(ctx, cfg, log));
    await app.listen({ port: cfg.GATEWAY_PORT, host: cfg.GATEWAY_HOST });
    const port = (app.server.address() as AddressInfo).port;
    log.info({ port }, 'gateway listening');
    return {
      healthy: () => health.healthy() && follower.healthy(),
      port,
      models,
      async stop() {
        await app.close();
        await probe.close();
        await follower.release();
        await producer.disconnect();
        await models.close();
      },
    };
  },
};
