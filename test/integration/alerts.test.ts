// Issue 27, acceptance (alerts), on the real stack: four weeks of event-time history of four apps
// (fixed seed) produced to the scored topic. Steady traffic raises nothing; a payment-complaint
// burst in one app raises exactly one open turn alert naming payment within a day of event time,
// and it resolves; a release whose reviews crash raises a version_regression naming the version and
// crash; the other apps stay silent; hostile records (10,000 topic words, a 1 MB version, bytes that
// are not Avro) lose nothing and stall nothing; the signed webhook gets one grouped message and one
// resolved message through 500s while a Slack receiver that hangs stalls nothing; a second reading
// of the same topic (a restart's replay) writes no second copy.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAlerts } from '../../gateway/plugins/alerts-queries.js';
import { alerts as alertsProcessor } from '../../processors/alerts/main.js';
import { signature } from '../../processors/alerts/notify.js';
import type { ProcessorHandle } from '../../processors/kit/context.js';
import { readToEnd } from '../../platform/kafka/read-to-end.js';
import { toDateTime64 } from '../../platform/time.js';
import { runProcessors, type Running } from '../../app/runner.js';
import type { Alert, ScoredReview } from '../../schemas/types.generated.js';
import { ACCEPTANCE, ACCEPTANCE_START, BURST_FROM, DAY, RELEASE_FROM, scored, simulate, TERMS } from '../alerts-sim.js';
import { freshDir, stackAddresses, stopAndDeleteTopics, uniquePrefix, waitFor } from '../helpers.js';

const SECRET = 'integration-secret-0123456789';
const START = ACCEPTANCE_START;
const sim = ACCEPTANCE;

const { brokers, registryUrl } = stackAddresses();
const prefix = uniquePrefix();
let running: Running;
let replay: ProcessorHandle | undefined;
const received: { kind: string; alerts: Alert[]; valid: boolean }[] = [];
let hookAttempts = 0;
const servers: Server[] = [];

/** The signed webhook: answers 500 to its first two requests, then 200; checks every signature. */
async function receivers(): Promise<{ hook: string; hanging: string }> {
  const hook = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if (hookAttempts++ < 2) return void res.writeHead(500).end();
      const ts = String(req.headers['x-ulasan-timestamp']);
      const valid = req.headers['x-ulasan-signature'] === signature(SECRET, ts, body);
      const m = JSON.parse(body) as { kind: string; alerts: Alert[] };
      received.push({ kind: m.kind, alerts: m.alerts, valid });
      res.writeHead(200).end();
    });
  });
  const hanging = createServer(() => undefined); // accepts, never answers
  for (const s of [hook, hanging]) {
    servers.push(s);
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  }
  const url = (s: Server) => `http://127.0.0.1:${(s.address() as AddressInfo).port}/hook`;
  return { hook: url(hook), hanging: url(hanging) };
}

const history = simulate(sim);

beforeAll(async () => {
  const urls = await receivers();
  running = await runProcessors(
    ['alerts'],
    {
      ...process.env,
      KAFKA_BROKERS: brokers.join(','),
      SCHEMA_REGISTRY_URL: registryUrl,
      CHDB_PATH: freshDir('alerts'),
      ULASAN_TOPIC_PREFIX: prefix,
      ALERTS_GROUP: `${prefix}alerts`,
      ALERTS_IDLE_MS: '3000',
      ALERTS_WEBHOOK_URL: urls.hook,
      ALERTS_WEBHOOK_SECRET: SECRET,
      ALERTS_SLACK_WEBHOOK_URL: urls.hanging,
      ALERTS_GROUP_WAIT_MS: '20000',
      ALERTS_NOTIFY_TIMEOUT_MS: '1000',
      ALERTS_NOTIFY_BACKOFF_MS: '200',
      LOG_LEVEL: 'error',
    },
    { opsServer: false },
  );
  // The review store's rows: the texts the alert quotes its terms from.
  const rows = history.map((r) => ({
    review_id: r.review_id,
    app_id: r.app_id,
    source: 'google_play',
    text: r.text,
    rating: null,
    lang: 'id',
    author_hash: null,
    created_at: toDateTime64(r.created_at),
    ingested_at: toDateTime64(r.created_at),
    kafka_partition: 0,
    kafka_offset: 0,
    app_version: r.app_version,
  }));
  for (let i = 0; i < rows.length; i += 5000) await running.ctx.store.insert('reviews', rows.slice(i, i + 5000));
}, 240_000);

afterAll(async () => {
  await replay?.stop();
  await stopAndDeleteTopics(running);
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

async function produce(values: (ScoredReview | Buffer)[]): Promise<void> {
  const { ctx } = running;
  const producer = ctx.kafka.producer();
  await producer.connect();
  try {
    for (let i = 0; i < values.length; i += 500) {
      const messages = await Promise.all(
        values.slice(i, i + 500).map(async (v) => ({
          key: Buffer.isBuffer(v) ? 'hostile' : v.review_id,
          value: Buffer.isBuffer(v) ? v : await ctx.serde.encode(ctx.topics.scored, v),
        })),
      );
      await producer.send({ topic: ctx.topics.scored, messages, acks: -1 });
    }
  } finally {
    await producer.disconnect();
  }
}

type Row = Awaited<ReturnType<typeof listAlerts>>[number];
const everything = () => listAlerts(running.ctx.store, { from: 0, to: START + 60 * DAY, limit: 1000 });
const rawCount = async () =>
  Number(
    (await running.ctx.store.query<{ n: string }>(`SELECT count() AS n FROM ${running.ctx.store.database}.alerts`))[0]!
      .n,
  );
/** The alerts topic by offset (a read to the end can see a record twice across its group's rebalance). */
async function topicAlerts(): Promise<Alert[]> {
  const out = new Map<string, Alert>();
  await readToEnd(running.ctx.kafka, running.ctx.topics.alerts, async (v, at) => {
    out.set(`${at.partition}/${at.message.offset}`, (await running.ctx.serde.decode<Alert>(v)).value);
  });
  return [...out.values()];
}

describe('alerts on the real stack', () => {
  it('raises the burst and the release, nothing else, and tells the webhook once', { timeout: 300_000 }, async () => {
    // Dated like the review after them, so none is late; each sent on its own (1 MB is a request).
    const at = history[5000]!;
    const manyTopics = scored({ ...at, review_id: 'hostile-topics', app_id: 'app.quiet.1' });
    manyTopics.topics = Array.from({ length: 10_000 }, (_, i) => `topic_${i}`);
    const hugeVersion = { ...scored({ ...at, review_id: 'hostile-version', app_id: 'app.quiet.2' }) };
    hugeVersion.app_version = 'v'.repeat(1_000_000);
    await produce(history.slice(0, 5000).map(scored));
    for (const h of [manyTopics, hugeVersion, Buffer.from('not avro at all')]) await produce([h]);
    await produce(history.slice(5000).map(scored));

    const settled = async () => {
      const rows = await everything();
      const burst = rows.find((r) => r.app_id === 'app.burst');
      const release = rows.find((r) => r.kind === 'version_regression');
      return burst?.status === 'resolved' && release ? rows : null;
    };
    const rows = await waitFor(settled, 180_000, 'the burst resolved and the release alert open').catch(
      async (err: unknown) => {
        for (const r of await everything()) console.log(`row: ${JSON.stringify(r)}`);
        for (const a of await topicAlerts())
          console.log(`topic: ${a.app_id} ${a.kind} ${a.status} ${new Date(a.updated_at).toISOString()} ${a.reason}`);
        const metricDump = await running.ctx.metrics.getMetricsAsJSON();
        console.log(
          JSON.stringify(metricDump.filter((m) => m.name.startsWith('ulasan_alerts')).map((m) => [m.name, m.values])),
        );
        throw err;
      },
    );
    for (const r of rows) console.log(`alert ${r.app_id} ${r.kind} ${r.status} ${r.app_version ?? ''}: ${r.reason}`);

    // Steady traffic and the other apps: silent.
    expect(rows.filter((r) => r.app_id.startsWith('app.quiet'))).toEqual([]);
    const burst = rows.filter((r) => r.app_id === 'app.burst');
    expect(burst).toHaveLength(1);
    const turn: Row = burst[0]!;
    expect(['sentiment_turn', 'complaint_surge']).toContain(turn.kind);
    expect(turn.topics).toContain('payment');
    expect(turn.opened_at).toBeGreaterThan(START + BURST_FROM);
    expect(turn.opened_at - (START + BURST_FROM)).toBeLessThanOrEqual(DAY);
    // The reason quotes the payment terms the sampled reviews matched.
    expect(TERMS.payment!.some((t) => turn.reason.includes(`*${t}*`))).toBe(true);
    const release = rows.filter((r) => r.app_id === 'app.release');
    expect(release).toHaveLength(1);
    expect(release[0]).toMatchObject({ kind: 'version_regression', app_version: '3.0.0', topics: ['crash'] });
    expect(release[0]!.reason).toMatch(/^version 3\.0\.0: crash /);
    expect(release[0]!.opened_at - (START + RELEASE_FROM)).toBeLessThanOrEqual(2 * DAY);

    // The hostile records: the bad bytes dead-lettered, the others bounded and counted.
    const { ctx } = running;
    const metric = async (name: string) => (await ctx.metrics.getSingleMetric(name)!.get()).values;
    expect((await metric('ulasan_dead_letters_total')).find((v) => v.labels.processor === 'alerts')?.value).toBe(1);
    // The alerts can settle before the last records are counted (a caught-up partition that falls
    // silent stops holding the watermark): wait for the count, then check it is exact.
    const count = async () => (await metric('ulasan_alerts_records_total'))[0]?.value ?? 0;
    await waitFor(async () => (await count()) >= history.length + 2, 60_000, 'every record counted').catch(() => 0);
    expect(await count()).toBe(history.length + 2);

    // The signed webhook: one grouped firing message with both alerts, one resolved message, both
    // through two 500s; the hanging Slack receiver stalled none of it.
    await waitFor(async () => received.length >= 2, 60_000, 'two webhook messages');
    await new Promise((r) => setTimeout(r, 3000));
    expect(received.map((m) => m.kind)).toEqual(['firing', 'resolved']);
    expect(received.every((m) => m.valid)).toBe(true);
    expect(received[0]!.alerts.map((a) => a.app_id).sort()).toEqual(['app.burst', 'app.release']);
    expect(received[1]!.alerts.map((a) => a.alert_id)).toEqual([turn.alert_id]);
    expect(hookAttempts).toBe(4);
    const failures = await metric('ulasan_alerts_notification_failures_total');
    expect(failures.find((v) => v.labels.channel === 'slack')?.value).toBeGreaterThanOrEqual(1);
  });

  it('writes no second copy when the same topic is read again', { timeout: 180_000 }, async () => {
    const { ctx } = running;
    const before = { final: (await everything()).length, raw: await rawCount(), topic: (await topicAlerts()).length };
    for (const a of await topicAlerts()) console.log(`on the topic: ${a.alert_id} ${a.app_id} ${a.kind} ${a.status}`);
    expect(before.topic).toBe(3); // burst opened, burst resolved, release opened
    // A second instance with its own group reads the whole scored topic from the beginning: what a
    // restart does (nothing is committed).
    replay = await alertsProcessor.start({ ...ctx, env: { ...ctx.env, ALERTS_GROUP: `${prefix}alerts-replay` } });
    const detector = replay.detector as () => { openAlerts(): { kind: string }[] };
    await waitFor(
      async () =>
        detector()
          .openAlerts()
          .some((a) => a.kind === 'version_regression'),
      120_000,
      'the replay re-derived the release alert',
    );
    await new Promise((r) => setTimeout(r, 5000));
    expect((await everything()).length).toBe(before.final);
    expect(await rawCount()).toBe(before.raw);
    expect((await topicAlerts()).length).toBe(before.topic);
    expect(received).toHaveLength(2);
  });
});
