// The status page's data: one read-only route per panel (reader role), each filtered by app and time
// range, and the training runs' report charts. Registered by buildGateway; the queries sit behind DashboardPort
// so the routes are tested with inject() and the SQL on chdb.
import type { FastifyInstance, onRequestHookHandler } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type, type Static } from 'typebox';
import type { Sentiment } from '../schemas/types.generated.js';
import { UlasanError } from '../platform/errors.js';
import type {
  DriftPoint,
  Filter,
  NegativeReview,
  SentimentBucket,
  TimelineEvent,
  VersionHistoryRow,
} from './dashboard-queries.js';
import type { DistinctiveTerm } from './terms.js';
import type { AlertRow, AppVersions, EmergingPanel, TopicSeries } from './dashboard-insights.js';

export interface VersionPanel {
  version: number;
  stage: string;
  metrics: Record<string, number>;
  history: Pick<VersionHistoryRow, 'stage' | 'at' | 'reason' | 'actor'>[];
  run_id: string | null;
  /** Report files of the version's training run that exist in the artifact store. */
  reports: string[];
}

export interface DashboardPort {
  apps(f: Filter): Promise<{ app_id: string; reviews: number }[]>;
  sentiment(f: Filter): Promise<SentimentBucket[]>;
  drift(f: Filter): Promise<DriftPoint[]>;
  timeline(f: Filter): Promise<TimelineEvent[]>;
  negatives(f: Filter): Promise<NegativeReview[]>;
  terms(f: Filter): Promise<Record<Sentiment, DistinctiveTerm[]>>;
  versions(): Promise<VersionPanel[]>;
  /** Alerts (ClickHouse `alerts` FINAL) whose window overlaps the range. */
  alerts(f: Filter): Promise<AlertRow[]>;
  /** Reviews per complaint topic over time. */
  topics(f: Filter): Promise<TopicSeries>;
  /** Sentiment and topic share per app version, each release against the previous one. */
  appVersions(f: Filter): Promise<AppVersions[]>;
  /** Words rising in each app's recent negative reviews against its own trailing baseline. */
  emerging(f: Filter): Promise<EmergingPanel>;
  /** A file of a training run's report (null when there is none). */
  runFile(runId: string, file: RunFile): Promise<Buffer | null>;
}

export const RUN_FILES = ['confusion.svg', 'learning-curve.svg', 'gate.svg', 'report.md'] as const;
export type RunFile = (typeof RUN_FILES)[number];

const DAY = 86_400_000;

export const FilterQuery = Type.Object(
  {
    app: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    from: Type.Optional(Type.Integer({ minimum: 0 })),
    to: Type.Optional(Type.Integer({ minimum: 0 })),
    bucket: Type.Optional(Type.Union([Type.Literal('hour'), Type.Literal('day')])),
  },
  { additionalProperties: false },
);

/** Defaults: the last 30 days, hourly buckets for ranges up to 3 days, daily beyond. */
export function filterOf(q: Static<typeof FilterQuery>, now = Date.now()): Filter {
  const to = q.to ?? now;
  const from = q.from ?? to - 30 * DAY;
  if (from >= to) throw new UlasanError('VALIDATION_FAILED', '"from" must be before "to"');
  return { app: q.app ?? null, from, to, bucket: q.bucket ?? (to - from <= 3 * DAY ? 'hour' : 'day') };
}

const RunParams = Type.Object({
  run_id: Type.String({ pattern: '^[0-9a-fA-F-]{8,64}$' }),
  file: Type.Union(RUN_FILES.map((f) => Type.Literal(f))),
});

const CONTENT_TYPES: Record<RunFile, string> = {
  'confusion.svg': 'image/svg+xml',
  'learning-curve.svg': 'image/svg+xml',
  'gate.svg': 'image/svg+xml',
  'report.md': 'text/markdown; charset=utf-8',
};

export function dashboardRoutes(
  base: FastifyInstance,
  port: DashboardPort,
  read: onRequestHookHandler,
  security: Record<string, unknown>,
): void {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const schema = { ...security, querystring: FilterQuery, tags: ['dashboard'] };
  const panel = <T>(path: string, load: (f: Filter) => Promise<T>, key: string) =>
    app.get(path, { onRequest: read, schema }, async (req) => ({ [key]: await load(filterOf(req.query)) }));
  panel('/dashboard/apps', (f) => port.apps(f), 'apps');
  panel('/dashboard/sentiment', (f) => port.sentiment(f), 'buckets');
  panel('/dashboard/drift', (f) => port.drift(f), 'windows');
  panel('/dashboard/timeline', (f) => port.timeline(f), 'events');
  panel('/dashboard/negatives', (f) => port.negatives(f), 'reviews');
  panel('/dashboard/terms', (f) => port.terms(f), 'terms');
  panel('/dashboard/alerts', (f) => port.alerts(f), 'alerts');
  panel('/dashboard/topics', (f) => port.topics(f), 'topics');
  panel('/dashboard/app-versions', (f) => port.appVersions(f), 'apps');
  panel('/dashboard/emerging', (f) => port.emerging(f), 'emerging');
  app.get('/dashboard/versions', { onRequest: read, schema: { ...security, tags: ['dashboard'] } }, async () => ({
    versions: await port.versions(),
  }));
  app.get(
    '/runs/:run_id/:file',
    { onRequest: read, schema: { ...security, params: RunParams, tags: ['dashboard'] } },
    async (req, reply) => {
      const body = await port.runFile(req.params.run_id, req.params.file);
      if (!body) throw new UlasanError('NOT_FOUND', `run ${req.params.run_id} has no ${req.params.file}`);
      // Served as a download-only document: an SVG opened on its own must not run anything.
      return reply
        .type(CONTENT_TYPES[req.params.file])
        .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'")
        .send(body);
    },
  );
}

/** The stage history rows of every version, folded into one panel row per version (newest first). */
export function versionPanels(
  rows: VersionHistoryRow[],
  hasFile: (runId: string, file: RunFile) => boolean,
): VersionPanel[] {
  const byVersion = new Map<number, VersionHistoryRow[]>();
  for (const r of rows) byVersion.set(r.version, [...(byVersion.get(r.version) ?? []), r]);
  return [...byVersion.entries()]
    .sort(([a], [b]) => b - a)
    .map(([version, events]) => {
      const ordered = [...events].sort((a, b) => a.at - b.at);
      const runId = ordered.find((e) => e.run_id)?.run_id ?? null;
      return {
        version,
        stage: ordered.at(-1)!.stage,
        metrics: ordered.find((e) => Object.keys(e.metrics).length > 0)?.metrics ?? {},
        history: ordered.map(({ stage, at, reason, actor }) => ({ stage, at, reason, actor })),
        run_id: runId,
        reports: runId ? RUN_FILES.filter((f) => hasFile(runId, f)) : [],
      };
    });
}
