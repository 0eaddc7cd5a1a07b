// The gateway test harness: fakes for every dependency, one token per role, and apps built either
// whole (buildGateway) or as the root plus one route group (pluginApp), all driven with inject().
import { Registry } from 'prom-client';
import type { FastifyInstance, FastifyPluginAsync, InjectOptions } from 'fastify';
import { buildGateway, gatewayRoot, type GatewayDeps, type GatewayOptions } from '../../../gateway/app.js';
import { TokenBook, newToken, parseTokens, type Role } from '../../../gateway/auth.js';
import type { InferenceEngine, Prediction } from '../../../models/core/engine.js';
import type {
  AdminAction,
  Feedback,
  ModelVersionEvent,
  RetrainRequest,
  ScoredReview,
} from '../../../schemas/types.generated.js';
import type { Filter } from '../../../gateway/dashboard-queries.js';

const v = (version: number, stage: ModelVersionEvent['stage']): ModelVersionEvent => ({
  name: 'ulasan-compact',
  version,
  stage,
  metrics: { accuracy: 0.89 },
  artifact_uri: `file:///a/${version}`,
  content_hash: 'h',
  run_id: null,
  reason: 'r',
  actor: 't',
  timestamp: 1_700_000_000_000,
});

export function fakes() {
  const logged: ScoredReview[] = [];
  const feedback: Feedback[] = [];
  const audits: AdminAction[] = [];
  const retrains: RetrainRequest[] = [];
  const filters: Filter[] = [];
  const calls: number[] = [];
  const engine = {
    pkg: { sentiments: ['negative', 'neutral', 'positive'], meta: { feature_set_version: 'fs-1' } },
    predict: async (texts: string[]): Promise<Prediction[]> => {
      calls.push(texts.length);
      await new Promise((r) => setTimeout(r, 5)); // an engine run takes time: requests pile up meanwhile
      return texts.map((t) => ({
        label: 'x',
        sentiment: null,
        confidence: 0.8,
        probabilities: /jelek/.test(t) ? { a: 0.8, b: 0.1, c: 0.1 } : { a: 0.1, b: 0.1, c: 0.8 },
        modelName: 'ulasan-compact',
        modelVersion: '3',
      }));
    },
  } as unknown as InferenceEngine;
  let production = 2;
  const deps: GatewayDeps = {
    modelName: 'ulasan-compact',
    engine: () => engine,
    registry: {
      versions: async () => [1, 2, 3].map((n) => v(n, n === production ? 'Production' : 'Archived')),
      promote: async (n) => {
        const before = production;
        production = n;
        return [v(before, 'Archived'), v(n, 'Production')];
      },
      rollback: async () => [v((production = 1), 'Production')],
    },
    audit: async (a) => void audits.push(a),
    reload: async () => '3',
    logPredictions: (p) => logged.push(...p),
    sendFeedback: async (f) => void feedback.push(f),
    stats: async () => ({
      reviews_scored: 10,
      last_24h: 4,
      sentiment_mix: { negative: 3, neutral: 2, positive: 5 },
      drift: { latest_window: null, drifted: false, severity: 0 },
      model: { name: 'ulasan-compact', version: '3' },
    }),
    trend: async () => [{ day: '2026-11-27', negative: 1, neutral: 1, positive: 3 }],
    kafkaReachable: async () => true,
    driftSegments: async () => [
      {
        window_size: '1h',
        segment: 'id.co.app',
        latest_window: '2026-11-28 10:00:00.000',
        role: 'test',
        tested: true,
        drifted: true,
        drifted_features: ['predicted_label'],
        reason: 'negative share 12 % -> 41 %',
        reference: {
          origin: 'window',
          sources: [],
          model_version: '3',
          start: '2026-11-20 00:00:00.000',
          end: '2026-11-21 00:00:00.000',
          rows: 4800,
        },
      },
    ],
    requestRetrain: async (r) => void retrains.push(r),
    dashboard: {
      apps: async (f) => (filters.push(f), [{ app_id: 'id.co.app', reviews: 7 }]),
      sentiment: async (f) => (filters.push(f), [{ t: 1_700_000_000_000, negative: 1, neutral: 2, positive: 4 }]),
      drift: async () => [
        {
          t: 1_700_000_000_000,
          segment: 'id.co.app',
          drifted: false,
          scores: { char_count: 0.4 },
          effects: { char_count: 0.02 },
          drifted_features: [],
          reason: '',
          rows: 40,
        },
      ],
      timeline: async () => [{ at: 1_700_000_000_000, kind: 'promotion', label: 'v2 to Production' }],
      negatives: async () => [],
      terms: async () => ({ negative: [{ term: 'error', n: 3, z: 2.5 }], neutral: [], positive: [] }),
      versions: async () => [],
      runFile: async (id, file) => (id === '0123abcd-0000' && file === 'confusion.svg' ? Buffer.from('<svg/>') : null),
      alerts: async (f) => (filters.push(f), []),
      topics: async () => ({ t: [], reviews: [], topics: [] }),
      appVersions: async () => [],
      emerging: async (f) => ({ recent_from: f.from, baseline_from: f.from, to: f.to, apps: [] }),
    },
    metrics: new Registry(),
  };
  return { deps, logged, feedback, calls, audits, retrains, filters };
}

export const issued = Object.fromEntries(
  (['read', 'feedback', 'admin'] as Role[]).map((role) => [role, newToken(`${role}-user`, role)]),
) as Record<Role, { token: string; entry: string }>;
const tokens = new TokenBook(
  parseTokens(
    Object.values(issued)
      .map((t) => t.entry)
      .join(','),
  ).entries,
);
export const as = (role: Role) => ({ authorization: `Bearer ${issued[role].token}` });

/** inject() with the read role's token unless the request names its own authorization. */
export function call(app: FastifyInstance, o: InjectOptions, role: Role = 'read') {
  return app.inject({ ...o, headers: { ...as(role), ...(o.headers ?? {}) } });
}

export const options: GatewayOptions = {
  tokens,
  maxBatch: 4,
  bodyLimit: 64 * 1024,
  rateLimitMax: 1000,
  rateLimitWindowMs: 60_000,
  microBatch: false,
};

/** The gateway's root (errors, security, OpenAPI) with only one route group registered. */
export async function pluginApp<O extends object>(
  plugin: FastifyPluginAsync<O>,
  pluginOptions: O,
  o: Partial<GatewayOptions> = {},
): Promise<FastifyInstance> {
  const app = await gatewayRoot({ ...options, ...o });
  await app.register(plugin, pluginOptions);
  return app;
}

export { buildGateway, type GatewayDeps };
