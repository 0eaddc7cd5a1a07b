// GET /alerts: the alerts the alerts processor wrote (ClickHouse `alerts`, latest state per alert),
// filtered by app, kind, status and time, for the reader role. An encapsulated fastify plugin: its
// schema, its route and its port come together, and buildGateway registers it with one line.
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type, type Static } from 'typebox';
import { UlasanError } from '../../platform/errors.js';
import { ErrorBody } from '../schemas.js';
import type { AlertsPort } from './alerts-queries.js';

const DAY = 86_400_000;
const Kind = Type.Union([
  Type.Literal('sentiment_turn'),
  Type.Literal('complaint_surge'),
  Type.Literal('version_regression'),
]);
const Status = Type.Union([Type.Literal('open'), Type.Literal('resolved')]);

export const AlertsQuery = Type.Object(
  {
    app_id: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    kind: Type.Optional(Kind),
    status: Type.Optional(Status),
    /** Event time (ms): alerts updated at or after it; default 30 days before `to`. */
    from: Type.Optional(Type.Integer({ minimum: 0 })),
    /** Event time (ms): alerts opened before it; default now. */
    to: Type.Optional(Type.Integer({ minimum: 0 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
  },
  { additionalProperties: false },
);

export const AlertBody = Type.Object({
  alert_id: Type.String(),
  app_id: Type.String(),
  kind: Kind,
  app_version: Type.Union([Type.String(), Type.Null()]),
  window_start: Type.Integer(),
  window_end: Type.Integer(),
  topics: Type.Array(Type.String()),
  status: Status,
  reason: Type.String(),
  baseline_share: Type.Number(),
  current_share: Type.Number(),
  reviews: Type.Integer(),
  statistic: Type.Number(),
  opened_at: Type.Integer(),
  updated_at: Type.Integer(),
});

export interface AlertsPluginOptions {
  port: AlertsPort;
}

export const alertsPlugin: FastifyPluginAsync<AlertsPluginOptions> = async (base, o) => {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 429: ErrorBody, 500: ErrorBody, 503: ErrorBody };
  app.get(
    '/alerts',
    {
      onRequest: base.need('read'),
      schema: {
        security: [{ bearer: [] }],
        querystring: AlertsQuery,
        response: { 200: Type.Object({ alerts: Type.Array(AlertBody) }), ...errors },
        tags: ['alerts'],
      },
    },
    async (req) => ({ alerts: await o.port.list(filterOf(req.query)) }),
  );
};

export function filterOf(q: Static<typeof AlertsQuery>, now = Date.now()) {
  const to = q.to ?? now;
  const from = q.from ?? to - 30 * DAY;
  if (from >= to) throw new UlasanError('VALIDATION_FAILED', '"from" must be before "to"');
  return { app_id: q.app_id, kind: q.kind, status: q.status, from, to, limit: q.limit ?? 100 };
}
