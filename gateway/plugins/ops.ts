// Operations: /stats, /stats/trend and /drift/segments (read role), and the open /health, /ready
// and /metrics.
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Registry } from 'prom-client';
import { Type } from 'typebox';
import type { InferenceEngine } from '../../models/core/engine.js';
import { DriftSegment, Stats, type DriftSegment as DriftSegmentT, type Stats as StatsT } from '../schemas.js';
import { errorResponses, secured } from './errors.js';

export interface OpsDeps {
  engine(): InferenceEngine;
  stats(): Promise<StatsT>;
  /** Daily sentiment counts of the last 30 days (the trend view). */
  trend(): Promise<{ day: string; negative: number; neutral: number; positive: number }[]>;
  kafkaReachable(): Promise<boolean>;
  /** The latest drift window of every segment, with its reference (empty with a dataset reference). */
  driftSegments(): Promise<DriftSegmentT[]>;
  metrics: Registry;
}

export const opsPlugin: FastifyPluginAsync<OpsDeps> = async (base, deps) => {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const read = { onRequest: app.need('read') };
  const tags = ['ops'];
  app.get('/stats', { ...read, schema: { ...secured, response: { 200: Stats, ...errorResponses }, tags } }, () =>
    deps.stats(),
  );
  app.get('/stats/trend', { ...read, schema: { ...secured, tags } }, async () => ({ days: await deps.trend() }));
  const segments = Type.Object({ segments: Type.Array(DriftSegment) });
  app.get(
    '/drift/segments',
    { ...read, schema: { ...secured, response: { 200: segments, ...errorResponses }, tags } },
    async () => ({ segments: await deps.driftSegments() }),
  );
  app.get('/health', { schema: { tags } }, async () => ({ status: 'ok' }));
  app.get('/ready', { schema: { tags } }, async (_req, reply) => {
    const model = Boolean(deps.engine());
    const kafka = await deps.kafkaReachable();
    return reply.status(model && kafka ? 200 : 503).send({ ready: model && kafka, model, kafka });
  });
  app.get('/metrics', { schema: { tags, hide: true } }, async (_req, reply) =>
    reply.type(deps.metrics.contentType).send(await deps.metrics.metrics()),
  );
};
