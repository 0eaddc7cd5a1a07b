// Scrapers on the real stack (Kafka, registry, chdb) against a local replay of both stores: the real
// library and feed client make real HTTP requests, redirected through the options they expose. The
// review store writes what the scraper produces; ClickHouse must hold every review exactly once.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeadLetter } from '../../schemas/types.generated.js';
import { runProcessors, type Running } from '../../app/runner.js';
import { readLabelledFile } from '../../platform/datasets.js';
import { readToEnd } from '../../platform/kafka/read-to-end.js';
import { createRegistry } from '../../platform/metrics.js';
import { scraperMetrics } from '../../processors/scraper/metrics.js';
import { buildScraper, storeOrigin, type Scraper } from '../../processors/scraper/scrape.js';
import { freshDir, ROOT, stackAddresses, stopAndDeleteTopics, uniquePrefix, waitFor } from '../helpers.js';
import { fixtureReviews, StoreReplay } from '../store-replay.js';

const { brokers, registryUrl } = stackAddresses();
const prefix = uniquePrefix();
const store = new StoreReplay();
const registry = createRegistry('scraper-test', false);
const metrics = scraperMetrics(registry);
const texts = readLabelledFile(path.join(ROOT, '..', 'shared', 'data', 'app-reviews', 'train.csv'))
  .map((r) => r.text.trim())
  .filter((t) => t.length > 0)
  .slice(0, 200);
let running: Running;
let engine: Scraper;

const env = (): NodeJS.ProcessEnv => ({
  ...process.env,
  KAFKA_BROKERS: brokers.join(','),
  SCHEMA_REGISTRY_URL: registryUrl,
  ULASAN_TOPIC_PREFIX: prefix,
  SCRAPER_GOOGLE_PLAY_URL: store.url,
  SCRAPER_APP_STORE_URL: store.url,
  SCRAPER_RATE: '50',
  SCRAPER_BACKOFF_MS: '50',
  SCRAPER_BACKOFF_MAX_MS: '2000',
  LOG_LEVEL: 'error',
});

beforeAll(async () => {
  await store.start();
  running = await runProcessors(
    ['review-store', 'dead-letter-store'],
    {
      ...env(),
      CHDB_PATH: freshDir('scraper'),
      REVIEW_STORE_GROUP: `${prefix}review-store`,
      DEAD_LETTER_STORE_GROUP: `${prefix}dls`,
    },
    { opsServer: false },
  );
  const { ctx } = running;
  engine = buildScraper(
    { kafka: ctx.kafka, serde: ctx.serde, topics: ctx.topics, log: ctx.logger, metrics },
    {
      salt: 'scraper-test-salt-0001',
      lang: 'id',
      country: 'id',
      maxPages: 100,
      transactionalIdPrefix: `ulasan-scraper-${prefix}`,
      rate: 50,
      retries: 5,
      backoffMs: 50,
      backoffMaxMs: 2000,
      timeoutMs: 5000,
      googlePlayUrl: store.url,
      appStoreUrl: store.url,
    },
  );
}, 240_000);

afterAll(async () => {
  await store.stop();
  await stopAndDeleteTopics(running);
});

const count = async (sql: string): Promise<number> => Number((await running.ctx.store.query<{ n: string }>(sql))[0]!.n);

/** Rows of an app in `reviews`, counted without FINAL (a duplicate would show before any merge), and distinct ids. */
async function stored(appId: string): Promise<{ rows: number; ids: number }> {
  const db = running.ctx.store.database;
  const r = await running.ctx.store.query<{ rows: string; ids: string }>(
    `SELECT count() AS rows, uniqExact(review_id) AS ids FROM ${db}.reviews WHERE app_id = {app:String}`,
    { app: appId },
  );
  return { rows: Number(r[0]!.rows), ids: Number(r[0]!.ids) };
}

async function waitStored(appId: string, n: number): Promise<void> {
  await waitFor(async () => (await stored(appId)).ids === n, 60_000, `${n} reviews of ${appId} stored`);
  expect(await stored(appId)).toEqual({ rows: n, ids: n });
}

/** Reviews in the topic whose key (review id) starts with a prefix, committed only: a second copy would be a duplicate. */
async function inTopic(keyPrefix: string): Promise<{ messages: number; keys: number }> {
  const keys: string[] = [];
  await readToEnd(running.ctx.kafka, running.ctx.topics.reviews, async (_v, at) => {
    const k = at.message.key?.toString() ?? '';
    if (k.startsWith(keyPrefix)) keys.push(k);
  });
  return { messages: keys.length, keys: new Set(keys).size };
}

function scrapeCli(args: string[]): { child: ChildProcess; done: Promise<{ code: number | null; out: string }> } {
  // node itself with tsx's loader (not npx): SIGKILL must reach the process that scrapes.
  const child = spawn(process.execPath, ['--import', 'tsx', 'processors/scraper/cli.ts', ...args], {
    cwd: ROOT,
    env: env(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const done = new Promise<{ code: number | null; out: string }>((r) => child.on('close', (code) => r({ code, out })));
  return { child, done };
}

describe('scraper', () => {
  it(
    'Google Play: two runs produce each review once; a third produces only the new ones',
    { timeout: 120_000 },
    async () => {
      const app = `com.replay.${prefix.replace(/\W/g, '')}one`;
      const now = Date.now() - 3_600_000;
      // Versions as the store reports them: odd reviews on 3.1.0, one hostile (200 KB), the rest the fixture's 1.2.3.
      const versioned = fixtureReviews('gp1', 130, now, texts).map((r, i) =>
        i === 3 ? { ...r, version: `8.${'8'.repeat(200_000)}` } : i % 2 ? { ...r, version: '3.1.0' } : r,
      );
      store.setApp('google_play', app, versioned);
      const first = await engine.scrapeApp({ store: 'google_play', appId: app });
      expect(first).toMatchObject({ outcome: 'complete', pages: 4, fetched: 130, produced: 130, deadLettered: 0 });
      const second = await engine.scrapeApp({ store: 'google_play', appId: app });
      expect(second).toMatchObject({ outcome: 'complete', pages: 1, produced: 0 });
      // Seven newer reviews arrive; the third run stops at the first run's newest review.
      store.setApp('google_play', app, [
        ...fixtureReviews('gp1new', 7, now + 600_000, texts),
        ...store.apps.get(`google_play/${app}`)!,
      ]);
      const third = await engine.scrapeApp({ store: 'google_play', appId: app });
      expect(third).toMatchObject({ outcome: 'complete', pages: 1, produced: 7 });
      await waitStored(app, 137);
      expect(await inTopic('google_play:gp1')).toEqual({ messages: 137, keys: 137 });
      const authors = await running.ctx.store.query<{ a: string }>(
        `SELECT DISTINCT author_hash AS a FROM ${running.ctx.store.database}.reviews WHERE app_id = {app:String}`,
        { app },
      );
      expect(authors).toHaveLength(137);
      for (const { a } of authors) expect(a).not.toContain('Pengguna');
      const versions = await running.ctx.store.query<{ v: string; n: string }>(
        `SELECT app_version AS v, count() AS n FROM ${running.ctx.store.database}.reviews FINAL
         WHERE app_id = {app:String} GROUP BY v ORDER BY v`,
        { app },
      );
      expect(versions.map(({ v, n }) => [v, Number(n)])).toEqual([
        ['1.2.3', 65 + 7],
        ['3.1.0', 64],
        [`8.${'8'.repeat(62)}`, 1],
      ]);
    },
  );

  it('throttling (429 with Retry-After, 503) slows the run without losing a page', { timeout: 120_000 }, async () => {
    const app = `com.replay.${prefix.replace(/\W/g, '')}slow`;
    store.setApp('google_play', app, fixtureReviews('gp2', 100, Date.now() - 7_200_000, texts));
    const throttled = () =>
      metrics.errors
        .get()
        .then((m) => m.values.filter((v) => v.labels.kind === 'throttled').reduce((s, v) => s + v.value, 0));
    const before = await throttled();
    store.faults.push({ status: 429, retryAfter: '1' }, { status: 429, retryAfter: '1' }, { status: 503 });
    const t0 = Date.now();
    const r = await engine.scrapeApp({ store: 'google_play', appId: app });
    expect(r).toMatchObject({ outcome: 'complete', produced: 100 });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(2000); // two Retry-After waits of 1 s
    expect((await throttled()) - before).toBe(2);
    const failedThenServed = store.served.filter((s) => s.appId === app);
    expect(failedThenServed.map((s) => s.status).slice(0, 4)).toEqual([429, 429, 503, 200]);
    await waitStored(app, 100);
  });

  it('a run killed mid-way resumes from its cursor with no gap and no duplicate', { timeout: 180_000 }, async () => {
    const app = `com.replay.${prefix.replace(/\W/g, '')}kill`;
    store.setApp('google_play', app, fixtureReviews('gp3', 200, Date.now() - 10_800_000, texts));
    store.holdAfter(2);
    const first = scrapeCli(['--store', 'google-play', '--app', app]);
    await waitFor(async () => store.held() > 0, 60_000, 'the third page requested (two committed)');
    first.child.kill('SIGKILL');
    await first.done;
    store.release();
    const resumedFrom = store.served.length;
    const second = scrapeCli(['--store', 'google-play', '--app', app]);
    const { code, out } = await second.done;
    expect(code, out).toBe(0);
    // The restart asked for the third page first (the cursor's token), not the newest page again.
    const askedAfterRestart = store.served.slice(resumedFrom).filter((s) => s.appId === app);
    expect(askedAfterRestart[0]!.page).toBe('tok-80');
    expect(out).toMatch(/complete after 3 page\(s\), 120 produced/);
    await waitStored(app, 200);
    expect(await inTopic('google_play:gp3-')).toEqual({ messages: 200, keys: 200 });
  });

  it(
    'App Store: feed pages, a second run adds nothing, bad records and pages are dead-lettered',
    { timeout: 120_000 },
    async () => {
      const app = `${Date.now() % 1e9}`;
      const reviews = fixtureReviews(`as${app}`, 120, Date.now() - 3_600_000, texts);
      reviews[5] = { ...reviews[5]!, noDate: true };
      reviews[6] = { ...reviews[6]!, title: 'Judul', text: 'isi ulasan', version: '7.0.1' };
      store.setApp('app_store', app, reviews);
      const first = await engine.scrapeApp({ store: 'app_store', appId: app });
      expect(first).toMatchObject({ outcome: 'complete', fetched: 120, produced: 119, deadLettered: 1 });
      const second = await engine.scrapeApp({ store: 'app_store', appId: app });
      expect(second).toMatchObject({ outcome: 'complete', produced: 0 });
      await waitStored(app, 119);
      const v = await running.ctx.store.query<{ v: string }>(
        `SELECT app_version AS v FROM ${running.ctx.store.database}.reviews FINAL WHERE review_id = {id:String}`,
        { id: `app_store:as${app}-6` },
      );
      expect(v).toEqual([{ v: '7.0.1' }]);

      const unknown = await engine.scrapeApp({ store: 'app_store', appId: '404404' });
      expect(unknown).toMatchObject({ outcome: 'failed', error: { code: 'STORE_APP_NOT_FOUND' } });
      const broken = `${app}9`;
      store.setApp('app_store', broken, reviews);
      store.broken.add(`app_store/${broken}`);
      const layout = await engine.scrapeApp({ store: 'app_store', appId: broken });
      expect(layout).toMatchObject({ outcome: 'failed', error: { code: 'STORE_LAYOUT_CHANGED' } });

      // The dead letters keep the store's raw record and page; the dead-letter store has them too.
      const origins = [storeOrigin('app_store', app), storeOrigin('app_store', broken)];
      const letters: DeadLetter[] = [];
      await readToEnd(running.ctx.kafka, running.ctx.topics.deadLetter, async (value) => {
        const dl = (await running.ctx.serde.decode<DeadLetter>(value)).value;
        if (origins.includes(dl.origin_topic)) letters.push(dl);
      });
      letters.sort((a, b) => a.error_code.localeCompare(b.error_code));
      expect(letters.map((l) => l.error_code)).toEqual(['SCRAPE_RECORD_INVALID', 'STORE_LAYOUT_CHANGED']);
      expect(JSON.parse(letters[0]!.original_value!.toString())).toMatchObject({ id: { label: `as${app}-5` } });
      expect(letters[1]!.original_value!.toString()).toContain('layout changed');
      const db = running.ctx.store.database;
      const sql = `SELECT count() AS n FROM ${db}.dead_letters FINAL WHERE processor = 'scraper' AND origin_topic IN ('${origins.join("','")}')`;
      await waitFor(async () => (await count(sql)) === 2, 60_000, 'two scraper dead letters stored');
    },
  );
});
