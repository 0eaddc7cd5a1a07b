// The Fastify gateway: synchronous predict, feedback, model admin, stats, health, metrics, OpenAPI.
// Everything it touches comes in as GatewayDeps, so routes are tested with inject() and mocks, and
// the runner wires the real engine, registry, Kafka and ClickHouse.
import { randomUUID } from 'node:crypto';
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyRequest,
  type onRequestHookHandler,
} from 'fastify';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Registry } from 'prom-client';
import type { InferenceEngine } from '../models/core/engine.js';
import type {
  AdminAction,
  Feedback,
  ModelVersionEvent,
  RetrainRequest,
  ScoredReview,
} from '../schemas/types.generated.js';
import { manualRetrainRequest } from '../processors/shared/retrain.js';
import { ERROR_INFO, UlasanError, isUlasanError, type ErrorCode } from '../processors/shared/errors.js';
import type { Logger } from '../processors/shared/logger.js';
import { sentimentProbs, topSentiment } from '../processors/shared/sentiment.js';
import { allows, bearer, submitterOf, type Identity, type Role, type TokenBook } from './auth.js';
import { MicroBatcher } from './microbatch.js';
import { dashboardRoutes, type DashboardPort } from './dashboard.js';
import { statusPage, STATUS_ASSETS } from './status-page.js';
import { alertsPlugin } from './plugins/alerts.js';
import type { AlertsPort } from './plugins/alerts-queries.js';
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
  RetrainBody,
  Stats,
  VersionParams,
  type DriftSegment as DriftSegmentT,
  type Stats as StatsT,
} from './schemas.js';

export interface RegistryPort {
  /** The followed registry state as it is (cheap: no Kafka round trip). */
  versions(): Promise<ModelVersionEvent[]>;
  promote(version: number, reason: string, actor: string): Promise<ModelVersionEvent[]>;
  rollback(reason: string, actor: string): Promise<ModelVersionEvent[]>;
}

export interface GatewayDeps {
  /** The model the gateway serves and administers. */
  modelName: string;
  engine(): InferenceEngine;
  registry: RegistryPort;
  /** Re-reads the registry and loads its Production version; resolves with the version in use. */
  reload(): Promise<string>;
  /** Fire-and-forget prediction log (a topic); must not slow the response. */
  logPredictions(preds: ScoredReview[]): void;
  sendFeedback(f: Feedback): Promise<void>;
  /** Writes one admin action to the audit trail (a topic mirrored to ClickHouse). */
  audit(a: AdminAction): Promise<void>;
  /** Puts a retrain request on the topic the triggers use; resolves once Kafka acknowledged it. */
  requestRetrain(r: RetrainRequest): Promise<void>;
  stats(): Promise<StatsT>;
  /** Daily sentiment counts of the last 30 days (the trend view). */
  trend(): Promise<{ day: string; negative: number; neutral: number; positive: number }[]>;
  kafkaReachable(): Promise<boolean>;
  /** The latest drift window of every segment, with its reference (empty with a dataset reference). */
  driftSegments(): Promise<DriftSegmentT[]>;
  /** The status page's panels. */
  dashboard: DashboardPort;
  /** GET /alerts reads through it; without it the route is not registered. */
  alerts?: AlertsPort;
  metrics: Registry;
}

export interface GatewayOptions {
  /** Who may call what: an empty book means every role-protected route answers 401. */
  tokens: TokenBook;
  maxBatch: number;
  bodyLimit: number;
  /** Requests per window, counted per token (per client address for requests without a valid token). */
  rateLimitMax: number;
  rateLimitWindowMs: number;
  /** Batch concurrent /predict calls into shared engine runs. */
  microBatch: boolean;
  /** Where 5xx errors are logged (with the request id); fastify's own request logging stays off. */
  log?: Pick<Logger, 'error'>;
  grafanaUrl?: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    identity: Identity | null;
  }
}

function fail(code: ErrorCode, message?: string): UlasanError {
  return new UlasanError(code, message);
}

/** The error code and HTTP status for any error a route or fastify throws. */
function classify(err: FastifyError | UlasanError): { code: ErrorCode; statusCode: number } {
  const status = (err as FastifyError).statusCode;
  let code: ErrorCode = 'INTERNAL';
  if (isUlasanError(err)) code = err.code;
  else if ((err as FastifyError).validation) code = 'VALIDATION_FAILED';
  else if ((err as FastifyError).code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err instanceof SyntaxError)
    code = 'INVALID_JSON';
  else if ((err as FastifyError).code === 'FST_ERR_CTP_BODY_TOO_LARGE') code = 'BODY_TOO_LARGE';
  else if (status === 429) code = 'RATE_LIMITED';
  else if (status && status < 500) code = 'VALIDATION_FAILED';
  return { code, statusCode: status === 415 ? 415 : ERROR_INFO[code].status };
}

/**
 * One error registry: every 4xx/5xx body is { code, message, statusCode, request_id }. A 5xx body
 * carries only the code's fixed title (never the error's own message, which may hold SQL, database
 * names or paths); the full error goes to the log under the same request id.
 */
function registerErrors(app: FastifyInstance, log: GatewayOptions['log']): void {
  app.setErrorHandler((err: FastifyError | UlasanError, req, reply) => {
    const { code, statusCode } = classify(err);
    let message = err.message;
    if (statusCode === 415) message = 'content-type must be application/json';
    if (statusCode >= 500) {
      message = ERROR_INFO[code].title;
      log?.error({ err, request_id: req.id, code, method: req.method, url: req.url }, 'request failed');
    }
    void reply.status(statusCode).send({ code, message, statusCode, request_id: req.id });
  });
  app.setNotFoundHandler(
    (req, reply) =>
      void reply
        .status(404)
        .send({ code: 'NOT_FOUND', message: `no route ${req.method} ${req.url}`, statusCode: 404, request_id: req.id }),
  );
}

/** Resolves the bearer token once per request; routes then ask for a role with need(). */
function registerAuth(app: FastifyInstance, tokens: TokenBook): (role: Role) => onRequestHookHandler {
  app.decorateRequest('identity', null);
  app.addHook('onRequest', async (req) => {
    const token = bearer(req.headers.authorization);
    req.identity = token ? tokens.identify(token) : null;
  });
  return (role) => async (req) => {
    if (!req.identity) {
      throw fail('UNAUTHENTICATED', bearer(req.headers.authorization) ? 'bearer token not recognised' : undefined);
    }
    if (!allows(req.identity, role)) throw fail('FORBIDDEN', `this route needs the ${role} role`);
  };
}

export async function buildGateway(deps: GatewayDeps, o: GatewayOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: false,
    bodyLimit: o.bodyLimit,
    genReqId: () => randomUUID(),
    // Unknown fields are an error, not something to strip silently.
    ajv: { customOptions: { removeAdditional: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();
  registerErrors(app, o.log);
  const need = registerAuth(app, o.tokens);
  await app.register(rateLimit, {
    max: o.rateLimitMax,
    timeWindow: o.rateLimitWindowMs,
    keyGenerator: (req) => (req.identity ? `token:${req.identity.name}` : `ip:${req.ip}`),
    errorResponseBuilder: (req, ctx) => ({
      code: 'RATE_LIMITED',
      message: `rate limit of ${ctx.max} requests per ${ctx.after} exceeded`,
      statusCode: 429,
      request_id: req.id,
    }),
  });
  await app.register(swagger, {
    openapi: {
      info: { title: 'Ulasan gateway', version: '1' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  predictRoutes(app, deps, o, need);
  modelRoutes(app, deps, need);
  opsRoutes(app, deps, o, need);
  dashboardRoutes(app, deps.dashboard, need('read'), secured);
  if (deps.alerts) await app.register(alertsPlugin, { port: deps.alerts, read: need('read') });
  return app;
}

type Need = (role: Role) => onRequestHookHandler;
type App = FastifyInstance;

/** OpenAPI: the route takes a bearer token. */
const secured = { security: [{ bearer: [] }] };

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

/** Runs the engine once over the items and logs the predictions (fire-and-forget) to their topic. */
function predictor(deps: GatewayDeps): (items: PredictRequest[]) => Promise<Prediction[]> {
  return async (items) => {
    const engine = deps.engine();
    const preds = await engine.predict(items.map((i) => i.text));
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
    const now = Date.now();
    const featureSet = engine.pkg.meta.feature_set_version ?? 'none';
    deps.logPredictions(out.map((p, i) => logRow(p, items[i]!.app_id ?? 'gateway', featureSet, now)));
    return out;
  };
}

function logRow(p: Prediction, appId: string, featureSet: string, now: number): ScoredReview {
  return {
    review_id: p.review_id,
    app_id: appId,
    source: 'gateway',
    label: p.label,
    prob_negative: p.probabilities.negative,
    prob_neutral: p.probabilities.neutral,
    prob_positive: p.probabilities.positive,
    model_name: p.model_name,
    model_version: p.model_version,
    feature_set_version: featureSet,
    shadow: false,
    created_at: now,
    scored_at: now,
    origin_partition: null,
    origin_offset: null,
    rating: null,
    features: {},
  };
}

function predictRoutes(base: App, deps: GatewayDeps, o: GatewayOptions, need: Need): void {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const predictMany = predictor(deps);
  const batcher = new MicroBatcher<PredictRequest, Prediction>(predictMany, o.microBatch, 256);
  app.post(
    '/predict',
    {
      onRequest: need('read'),
      schema: { ...secured, body: PredictRequest, response: { 200: Prediction, ...errors }, tags: ['predict'] },
    },
    async (req) => batcher.submit(req.body),
  );
  app.post(
    '/predict/batch',
    {
      onRequest: need('read'),
      schema: {
        ...secured,
        body: BatchRequest(o.maxBatch),
        response: { 200: BatchResponse, ...errors },
        tags: ['predict'],
      },
    },
    async (req) => ({ predictions: await predictMany(req.body.items) }),
  );
  app.post(
    '/feedback',
    {
      onRequest: need('feedback'),
      schema: {
        ...secured,
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
        // Repeats collapse per submitter downstream; the token's name itself stays out of the data.
        user_hash: submitterOf(req.identity!),
        comment: req.body.comment ?? null,
        given_at: Date.now(),
      });
      return reply.status(202).send({ accepted: true });
    },
  );
}

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

const productionOf = (versions: ModelVersionEvent[]): string | null => {
  const p = versions.find((x) => x.stage === 'Production');
  return p ? String(p.version) : null;
};

/**
 * Runs an admin action and writes its audit record (who, what, from which Production to which,
 * when, and whether it worked), failed attempts included.
 */
async function audited<T>(
  deps: GatewayDeps,
  req: FastifyRequest,
  what: { action: AdminAction['action']; reason: string },
  act: () => Promise<T>,
  // Where the action ended: Production in the registry, unless the action says otherwise (reload: served).
  after: (result: T) => Promise<string | null> = async () => productionOf(await deps.registry.versions()),
): Promise<T> {
  const from = productionOf(await deps.registry.versions());
  const record = (outcome: AdminAction['outcome'], to: string | null, errorCode: string | null): AdminAction => ({
    action_id: req.id,
    action: what.action,
    actor: req.identity!.name,
    remote_address: req.ip,
    model_name: deps.modelName,
    from_version: from,
    to_version: to,
    reason: what.reason,
    outcome,
    error_code: errorCode,
    at: Date.now(),
  });
  let result: T;
  try {
    result = await act();
  } catch (err) {
    await deps.audit(record('failed', from, isUlasanError(err) ? err.code : 'INTERNAL'));
    throw err;
  }
  await deps.audit(record('done', await after(result), null));
  return result;
}

function modelRoutes(base: App, deps: GatewayDeps, need: Need): void {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const read = { onRequest: need('read') };
  app.get(
    '/models',
    {
      ...read,
      schema: { response: { 200: Type.Object({ versions: Type.Array(ModelVersion) }), ...errors }, tags: ['models'] },
    },
    async () => ({ versions: (await deps.registry.versions()).map(view) }),
  );
  app.get(
    '/models/:version',
    { ...read, schema: { params: VersionParams, response: { 200: ModelVersion, ...errors }, tags: ['models'] } },
    async (req) => {
      const v = (await deps.registry.versions()).find((x) => x.version === req.params.version);
      if (!v) throw fail('NOT_FOUND', `no model version ${req.params.version}`);
      return view(v);
    },
  );
  // A bare POST (no body) means "no reason given": it validates as an empty object.
  const admin = { onRequest: need('admin'), preValidation: async (req: FastifyRequest) => void (req.body ??= {}) };
  const adminSchema = { ...secured, tags: ['admin'] };
  const events = { 200: Type.Object({ events: Type.Array(ModelVersion) }), ...errors };
  app.post(
    '/models/:version/promote',
    { ...admin, schema: { ...adminSchema, params: VersionParams, body: Type.Optional(ReasonBody), response: events } },
    async (req) => {
      const reason = req.body?.reason ?? 'promoted via gateway';
      const actor = `gateway:${req.identity!.name}`;
      const out = await audited(deps, req, { action: 'promote', reason }, () =>
        deps.registry.promote(req.params.version, reason, actor),
      );
      return { events: out.map(view) };
    },
  );
  app.post(
    '/models/rollback',
    { ...admin, schema: { ...adminSchema, body: Type.Optional(ReasonBody), response: events } },
    async (req) => {
      const reason = req.body?.reason ?? 'rolled back via gateway';
      const actor = `gateway:${req.identity!.name}`;
      const out = await audited(deps, req, { action: 'rollback', reason }, () => deps.registry.rollback(reason, actor));
      return { events: out.map(view) };
    },
  );
  app.post(
    '/retrain',
    {
      ...admin,
      schema: {
        ...adminSchema,
        body: Type.Optional(RetrainBody),
        response: { 202: Type.Object({ request_id: Type.String() }), ...errors },
      },
    },
    async (req, reply) => {
      const reason = req.body?.reason ?? 'manual retrain via gateway';
      const request = manualRetrainRequest({
        modelName: deps.modelName,
        requestedBy: `gateway:${req.identity!.name}`,
        reason,
        manifest: req.body?.data,
        teacher: req.body?.teacher,
        unlabeledRows: req.body?.unlabeled_rows,
      });
      await audited(deps, req, { action: 'retrain', reason }, () => deps.requestRetrain(request));
      return reply.status(202).send({ request_id: request.request_id });
    },
  );
  app.post(
    '/model/reload',
    {
      ...admin,
      schema: { ...adminSchema, response: { 200: Type.Object({ model_version: Type.String() }), ...errors } },
    },
    async (req) => ({
      // to_version is the version now served (a refused package leaves the old one in place).
      model_version: await audited(
        deps,
        req,
        { action: 'reload', reason: 'reload via gateway' },
        () => deps.reload(),
        async (served) => served,
      ),
    }),
  );
}

function opsRoutes(base: App, deps: GatewayDeps, o: GatewayOptions, need: Need): void {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const read = { onRequest: need('read') };
  app.get('/stats', { ...read, schema: { ...secured, response: { 200: Stats, ...errors }, tags: ['ops'] } }, async () =>
    deps.stats(),
  );
  app.get('/stats/trend', { ...read, schema: { ...secured, tags: ['ops'] } }, async () => ({
    days: await deps.trend(),
  }));
  app.get(
    '/drift/segments',
    {
      ...read,
      schema: {
        ...secured,
        response: { 200: Type.Object({ segments: Type.Array(DriftSegment) }), ...errors },
        tags: ['ops'],
      },
    },
    async () => ({ segments: await deps.driftSegments() }),
  );
  const page = statusPage({ grafana: o.grafanaUrl ?? 'http://127.0.0.1:3000', metrics: '/metrics' });
  app.get('/', { schema: { hide: true } }, async (_req, reply) => reply.type('text/html; charset=utf-8').send(page));
  // The charting library, served from node_modules: the page needs no build step and no CDN.
  for (const [file, asset] of Object.entries(STATUS_ASSETS)) {
    app.get(`/assets/${file}`, { schema: { hide: true } }, async (_req, reply) =>
      reply.type(asset.type).header('cache-control', 'public, max-age=86400').send(asset.body()),
    );
  }
  app.get('/health', { schema: { tags: ['ops'] } }, async () => ({ status: 'ok' }));
  app.get('/ready', { schema: { tags: ['ops'] } }, async (_req, reply) => {
    const model = Boolean(deps.engine());
    const kafka = await deps.kafkaReachable();
    return reply.status(model && kafka ? 200 : 503).send({ ready: model && kafka, model, kafka });
  });
  app.get('/metrics', { schema: { tags: ['ops'], hide: true } }, async (_req, reply) =>
    reply.type(deps.metrics.contentType).send(await deps.metrics.metrics()),
  );
}
