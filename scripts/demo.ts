// The main job on embedded defaults: starts the local stack, runs the processors in this process
// (embedded chdb is owned by one process), produces four weeks of event-time history for two sample
// apps from ULASAN_DATA_DIR (with app versions), then a scripted payment-complaint burst in one of
// them on its newest release, prints what reached ClickHouse and the alert the `alerts` processor
// raises (or says plainly that none came within the wait), and leaves the gateway and its status page
// running until Ctrl-C, which stops everything within SHUTDOWN_MS.
//   npm run demo [-- --limit 2000] [--once]      (--once: stop after the summary instead of following)
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { produceReviews } from '../processors/producer/main.js';
import { rowToReview } from '../processors/producer/handler.js';
import { readLabelledFile } from '../platform/datasets.js';
import { exitOnUsageError, parseCommandLine } from '../platform/cli.js';
import { isUlasanError } from '../platform/errors.js';
import { runProcessors, PROCESSORS, type Running } from '../app/runner.js';
import type { Context } from '../processors/kit/context.js';
import type { Review } from '../schemas/types.generated.js';
import { newToken } from '../gateway/auth.js';
import { PRODUCER_IDENTITY, provisionKafka } from '../app/provision.js';
import { createKafka, type KafkaClient } from '../platform/kafka/kafka.js';
import { kafkaCredentials, layoutFor, stackKafkaSasl, type StackLayout } from '../stack/services.js';
import { ensureDefaultModel } from './model-build.js';
import { upService } from '../stack/stack.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Event time the sample history spans, ending now. */
export const HISTORY_MS = 28 * DAY;
/** Ctrl-C stops every processor within this, or the process exits anyway. */
export const SHUTDOWN_MS = 9_000;
/** How long the demo waits for the alerts processor to raise the burst's alert. */
const ALERT_WAIT_MS = 90_000;
export const BURST_APP = 'id.co.blibli';

/** The sample sets: each spread over HISTORY_MS, its last 5 days on a new release. */
const SETS = [
  { file: 'app-reviews/train.csv', app: BURST_APP, source: 'google_play', versions: ['4.12.0', '4.13.0'] },
  { file: 'smsa/valid_preprocess.tsv', app: 'smsa', source: 'smsa', versions: ['1.8.2', '1.9.0'] },
];

// The scripted burst: payment complaints as Indonesian users write them (slang and misspellings
// included), combined so no two texts are the same. Fixed, so every run sends the same reviews.
const OPENERS = [
  'Tolong',
  'Parah',
  'Kecewa banget',
  'Gimana ini min',
  'Udah 2 hari',
  'Admin tolong cek',
  'Aneh',
  'Lagi2',
];
const COMPLAINTS = [
  'saldo terpotong tapi pembayaran gagal',
  'pembayaran gagal terus padahal saldo sudah kepotong',
  'saldo kepotong 2x, transaksi gagal',
  'bayar pakai dompet digital saldo terpotong, pesanan tidak masuk',
  'pembayaran gagal tapi uang sudah terpotong dari rekening',
  'checkout selalu gagal bayar, saldo malah berkurang',
];
const CLOSERS = ['refund belum masuk', 'cs tidak membalas', 'uang saya mana??', 'mohon dikembalikan', 'kapok', ''];

/** `n` (up to 288 distinct) complaint reviews of BURST_APP on its newest release, over the last `spanMs`. */
export function complaintBurst(n: number, now: number, spanMs = 36 * HOUR): Review[] {
  const version = SETS[0]!.versions.at(-1)!;
  return Array.from({ length: n }, (_, i) => {
    const o = OPENERS.length;
    const c = COMPLAINTS.length;
    const parts = [
      OPENERS[i % o],
      COMPLAINTS[Math.floor(i / o) % c],
      CLOSERS[Math.floor(i / (o * c)) % CLOSERS.length],
    ];
    return {
      review_id: `demo-burst-${i}`,
      app_id: BURST_APP,
      source: 'google_play',
      text: parts.filter(Boolean).join(', '),
      rating: 1,
      lang: 'id',
      author_hash: null,
      created_at: now - spanMs + Math.round(((i + 0.5) * spanMs) / n),
      ingested_at: now,
      app_version: version,
    };
  });
}

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

async function startStack(layout: StackLayout): Promise<string> {
  console.log('0/6 default model package (trained from SmSA on first run, about 10 s)');
  const modelDir = await ensureDefaultModel({ log: (m) => console.log(`    ${m}`) });
  console.log(`    ${modelDir}`);
  console.log('1/6 starting the local stack (first run downloads Kafka and Apicurio from Maven Central)');
  for (const s of ['kafka', 'registry', 'registry-guard'] as const) {
    const r = await upService(layout, s);
    console.log(`    ${s}: ${r.action} in ${r.seconds.toFixed(1)} s`);
  }
  return modelDir;
}

interface Demo {
  running: Running;
  ctx: Context;
  token: string;
  producer: KafkaClient;
}

async function startProcessors(layout: StackLayout, modelDir: string): Promise<Demo> {
  const identities = await kafkaIdentities(layout);
  console.log(`2/6 starting processors in this process: ${Object.keys(PROCESSORS).join(', ')}`);
  // A token for this demo run only (the gateway keeps just its hash); printed below for the browser.
  const demoToken = newToken('demo', 'admin');
  const running = await runProcessors(Object.keys(PROCESSORS), {
    LOG_LEVEL: 'warn',
    SCORING_MODEL_DIR: modelDir,
    // First run: the start-up package becomes registry version 1 in Production.
    LAUNCHER_BOOTSTRAP_MODEL_DIR: modelDir,
    // The sample spans four weeks of event time: daily drift windows against the first week of each
    // app's traffic, so the status page shows tested windows per app after one demo.
    DRIFT_WINDOWS: '1d',
    DRIFT_REFERENCE_PERIOD: '7d',
    GATEWAY_TOKENS: demoToken.entry,
    ...identities.env,
    ...process.env,
  });
  const { ctx } = running;
  const producer = identities.producer
    ? createKafka({
        brokers: ctx.config.KAFKA_BROKERS,
        clientId: 'ulasan-demo-producer',
        sasl: kafkaCredentials(layout).users[identities.producer],
      })
    : ctx.kafka;
  return { running, ctx, token: demoToken.token, producer };
}

/** Each sample set spread evenly over HISTORY_MS up to `now`, the last 5 days on the set's newer version. */
function sampleHistory(dataDir: string, limit: number, now: number): Review[] {
  return SETS.flatMap((s) => {
    const rows = readLabelledFile(path.join(dataDir, s.file))
      .slice(0, limit)
      .filter((r) => r.text.trim() !== '');
    const spacingMs = Math.floor(HISTORY_MS / Math.max(1, rows.length));
    const release = now - 5 * DAY;
    return rows.map((r, i) => {
      const review = rowToReview(r, { appId: s.app, source: s.source, startMs: now - HISTORY_MS, spacingMs, now });
      const created_at = now - HISTORY_MS + i * spacingMs;
      return { ...review, created_at, app_version: s.versions[created_at < release ? 0 : 1]! };
    });
  });
}

async function produceAll(d: Demo, limit: number, now: number): Promise<number> {
  const dataDir = d.ctx.config.ULASAN_DATA_DIR;
  const history = sampleHistory(dataDir, limit, now);
  const burst = complaintBurst(120, now);
  console.log(`3/6 producing ${history.length} reviews over 28 days of event time from ${dataDir},`);
  console.log(
    `    then a scripted burst of ${burst.length} payment complaints in ${BURST_APP} v${burst[0]!.app_version}`,
  );
  const t0 = Date.now();
  // Event-time order, so the alerts processor sees the history before the burst.
  const all = [...history, ...burst].sort((a, b) => a.created_at - b.created_at);
  const produced = await produceReviews(d.producer, d.ctx.serde, d.ctx.topics.reviews, all);
  console.log(`    ${produced} reviews in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return produced;
}

/** Polls until every review produced in this run is stored and scored (or two minutes pass). */
async function waitForScored(ctx: Context, produced: number, since: number): Promise<boolean> {
  console.log('4/6 waiting for them to be stored and scored in ClickHouse');
  const db = ctx.store.database;
  // The demo is re-runnable: ids are stable, so rows from earlier runs are the same reviews.
  const ids = `(SELECT review_id FROM ${db}.reviews FINAL WHERE ingested_at >= fromUnixTimestamp64Milli(${since}))`;
  const count = async (sql: string) => Number((await ctx.store.query<{ n: string }>(sql))[0]!.n);
  const deadline = Date.now() + 120_000;
  let stored = 0;
  let scored = 0;
  while (Date.now() < deadline) {
    stored = await count(`SELECT count() AS n FROM ${ids}`);
    scored = await count(`SELECT count() AS n FROM ${db}.predictions FINAL WHERE review_id IN ${ids}`);
    if (stored >= produced && scored >= produced) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  const where = ctx.config.CLICKHOUSE_URL ?? ctx.config.CHDB_PATH;
  console.log(`\nproduced ${produced}, stored ${stored}, scored ${scored} (ClickHouse ${ctx.store.kind} at ${where}):`);
  return stored >= produced && scored >= produced;
}

async function printSummary(ctx: Context, limit: number): Promise<void> {
  const db = ctx.store.database;
  console.table(
    await ctx.store.query(
      `SELECT app_id, source, count() AS reviews, round(avg(rating), 2) AS avg_rating, min(created_at) AS first,
         max(created_at) AS last FROM ${db}.reviews FINAL GROUP BY app_id, source ORDER BY reviews DESC`,
    ),
  );
  console.log('sentiment mix (predictions FINAL):');
  console.table(
    await ctx.store.query(
      `SELECT p.app_id AS app_id, p.model_version AS model_version, countIf(p.label = 'negative') AS negative,
         countIf(p.label = 'neutral') AS neutral, countIf(p.label = 'positive') AS positive,
         round(avg(p.confidence), 3) AS mean_confidence
       FROM ${db}.predictions AS p FINAL GROUP BY app_id, model_version ORDER BY app_id`,
    ),
  );
  // The check a user makes first: does the model's positive share track the star ratings?
  console.log('share of positive predictions next to the share of 4-5-star reviews, per app:');
  console.table(
    await ctx.store.query(
      `SELECT r.app_id AS app_id, count() AS reviews,
         round(countIf(p.label = 'positive') / count(), 3) AS predicted_positive,
         round(if(countIf(r.rating > 0) = 0, nan, countIf(r.rating >= 4) / countIf(r.rating > 0)), 3) AS rated_4_5_stars
       FROM (SELECT review_id, app_id, rating FROM ${db}.reviews FINAL) AS r
       INNER JOIN (SELECT review_id, toString(label) AS label FROM ${db}.predictions FINAL) AS p
         ON p.review_id = r.review_id
       GROUP BY r.app_id ORDER BY r.app_id`,
    ),
  );
  await printSmsaAccuracy(ctx, limit);
  console.log('drift status (closed windows vs the reference profile):');
  console.table(
    await ctx.store.query(
      `SELECT window_size, count() AS windows, countIf(drifted) AS drifted, max(window_end) AS latest_end
       FROM ${db}.drift_windows FINAL WHERE tested GROUP BY window_size`,
    ),
  );
}

/** SmSA rows carry their true label: how the served model does on them. */
async function printSmsaAccuracy(ctx: Context, limit: number): Promise<void> {
  const smsa = readLabelledFile(path.join(ctx.config.ULASAN_DATA_DIR, 'smsa/valid_preprocess.tsv')).slice(0, limit);
  const truth = new Map(smsa.map((r) => [`smsa-${r.index}`, r.label]));
  const preds = await ctx.store.query<{ review_id: string; label: string }>(
    `SELECT review_id, toString(label) AS label FROM ${ctx.store.database}.predictions FINAL WHERE app_id = 'smsa'`,
  );
  const agree = preds.filter((p) => truth.get(p.review_id.split('-').slice(0, 2).join('-')) === p.label).length;
  if (preds.length)
    console.log(
      `SmSA valid rows scored through Kafka: accuracy ${(agree / preds.length).toFixed(4)} over ${preds.length}`,
    );
}

type AlertSeen = {
  kind: string;
  status: string;
  app_version: string | null;
  topics: string[];
  reason: string;
  window_start: string;
  window_end: string;
};

/**
 * The alert the burst raises, polled from ClickHouse `alerts` (FINAL) for a bounded wait. Without an
 * `alerts` processor in this build, or without an alert in time, it says so plainly.
 */
async function showAlert(ctx: Context): Promise<boolean> {
  console.log(`5/6 waiting up to ${ALERT_WAIT_MS / 1000} s for the alert the burst raises in ${BURST_APP}`);
  if (!('alerts' in PROCESSORS)) {
    console.log('    no `alerts` processor in this build: nothing raises alerts, so none is shown');
    return false;
  }
  const deadline = Date.now() + ALERT_WAIT_MS;
  while (Date.now() < deadline) {
    const rows = await ctx.store.query<AlertSeen>(
      `SELECT toString(kind) AS kind, toString(status) AS status, app_version, topics, reason,
         toString(window_start) AS window_start, toString(window_end) AS window_end
       FROM ${ctx.store.database}.alerts FINAL WHERE app_id = {app:String} ORDER BY opened_at`,
      { app: BURST_APP },
    );
    if (rows.length) {
      for (const a of rows)
        console.log(
          `    ${a.status} ${a.kind}${a.app_version ? ` v${a.app_version}` : ''} [${a.topics.join(', ')}]` +
            ` ${a.window_start} -> ${a.window_end}: ${a.reason}`,
        );
      return true;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  console.log(`    NO ALERT within ${ALERT_WAIT_MS / 1000} s: the alerts processor raised nothing for ${BURST_APP}`);
  return false;
}

async function showGateway(d: Demo): Promise<void> {
  const port = d.running.handles.gateway?.port as number | undefined;
  if (!port) return;
  const base = `http://127.0.0.1:${port}`;
  const predict = await fetch(`${base}/predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${d.token}` },
    body: JSON.stringify({ text: 'Aplikasinya bagus, pengiriman cepat!' }),
  });
  console.log(`gateway POST /predict -> ${predict.status} ${await predict.text()}`);
  await firstRetrain(base, d.token);
  console.log(`6/6 status page: ${base}/   OpenAPI UI: ${base}/docs   stats: ${base}/stats`);
  if (!process.env.GATEWAY_TOKENS) console.log(`demo admin token (this run only, paste it on the page): ${d.token}`);
  const m = d.ctx.config.METRICS_PORT;
  console.log(`metrics: http://127.0.0.1:${m}/metrics   health: http://127.0.0.1:${m}/health`);
  console.log('Grafana (docker-compose only): http://127.0.0.1:3000 with dashboards/ provisioned');
}

/**
 * The processors share nothing but this process, so they stop side by side (each in its own order:
 * consumers commit before producers flush), then the store closes: the slowest one's stop, a few
 * seconds of Kafka consumer leave, instead of the sum of all ten that stopping in turn costs.
 */
async function stopInParallel(running: Running): Promise<void> {
  await Promise.all(
    Object.entries(running.handles).map(([name, h]) =>
      h.stop().catch((err: unknown) => console.error(`stopping ${name}:`, err)),
    ),
  );
  await running.ctx.store.close();
}

/**
 * Ctrl-C (or SIGTERM) stops every processor gracefully; past SHUTDOWN_MS it exits anyway. A terminal's
 * Ctrl-C reaches this process twice (from the terminal, and relayed by the tsx/npm wrappers): a repeat
 * within a second is that echo and is ignored, a later one exits at once.
 */
function followUntilSignal(running: Running): void {
  console.log(
    `running until Ctrl-C (stops within ${SHUTDOWN_MS / 1000} s; the stack keeps running: npm run stack:down)`,
  );
  let first = 0;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (first && Date.now() - first < 1000) return;
    if (first) process.exit(130);
    first = Date.now();
    console.log(`\n${sig}: stopping the processors`);
    const timer = setTimeout(() => {
      console.log(`shutdown passed ${SHUTDOWN_MS / 1000} s: exiting`);
      process.exit(1);
    }, SHUTDOWN_MS);
    timer.unref();
    void stopInParallel(running).then(() => {
      console.log(`stopped in ${((Date.now() - first) / 1000).toFixed(1)} s`);
      process.exit(0);
    });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

const USAGE = 'usage: npm run demo [-- --limit 2000] [--once]';

async function main(): Promise<void> {
  const { values } = parseCommandLine(
    { options: { limit: { type: 'string', default: '2000' }, once: { type: 'boolean', default: false } } },
    USAGE,
  );
  const limit = Number(values.limit);
  const layout = layoutFor(root);
  const modelDir = await startStack(layout);
  const demo = await startProcessors(layout, modelDir);
  const now = Date.now();
  const produced = await produceAll(demo, limit, now);
  const complete = await waitForScored(demo.ctx, produced, now);
  await printSummary(demo.ctx, limit);
  await showAlert(demo.ctx);
  await showGateway(demo);
  if (!values.once) return followUntilSignal(demo.running);
  await demo.running.stop();
  console.log('processors stopped; the stack keeps running (npm run stack:down stops it)');
  process.exit(complete ? 0 : 1);
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
  console.log(`gateway POST /retrain -> ${res.status} ${await res.text()}; waiting for the run and the gate`);
  printVersions(await gateDecision(base, token));
}

/**
 * The registry once the retrain's version has its gate decision: promoted, or left in Staging (the
 * gate promotes a candidate only when it is not worse than Production; the reason says why).
 */
async function gateDecision(base: string, token: string): Promise<VersionView[]> {
  const deadline = Date.now() + 10 * 60_000;
  let versions = await versionsOf(base, token);
  let stagingSince: number | null = null;
  while (Date.now() < deadline) {
    const candidate = versions.find((v) => v.version > 1);
    if (candidate?.stage === 'Production') break;
    // Promotion follows registration within a second: a candidate still in Staging after 15 s stays.
    if (candidate) stagingSince ??= Date.now();
    if (stagingSince !== null && Date.now() - stagingSince > 15_000) break;
    await new Promise((r) => setTimeout(r, 2000));
    versions = await versionsOf(base, token);
  }
  return versions;
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

// Run as a script (npm run demo), not when a test imports the burst.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url))
  main().catch((err: unknown) => {
    exitOnUsageError('demo', err);
    console.error(isUlasanError(err) ? `demo: ${err.code}: ${err.message}` : err);
    process.exit(1);
  });
