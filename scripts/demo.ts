// The main job on embedded defaults: starts the local stack, runs the processors in this process
// (embedded chdb is owned by one process), produces sample reviews from ULASAN_DATA_DIR, and prints
// what reached ClickHouse.   npm run demo [-- --limit 2000] [--follow]
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { produceReviews } from '../processors/producer/main.js';
import { rowToReview } from '../processors/producer/handler.js';
import { readLabelledFile } from '../processors/shared/datasets.js';
import { isUlasanError } from '../processors/shared/errors.js';
import { runProcessors, PROCESSORS } from '../processors/runner.js';
import { newToken } from '../gateway/auth.js';
import { PRODUCER_IDENTITY, provisionKafka } from '../processors/provision.js';
import { createKafka } from '../processors/shared/kafka.js';
import { kafkaCredentials, layoutFor, stackKafkaSasl, type StackLayout } from '../stack/services.js';
import { ensureDefaultModel } from './model-build.js';
import { upService } from '../stack/stack.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * With the stack's Kafka on SCRAM (the default), the demo provisions topics and ACLs as the admin,
 * runs every processor as its own identity, and produces as the producer identity: the same
 * least-privilege set-up a deployment uses. Variables already set by the user win.
 */
async function kafkaIdentities(
  layout: StackLayout,
): Promise<{ env: NodeJS.ProcessEnv; producer: typeof PRODUCER_IDENTITY | null }> {
  const admin = stackKafkaSasl(layout);
  if (!admin || process.env.KAFKA_SASL_USERNAME || process.env.KAFKA_CREDENTIALS_FILE)
    return { env: {}, producer: null };
  const brokers = [`127.0.0.1:${layout.ports.kafka}`];
  const r = await provisionKafka(
    createKafka({ brokers, clientId: 'ulasan-demo-provision', sasl: admin }),
    process.env.ULASAN_TOPIC_PREFIX ?? '',
  );
  console.log(`    Kafka SCRAM: ${r.created.length} topics created, ${r.acls} ACL entries; one identity per processor`);
  return {
    env: { KAFKA_CREDENTIALS_FILE: path.join(layout.dir, 'kafka', 'credentials.json') },
    producer: PRODUCER_IDENTITY,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { limit: { type: 'string', default: '2000' }, follow: { type: 'boolean', default: false } },
  });
  const limit = Number(values.limit);
  const layout = layoutFor(root);
  console.log('0/4 default model package (trained from SmSA on first run, about 10 s)');
  const modelDir = await ensureDefaultModel({ log: (m) => console.log(`    ${m}`) });
  console.log(`    ${modelDir}`);
  console.log('1/4 starting the local stack (first run downloads Kafka and Apicurio from Maven Central)');
  for (const s of ['kafka', 'registry'] as const) {
    const r = await upService(layout, s);
    console.log(`    ${s}: ${r.action} in ${r.seconds.toFixed(1)} s`);
  }

  const identities = await kafkaIdentities(layout);

  console.log(`2/4 starting processors in this process: ${Object.keys(PROCESSORS).join(', ')}`);
  // A token for this demo run only (the gateway keeps just its hash); printed below for the browser.
  const demoToken = newToken('demo', 'admin');
  const running = await runProcessors(Object.keys(PROCESSORS), {
    LOG_LEVEL: 'warn',
    SCORING_MODEL_DIR: modelDir,
    // First run: the start-up package becomes registry version 1 in Production.
    LAUNCHER_BOOTSTRAP_MODEL_DIR: modelDir,
    // The sample spans hours of event time, not days: a 2-hour reference lets the status page show
    // tested drift windows per app after one demo.
    DRIFT_REFERENCE_PERIOD: '2h',
    GATEWAY_TOKENS: demoToken.entry,
    ...identities.env,
    ...process.env,
  });
  const { ctx } = running;
  const producerKafka = identities.producer
    ? createKafka({
        brokers: ctx.config.KAFKA_BROKERS,
        clientId: 'ulasan-demo-producer',
        sasl: kafkaCredentials(layout).users[identities.producer],
      })
    : ctx.kafka;
  const db = ctx.store.database;

  const dataDir = ctx.config.ULASAN_DATA_DIR;
  const now = Date.now();
  const sets = [
    { file: 'app-reviews/train.csv', app: 'id.co.blibli', source: 'google_play' },
    { file: 'smsa/valid_preprocess.tsv', app: 'smsa', source: 'smsa' },
  ];
  console.log(`3/4 producing up to ${limit} reviews from each sample set in ${dataDir}`);
  let produced = 0;
  for (const s of sets) {
    const rows = readLabelledFile(path.join(dataDir, s.file))
      .slice(0, limit)
      .filter((r) => r.text.trim() !== '');
    const reviews = rows.map((r) =>
      rowToReview(r, { appId: s.app, source: s.source, startMs: now - rows.length * 60_000, spacingMs: 60_000, now }),
    );
    const t0 = Date.now();
    produced += await produceReviews(producerKafka, ctx.serde, ctx.topics.reviews, reviews);
    console.log(`    ${s.file}: ${reviews.length} reviews in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }

  console.log('4/4 waiting for them to be stored and scored in ClickHouse');
  const deadline = Date.now() + 120_000;
  // The demo is re-runnable: ids are stable, so rows from earlier runs are the same reviews.
  const ids = `(SELECT review_id FROM ${db}.reviews FINAL WHERE ingested_at >= fromUnixTimestamp64Milli(${now}))`;
  let stored = 0;
  let scored = 0;
  while (Date.now() < deadline) {
    stored = Number((await ctx.store.query<{ n: string }>(`SELECT count() AS n FROM ${ids}`))[0]!.n);
    scored = Number(
      (
        await ctx.store.query<{ n: string }>(
          `SELECT count() AS n FROM ${db}.predictions FINAL WHERE review_id IN ${ids}`,
        )
      )[0]!.n,
    );
    if (stored >= produced && scored >= produced) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  const byApp = await ctx.store.query(
    `SELECT app_id, source, count() AS reviews, round(avg(rating), 2) AS avg_rating, min(created_at) AS first, max(created_at) AS last
     FROM ${db}.reviews FINAL GROUP BY app_id, source ORDER BY reviews DESC`,
  );
  console.log(
    `\nproduced ${produced}, stored ${stored}, scored ${scored} (ClickHouse ${ctx.store.kind} at ${ctx.config.CLICKHOUSE_URL ?? ctx.config.CHDB_PATH}):`,
  );
  console.table(byApp);
  const mix = await ctx.store.query(
    `SELECT p.app_id AS app_id, p.model_version AS model_version, countIf(p.label = 'negative') AS negative, countIf(p.label = 'neutral') AS neutral,
            countIf(p.label = 'positive') AS positive, round(avg(p.confidence), 3) AS mean_confidence
     FROM ${db}.predictions AS p FINAL GROUP BY app_id, model_version ORDER BY app_id`,
  );
  console.log('sentiment mix (predictions FINAL):');
  console.table(mix);
  // The check a user makes first: does the model's positive share track the star ratings?
  const vsStars = await ctx.store.query(
    `SELECT r.app_id AS app_id, count() AS reviews, round(countIf(p.label = 'positive') / count(), 3) AS predicted_positive,
            round(if(countIf(r.rating > 0) = 0, nan, countIf(r.rating >= 4) / countIf(r.rating > 0)), 3) AS rated_4_5_stars
     FROM (SELECT review_id, app_id, rating FROM ${db}.reviews FINAL) AS r
     INNER JOIN (SELECT review_id, toString(label) AS label FROM ${db}.predictions FINAL) AS p ON p.review_id = r.review_id
     GROUP BY r.app_id ORDER BY r.app_id`,
  );
  console.log('share of positive predictions next to the share of 4-5-star reviews, per app:');
  console.table(vsStars);
  // SmSA rows carry their true label: how the served model does on them.
  const smsa = readLabelledFile(path.join(dataDir, 'smsa/valid_preprocess.tsv')).slice(0, limit);
  const truth = new Map(smsa.map((r) => [`smsa-${r.index}`, r.label]));
  const smsaPreds = await ctx.store.query<{ review_id: string; label: string }>(
    `SELECT review_id, toString(label) AS label FROM ${db}.predictions FINAL WHERE app_id = 'smsa'`,
  );
  const agree = smsaPreds.filter((p) => truth.get(p.review_id.split('-').slice(0, 2).join('-')) === p.label).length;
  if (smsaPreds.length)
    console.log(
      `SmSA valid rows scored through Kafka: accuracy ${(agree / smsaPreds.length).toFixed(4)} over ${smsaPreds.length}`,
    );
  const drift = await ctx.store.query(
    `SELECT window_size, count() AS windows, countIf(drifted) AS drifted, max(window_end) AS latest_end FROM ${db}.drift_windows FINAL WHERE tested GROUP BY window_size`,
  );
  console.log('drift status (closed windows vs the reference profile):');
  console.table(drift);
  const port = running.handles.gateway?.port as number | undefined;
  if (port) {
    const predict = await fetch(`http://127.0.0.1:${port}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${demoToken.token}` },
      body: JSON.stringify({ text: 'Aplikasinya bagus, pengiriman cepat!' }),
    });
    console.log(`gateway POST /predict -> ${predict.status} ${await predict.text()}`);
    console.log(
      `gateway: http://127.0.0.1:${port}   OpenAPI UI: http://127.0.0.1:${port}/docs   stats: http://127.0.0.1:${port}/stats`,
    );
    if (!process.env.GATEWAY_TOKENS) console.log(`demo admin token (this run only): ${demoToken.token}`);
    await firstRetrain(`http://127.0.0.1:${port}`, demoToken.token);
  }
  console.log(
    `metrics: http://127.0.0.1:${ctx.config.METRICS_PORT}/metrics   health: http://127.0.0.1:${ctx.config.METRICS_PORT}/health`,
  );
  console.log('Grafana (docker-compose only): http://127.0.0.1:3000 with dashboards/ provisioned');
  if (values.follow) {
    console.log('following; Ctrl-C stops the processors (the stack keeps running: npm run stack:down)');
    running.lifecycle.installSignalHandlers();
    return;
  }
  await running.stop();
  console.log('processors stopped; the stack keeps running (npm run stack:down stops it)');
  process.exit(stored >= produced && scored >= produced ? 0 : 1);
}

interface VersionView {
  version: number;
  stage: string;
  metrics: Record<string, number>;
}

async function versionsOf(base: string, token: string): Promise<VersionView[]> {
  const r = await fetch(`${base}/models`, { headers: { authorization: `Bearer ${token}` } });
  return ((await r.json()) as { versions: VersionView[] }).versions;
}

function printVersions(versions: VersionView[]): void {
  console.table(
    versions.map((v) => ({
      version: v.version,
      stage: v.stage,
      accuracy: v.metrics.accuracy,
      macro_f1: v.metrics.macro_f1,
    })),
  );
}

/**
 * On a first run (the registry holds only the version the launcher just registered), one manual
 * retrain through the gateway's admin route, waited for until it is promoted: the status page's
 * timeline then shows a request, a run and a promotion. Later runs leave the registry as it is.
 */
async function firstRetrain(base: string, token: string): Promise<void> {
  const before = await waitForVersions(base, token);
  if (before.length !== 1) {
    console.log(`model registry: ${before.length} versions already; no retrain (npm run retrain asks for one)`);
    return printVersions(before);
  }
  const res = await fetch(`${base}/retrain`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ reason: 'demo: first manual retrain' }),
  });
  console.log(`gateway POST /retrain -> ${res.status} ${await res.text()}; waiting for the run and its promotion`);
  const deadline = Date.now() + 10 * 60_000;
  let versions = before;
  while (Date.now() < deadline && !versions.some((v) => v.version > 1 && v.stage === 'Production')) {
    await new Promise((r) => setTimeout(r, 2000));
    versions = await versionsOf(base, token);
  }
  printVersions(versions);
}

/** The registry as the gateway follows it, once the launcher's first-run registration has arrived. */
async function waitForVersions(base: string, token: string): Promise<VersionView[]> {
  const deadline = Date.now() + 30_000;
  let versions = await versionsOf(base, token);
  while (versions.length === 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    versions = await versionsOf(base, token);
  }
  return versions;
}

main().catch((err: unknown) => {
  console.error(isUlasanError(err) ? `demo: ${err.code}: ${err.message}` : err);
  process.exit(1);
});
