// The Fastify gateway: synchronous predict, feedback, model admin, stats, health, metrics, OpenAPI.
// Everything it touches comes in as GatewayDeps, so routes are tested with inject() and mocks, and
// the runner wires the real engine, registry, Kafka and ClickHouse.
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyRequest } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Registry } from 'prom-client';
import type { InferenceEngine } from '../models/core/engine.js';
import type { Feedback, ModelVersionEvent, ScoredReview } from '../schemas/types.generated.js';
import { ERROR_INFO, UlasanError, isUlasanError, type ErrorCode } from '../processors/shared/errors.js';
import { sentimentProbs, topSentiment } from '../processors/shared/sentiment.js';
import { MicroBatcher } from './microbatch.js';
import { statusPage } from './status-page.js';
import {
  BatchRequest,
  BatchResponse,
  DriftSegment,
  ErrorBody,
  FeedbackRequest,
  ModelVersion,
  Prediction,
  PredictRequest,
  ReasonBody,
  Stats,
  VersionParams,
  type DriftSegment as DriftSegmentT,
  type Stats as StatsT,
} from './schemas.js';

export interface RegistryPort {
  versions(): Promise<ModelVersionEvent[]>;
  promote(version: number, reason: string): Promise<ModelVersionEvent[]>;
  rollback(reason: string): Promise<ModelVersionEvent[]>;
}

export interface GatewayDeps {
  engine(): InferenceEngine;
  registry: RegistryPort;
  /** Re-reads the registry and loads its Production version; resolves with the version in use. */
  reload(): Promise<string>;
  /** Fire-and-forget prediction log (a topic); must not slow the response. */
  logPredictions(preds: ScoredReview[]): void;
  sendFeedback(f: Feedback): Promise<void>;
  stats(): Promise<StatsT>;
  /** Daily sentiment counts of the last 30 days (the trend view). */
  trend(): Promise<{ day: string; negative: number; neutral: number; positive: number }[]>;
  kafkaReachable(): Promise<boolean>;
  /** The latest drift window of every segment, with its reference (empty with a dataset reference). */
  driftSegments(): Promise<DriftSegmentT[]>;
  metrics: Registry;
}

export interface GatewayOptions {
  adminToken?: string;
  maxBatch: number;
  bodyLimit: number;
  rateLimitMax: number;
  rateLimitWindowMs: number;
  /** Batch concurrent /predict calls into shared engine runs. */
  microBatch: boolean;
  logger?: boolean;
  grafanaUrl?: string;
}

function fail(code: ErrorCode, message?: string): UlasanError {
  return new UlasanError(code, message);
}

export async function buildGateway(deps: GatewayDeps, o: GatewayOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: o.logger ?? false,
    bodyLimit: o.bodyLimit,
    genReqId: () => randomUUID(),
    // Unknown fields are an error, not something to strip silently.
    ajv: { customOptions: { removeAdditional: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  // One error registry: every 4xx/5xx body is { code, message, statusCode }.
  app.setErrorHandler((err: FastifyError | UlasanError, _req, reply) => {
    let code: ErrorCode = 'INTERNAL';
    let message = err.message;
    if (isUlasanError(err)) code = err.code;
    else if ((err as FastifyError).validation) code = 'VALIDATION_FAILED';
    else if ((err as FastifyError).code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err instanceof SyntaxError)
      code = 'INVALID_JSON';
    else if ((err as FastifyError).code === 'FST_ERR_CTP_BODY_TOO_LARGE') code = 'BODY_TOO_LARGE';
    else if ((err as FastifyError).statusCode === 429) code = 'RATE_LIMITED';
    else if ((err as FastifyError).statusCode === 415) {
      code = 'VALIDATION_FAILED';
      message = 'content-type must be application/json';
    } else if ((err as FastifyError).statusCode && (err as FastifyError).statusCode! < 500) code = 'VALIDATION_FAILED';
    if (code === 'INTERNAL') message = 'internal error';
    const statusCode = (err as FastifyError).statusCode === 415 ? 415 : ERROR_INFO[code].status;
    void reply.status(statusCode).send({ code, message, statusCode });
  });
  app.setNotFoundHandler(
    (req, reply) =>
      void reply.status(404).send({ code: 'NOT_FOUND', message: `no route ${req.method} ${req.url}`, statusCode: 404 }),
  );

  await app.register(rateLimit, {
    max: o.rateLimitMax,
    timeWindow: o.rateLimitWindowMs,
    errorResponseBuilder: (_req, ctx) => ({
      code: 'RATE_LIMITED',
      message: `rate limit of ${ctx.max} requests per ${ctx.after} exceeded`,
      statusCode: 429,
    }),
  });
  await app.register(swagger, {
    openapi: {
      info: { title: 'Ulasan gateway', version: '1' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  const admin = async (req: FastifyRequest): Promise<void> => {
    const header = req.headers.authorization;
    if (!header || !header.startsWith('Bearer ')) throw fail('UNAUTHENTICATED');
    if (!o.adminToken || header.slice('Bearer '.length) !== o.adminToken) throw fail('FORBIDDEN');
  };

  const predictMany = async (items: PredictRequest[]): Promise<Prediction[]> => {
    const engine = deps.engine();
    const preds = await engine.predict(items.map((i) => i.text));
    const now = Date.now();
    const out = preds.map((p, i) => {
      const probs = sentimentProbs(p, engine.pkg.sentiments);
      return {
        label: topSentiment(probs),
        confidence: Math.max(probs.negative, probs.neutral, probs.positive),
        probabilities: probs,
        model_name: p.modelName,
        model_version: p.modelVersion,
        review_id: items[i]!.review_id ?? `gw-${randomUUID()}`,
      };
    });
    deps.logPredictions(
      out.map((p, i) => ({
        review_id: p.review_id,
        app_id: items[i]!.app_id ?? 'gateway',
        source: 'gateway',
        label: p.label,
        prob_negative: p.probabilities.negative,
        prob_neutral: p.probabilities.neutral,
        prob_positive: p.probabilities.positive,
        model_name: p.model_name,
        model_version: p.model_version,
        feature_set_version: engine.pkg.meta.feature_set_version ?? 'none',
        shadow: false,
        created_at: now,
        scored_at: now,
        origin_partition: null,
        origin_offset: null,
        rating: null,
        features: {},
      })),
    );
    return out;
  };
  const batcher = new MicroBatcher<PredictRequest, Prediction>(predictMany, o.microBatch, 256);
  const errors = {
    400: ErrorBody,
    401: ErrorBody,
    403: ErrorBody,
    404: ErrorBody,
    413: ErrorBody,
    429: ErrorBody,
    500: ErrorBody,
    503: ErrorBody,
  };

  app.post(
    '/predict',
    { schema: { body: PredictRequest, response: { 200: Prediction, ...errors }, tags: ['predict'] } },
    async (req) => batcher.submit(req.body),
  );
  app.post(
    '/predict/batch',
    { schema: { body: BatchRequest(o.maxBatch), response: { 200: BatchResponse, ...errors }, tags: ['predict'] } },
    async (req) => ({ predictions: await predictMany(req.body.items) }),
  );
  app.post(
    '/feedback',
    {
      schema: {
        body: FeedbackRequest,
        response: { 202: Type.Object({ accepted: Type.Boolean() }), ...errors },
        tags: ['feedback'],
      },
    },
    async (req, reply) => {
      await deps.sendFeedback({
        review_id: req.body.review_id,
        true_label: req.body.true_label,
        source: req.body.source ?? 'gateway',
        user_hash: null,
        comment: req.body.comment ?? null,
        given_at: Date.now(),
      });
      return reply.status(202).send({ accepted: true });
    },
  );

  const view = (v: ModelVersionEvent) => ({
    name: v.name,
    version: v.version,
    stage: v.stage,
    metrics: v.metrics ?? {},
    artifact_uri: v.artifact_uri,
    run_id: v.run_id ?? null,
    reason: v.reason,
    since: new Date(v.timestamp).toISOString(),
  });
  app.get(
    '/models',
    { schema: { response: { 200: Type.Object({ versions: Type.Array(ModelVersion) }), ...errors }, tags: ['models'] } },
    async () => ({ versions: (await deps.registry.versions()).map(view) }),
  );
  app.get(
    '/models/:version',
    { schema: { params: VersionParams, response: { 200: ModelVersion, ...errors }, tags: ['models'] } },
    async (req) => {
      const v = (await deps.registry.versions()).find((x) => x.version === req.params.version);
      if (!v) throw fail('NOT_FOUND', `no model version ${req.params.version}`);
      return view(v);
    },
  );
  const adminSchema = { security: [{ bearer: [] }], tags: ['admin'] };
  app.post(
    '/models/:version/promote',
    {
      onRequest: admin,
      schema: {
        ...adminSchema,
        params: VersionParams,
        body: Type.Optional(ReasonBody),
        response: { 200: Type.Object({ events: Type.Array(ModelVersion) }), ...errors },
      },
    },
    async (req) => ({
      events: (await deps.registry.promote(req.params.version, req.body?.reason ?? 'promoted via gateway')).map(view),
    }),
  );
  app.post(
    '/models/rollback',
    {
      onRequest: admin,
      schema: {
        ...adminSchema,
        body: Type.Optional(ReasonBody),
        response: { 200: Type.Object({ events: Type.Array(ModelVersion) }), ...errors },
      },
    },
    async (req) => ({
      events: (await deps.registry.rollback(req.body?.reason ?? 'rolled back via gateway')).map(view),
    }),
  );
  app.post(
    '/model/reload',
    {
      onRequest: admin,
      schema: { ...adminSchema, response: { 200: Type.Object({ model_version: Type.String() }), ...errors } },
    },
    async () => ({ model_version: await deps.reload() }),
  );
  app.get('/stats', { schema: { response: { 200: Stats, ...errors }, tags: ['ops'] } }, async () => deps.stats());
  app.get('/stats/trend', { schema: { tags: ['ops'] } }, async () => ({ days: await deps.trend() }));
  app.get(
    '/drift/segments',
    { schema: { response: { 200: Type.Object({ segments: Type.Array(DriftSegment) }), ...errors }, tags: ['ops'] } },
    async () => ({ segments: await deps.driftSegments() }),
  );
  const page = statusPage({ grafana: o.grafanaUrl ?? 'http://127.0.0.1:3000', metrics: '/metrics' });
  app.get('/', { schema: { hide: true } }, async (_req, reply) => reply.type('text/html; charset=utf-8').send(page));
  app.get('/health', { schema: { tags: ['ops'] } }, async () => ({ status: 'ok' }));
  app.get('/ready', { schema: { tags: ['ops'] } }, async (_req, reply) => {
    const model = Boolean(deps.engine());
    const kafka = await deps.kafkaReachable();
    return reply.status(model && kafka ? 200 : 503).send({ ready: model && kafka, model, kafka });
  });
  app.get('/metrics', { schema: { tags: ['ops'], hide: true } }, async (_req, reply) =>
    reply.type(deps.metrics.contentType).send(await deps.metrics.metrics()),
  );
  return app;
}
