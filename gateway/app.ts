// The Fastify gateway: synchronous predict, feedback, model admin, stats, health, metrics, OpenAPI.
// Everything it touches comes in as GatewayDeps, so routes are tested with inject() and mocks, and
// the runner wires the real engine, registry, Kafka and ClickHouse. buildGateway only assembles:
// the root's shared layers (errors, security, OpenAPI), then one encapsulated plugin per route group
// (gateway/plugins/<group>.ts, each with its own schemas, dependencies and tests).
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Logger } from '../platform/logger.js';
import type { TokenBook } from './auth.js';
import type { DashboardPort } from './dashboard.js';
import { adminPlugin, type AdminDeps } from './plugins/admin.js';
import { alertsPlugin } from './plugins/alerts.js';
import type { AlertsPort } from './plugins/alerts-queries.js';
import type { AuditDeps } from './plugins/audit.js';
import { dashboardPlugin } from './plugins/dashboard.js';
import { errorsPlugin } from './plugins/errors.js';
import { feedbackPlugin, type FeedbackDeps } from './plugins/feedback.js';
import { modelsPlugin } from './plugins/models.js';
import { opsPlugin, type OpsDeps } from './plugins/ops.js';
import { predictPlugin, type PredictDeps } from './plugins/predict.js';
import { securityPlugin } from './plugins/security.js';
import { validatorCompiler } from './plugins/validation.js';

export type { RegistryPort } from './plugins/models.js';

/** What the route groups need from the outside world, each part declared by its plugin. */
export type GatewayDeps = PredictDeps &
  FeedbackDeps &
  AdminDeps &
  AuditDeps &
  OpsDeps & {
    /** The status page's panels. */
    dashboard: DashboardPort;
    /** GET /alerts reads through it; without it the route is not registered. */
    alerts?: AlertsPort;
  };

export interface GatewayOptions {
  /** Who may call what: an empty book means every role-protected route answers 401. */
  tokens: TokenBook;
  maxBatch: number;
  bodyLimit: number;
  /** Requests per window for each valid token. */
  rateLimitMax: number;
  /** Requests per window for each client address without a valid token, 401s included (default: rateLimitMax). */
  rateLimitAnonymousMax?: number;
  rateLimitWindowMs: number;
  /** Batch concurrent /predict calls into shared engine runs. */
  microBatch: boolean;
  /** Where /retrain's `data` may point (retrainDataRoots); absent: a retrain may not name its data. */
  retrainRoots?: string[];
  /** Audit records of refused admin calls per address and window (default 20 a minute); the rest are counted. */
  refusedAuditMax?: number;
  refusedAuditWindowMs?: number;
  /** Where 5xx errors (and failed audit writes) are logged; fastify's own request logging stays off. */
  log?: Pick<Logger, 'error' | 'warn'>;
  grafanaUrl?: string;
}

/** One route group: a plugin and the options it is registered with. */
type RouteGroup = (app: FastifyInstance) => PromiseLike<unknown>;
const group =
  <O extends object>(plugin: FastifyPluginAsync<O>, options: O): RouteGroup =>
  (app) =>
    app.register(plugin, options);

/**
 * The route groups, registered in this order. A new group (e.g. alerts): write
 * gateway/plugins/<group>.ts exporting a `FastifyPluginAsync<Options>` that takes its dependencies
 * as options and guards its routes with `app.need(role)`, add its Deps to GatewayDeps, and add one
 * `group(plugin, options)` line here.
 */
function routeGroups(deps: GatewayDeps, o: GatewayOptions): RouteGroup[] {
  return [
    group(predictPlugin, { ...deps, maxBatch: o.maxBatch, microBatch: o.microBatch }),
    group(feedbackPlugin, deps),
    group(modelsPlugin, deps),
    group(adminPlugin, {
      ...deps,
      retrainRoots: o.retrainRoots ?? [],
      refusedAuditMax: o.refusedAuditMax ?? 20,
      refusedAuditWindowMs: o.refusedAuditWindowMs ?? 60_000,
      log: o.log,
    }),
    group(dashboardPlugin, { dashboard: deps.dashboard, grafanaUrl: o.grafanaUrl }),
    group(opsPlugin, deps),
    ...(deps.alerts ? [group(alertsPlugin, { port: deps.alerts })] : []),
  ];
}

/** The root: strict validation, the error shape, identity and rate limits, OpenAPI; no routes yet. */
export async function gatewayRoot(o: GatewayOptions): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, bodyLimit: o.bodyLimit, genReqId: () => randomUUID() });
  app.setValidatorCompiler(validatorCompiler);
  await app.register(errorsPlugin, { log: o.log });
  await app.register(securityPlugin, {
    tokens: o.tokens,
    rateLimitMax: o.rateLimitMax,
    rateLimitAnonymousMax: o.rateLimitAnonymousMax ?? o.rateLimitMax,
    rateLimitWindowMs: o.rateLimitWindowMs,
  });
  await app.register(swagger, {
    openapi: {
      info: { title: 'Ulasan gateway', version: '1' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  return app;
}

export async function buildGateway(deps: GatewayDeps, o: GatewayOptions): Promise<FastifyInstance> {
  const app = await gatewayRoot(o);
  for (const register of routeGroups(deps, o)) await register(app);
  return app.withTypeProvider<TypeBoxTypeProvider>();
}
