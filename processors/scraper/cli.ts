// npm run scrape -- --store google-play|app-store --app <id> [--app <id> ...] [--lang id] [--country id]
//                   [--since <ISO date | duration, e.g. 7d>] [--max-pages N] [--rate N] [--follow --every 15m]
// Fetches reviews newest first, produces them as Avro Reviews (a page and its cursor in one Kafka
// transaction), and prints a progress line per page. A second run produces only newer reviews; a
// killed run resumes from its cursor. Exit status 1 when any app's run failed (not with --follow).
import { parseConfig, processSasl } from '../../platform/config.js';
import { exitOnUsageError, parseCommandLine } from '../../platform/cli.js';
import { isUlasanError, UlasanError } from '../../platform/errors.js';
import { createKafka } from '../../platform/kafka/kafka.js';
import { createLogger } from '../../platform/logger.js';
import { createRegistry } from '../../platform/metrics.js';
import { AvroSerde } from '../../platform/serde/serde.js';
import { parseDuration, DURATION } from '../../platform/time.js';
import { topicNames, topicSpec } from '../../platform/kafka/topics.js';
import { parseStore, SCRAPER_REQUIRED_IN_PRODUCTION, scraperSettings, scraperShape } from './config.js';
import type { AppRef } from './handler.js';
import { scraperMetrics } from './metrics.js';
import { buildScraper, type PageReport, type RunReport } from './scrape.js';

const USAGE =
  'usage: npm run scrape -- --store google-play|app-store --app <id> [--app <id> ...] [--lang id] [--country id] ' +
  '[--since <ISO date|7d>] [--max-pages N] [--rate N] [--follow --every 15m]';

function usage(message: string): never {
  throw new UlasanError('USAGE', `${message}\n${USAGE}`);
}

/** An ISO date, or a duration back from now (`7d`, `12h`). */
export function parseSince(s: string, now = Date.now()): number {
  if (DURATION.test(s.trim())) return now - parseDuration(s);
  const t = Date.parse(s);
  if (!Number.isFinite(t)) usage(`--since "${s}" is neither an ISO date nor a duration like 7d`);
  return t;
}

function args() {
  const { values } = parseCommandLine(
    {
      options: {
        store: { type: 'string' },
        app: { type: 'string', multiple: true },
        lang: { type: 'string' },
        country: { type: 'string' },
        since: { type: 'string' },
        'max-pages': { type: 'string' },
        rate: { type: 'string' },
        follow: { type: 'boolean', default: false },
        every: { type: 'string', default: '15m' },
      },
    },
    USAGE,
  );
  const store = values.store ? parseStore(values.store) : null;
  if (!store) usage('--store must be google-play or app-store');
  if (!values.app?.length) usage('at least one --app is required');
  if (!DURATION.test(values.every)) usage(`--every "${values.every}" is not a duration like 15m`);
  return { values, apps: values.app.map((appId): AppRef => ({ store, appId })) };
}

function progressLine(p: PageReport): string {
  const low = p.lowWater === null ? '' : `, back to ${new Date(p.lowWater).toISOString().slice(0, 16)}Z`;
  return (
    `${p.store} ${p.appId}: page ${p.page}, ${p.fetched} fetched, ${p.produced} produced, ` +
    `${p.duplicates} duplicates skipped, ${p.deadLettered} dead-lettered${low}`
  );
}

function summary(r: RunReport): string {
  const err = r.error ? ` — ${r.error.code}: ${r.error.message}` : '';
  return `${r.store} ${r.appId}: ${r.outcome} after ${r.pages} page(s), ${r.produced} produced${err}`;
}

async function main(): Promise<void> {
  const { values, apps } = args();
  const env = {
    ...process.env,
    ...(values.lang ? { SCRAPER_LANG: values.lang } : {}),
    ...(values.country ? { SCRAPER_COUNTRY: values.country } : {}),
    ...(values.rate ? { SCRAPER_RATE: values.rate } : {}),
    ...(values['max-pages'] ? { SCRAPER_MAX_PAGES: values['max-pages'] } : {}),
  };
  const config = parseConfig(scraperShape, env, { requiredInProduction: SCRAPER_REQUIRED_IN_PRODUCTION });
  const since = values.since ? parseSince(values.since) : null;
  const sasl = processSasl(config);
  const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: 'ulasan-scrape', sasl });
  const prefix = config.ULASAN_TOPIC_PREFIX;
  await kafka.ensureTopics((['reviews', 'deadLetter', 'scrapeCursors'] as const).map((k) => topicSpec(k, prefix)));
  const serde = new AvroSerde(config.SCHEMA_REGISTRY_URL);
  const topics = topicNames(prefix);
  for (const k of ['reviews', 'deadLetter', 'scrapeCursors'] as const)
    await serde.register(topics[k], topicSpec(k).schema!);
  const log = createLogger('scrape', config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL);
  const metrics = scraperMetrics(createRegistry('scrape', false));
  // Transactional ids under the identity's own prefix (its ACLs grant that), then the topic prefix.
  const settings = scraperSettings(config, `${sasl?.username ?? 'ulasan-scraper'}-${prefix}`);
  const engine = buildScraper(
    { kafka, serde, topics, log, metrics },
    { ...settings, onPage: (p) => console.error(progressLine(p)) },
  );
  let stopping = false;
  process.once('SIGINT', () => (stopping = true));
  process.once('SIGTERM', () => (stopping = true));
  for (;;) {
    let failed = 0;
    for (const app of apps) {
      const r = await engine.scrapeApp(app, { since, stop: () => stopping });
      console.log(summary(r));
      if (r.outcome === 'failed') failed++;
    }
    if (!values.follow || stopping) {
      if (failed > 0) process.exitCode = 1;
      return;
    }
    // Sleep in steps, so Ctrl-C between rounds ends the process at once.
    const until = Date.now() + parseDuration(values.every);
    while (!stopping && Date.now() < until) await new Promise((r) => setTimeout(r, 250));
  }
}

if (process.argv[1] && /scraper[/\\]cli\.(ts|js)$/.test(process.argv[1])) {
  main().catch((err: unknown) => {
    exitOnUsageError('scrape', err);
    console.error(isUlasanError(err) ? `${err.code}: ${err.message}` : err);
    process.exit(1);
  });
}
