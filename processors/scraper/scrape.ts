// The scraper's engine, shared by `npm run scrape` and the `scraper` processor. Per app, a run
// fetches pages newest first and commits each page in one Kafka transaction: its reviews, its dead
// letters and the cursor that says where the run stands. A run killed between pages resumes from
// the last committed cursor; a page is never half-produced (consumers read committed).
import { createHash } from 'node:crypto';
import type { Review, ScrapeCursor } from '../../schemas/types.generated.js';
import { deadLetter } from '../kit/dead-letter.js';
import { isUlasanError, ScrapeError } from '../../platform/errors.js';
import {
  chunkBySize,
  SEND_CHUNK_BYTES,
  type KafkaClient,
  type Message,
  type Producer,
} from '../../platform/kafka/kafka.js';
import type { Logger } from '../../platform/logger.js';
import { readToEnd } from '../../platform/kafka/read-to-end.js';
import type { AvroSerde } from '../../platform/serde/serde.js';
import type { TopicNames } from '../../platform/kafka/topics.js';
import { applyPage, cursorKey, emptyCursor, withRun, type AppRef, type PageStep, type StorePage } from './handler.js';
import type { ScraperMetrics } from './metrics.js';
import { appStoreClient } from './app-store.js';
import { googlePlayClient } from './google-play.js';
import { polite, retryKind } from './polite.js';
import type { StoreClient, StoreQuery } from './store-client.js';

export interface ScraperDeps {
  kafka: KafkaClient;
  serde: AvroSerde;
  topics: TopicNames;
  log: Logger;
  metrics: ScraperMetrics;
  /** Store clients, already wrapped for rate and retries. */
  clients: Record<AppRef['store'], StoreClient>;
  salt: string;
  lang: string;
  country: string;
  maxPages: number;
  /** Transactional ids start with this (the identity's ACLs grant its own prefix). */
  transactionalIdPrefix: string;
  onPage?: (report: PageReport) => void;
}

export interface PageReport {
  store: string;
  appId: string;
  page: number;
  fetched: number;
  produced: number;
  duplicates: number;
  deadLettered: number;
  /** Oldest review this run has reached (epoch ms), if any. */
  lowWater: number | null;
}

export interface RunOptions {
  /** Reviews older than this (epoch ms) end the run. */
  since?: number | null;
  /** `since` bounds only an app's first run; later runs go back to the last run's newest review. */
  firstRunOnly?: boolean;
  /** Checked between pages: a stopping process ends the run after the page in hand. */
  stop?: () => boolean;
}

export interface RunReport {
  store: string;
  appId: string;
  outcome: 'complete' | 'paused' | 'failed';
  pages: number;
  fetched: number;
  produced: number;
  duplicates: number;
  deadLettered: number;
  error?: { code: string; message: string };
}

export class Scraper {
  private cursors: Map<string, ScrapeCursor> | null = null;

  constructor(private readonly d: ScraperDeps) {}

  /** Every app's cursor, read to the end of the compacted topic once; afterwards kept in step by our own commits. */
  private async cursorOf(ref: AppRef): Promise<ScrapeCursor> {
    if (!this.cursors) {
      const found = new Map<string, ScrapeCursor>();
      await readToEnd(this.d.kafka, this.d.topics.scrapeCursors, async (value, at) => {
        const key = at.message.key?.toString() ?? '';
        if (value === null) return void found.delete(key);
        try {
          found.set(key, (await this.d.serde.decode<ScrapeCursor>(value, this.d.topics.scrapeCursors)).value);
        } catch (err) {
          // The app then starts a fresh run: a re-scrape, which the review key makes harmless downstream.
          this.d.metrics.errors.inc({ store: key.split('/')[0] ?? '?', kind: 'cursor' });
          this.d.log.error({ key, offset: at.message.offset, err: (err as Error).message }, 'unreadable cursor');
        }
      });
      this.cursors = found;
    }
    return this.cursors.get(cursorKey(ref.store, ref.appId)) ?? emptyCursor(ref.store, ref.appId, Date.now());
  }

  /** One run for one app: until it is complete, `maxPages` pages were applied, `stop()` turns true, or it fails. */
  async scrapeApp(ref: AppRef, o: RunOptions = {}): Promise<RunReport> {
    const report: RunReport = {
      ...ref,
      outcome: 'paused',
      pages: 0,
      fetched: 0,
      produced: 0,
      duplicates: 0,
      deadLettered: 0,
    };
    const producer = this.d.kafka.producer({
      transactionalId: `${this.d.transactionalIdPrefix}${ref.store}-${ref.appId}`,
      maxInFlightRequests: 1,
    });
    try {
      // Inside the try: Kafka down at the start is this run's failure (health, metrics), not a crash.
      await producer.connect();
      report.outcome = await this.pages(ref, o, producer, report);
    } catch (err) {
      report.outcome = 'failed';
      report.error = { code: isUlasanError(err) ? err.code : 'SCRAPE_FAILED', message: (err as Error).message };
      this.d.metrics.errors.inc({ store: ref.store, kind: retryKind(err) });
      this.d.log.error({ ...ref, code: report.error.code, err: report.error.message }, 'scrape run failed');
    } finally {
      await producer.disconnect().catch(() => undefined);
    }
    this.d.metrics.runs.inc({ store: ref.store, outcome: report.outcome });
    return report;
  }

  private async pages(
    ref: AppRef,
    o: RunOptions,
    producer: Producer,
    report: RunReport,
  ): Promise<RunReport['outcome']> {
    const query: StoreQuery = { appId: ref.appId, lang: this.d.lang, country: this.d.country };
    const client = this.d.clients[ref.store];
    const stop = o.stop ?? (() => false);
    const stored = await this.cursorOf(ref);
    const since = o.since === undefined || (o.firstRunOnly && stored.newest) ? null : o.since;
    let cursor = withRun(stored, Date.now());
    if (cursor.run!.pages === 0) await client.checkApp?.(query);
    let restarted = false;
    for (let n = 0; n < this.d.maxPages && !stop(); n++) {
      let page: StorePage;
      try {
        page = await client.fetchPage(query, cursor.run!.next_page ?? null);
      } catch (err) {
        if (err instanceof ScrapeError && err.code === 'STORE_LAYOUT_CHANGED') await this.deadPage(ref, producer, err);
        // A token the store no longer takes: start again from the newest page; what this run already
        // produced is skipped as duplicate (newer than its low-water mark).
        if (
          !(err instanceof ScrapeError && err.code === 'STORE_REQUEST_REFUSED') ||
          restarted ||
          !cursor.run!.next_page
        )
          throw err;
        this.d.log.warn({ ...ref, err: err.message }, 'continuation refused; resuming from the newest page');
        cursor = { ...cursor, run: { ...cursor.run!, next_page: null } };
        restarted = true;
        continue;
      }
      const step = applyPage(cursor, page, since, { ...ref, lang: this.d.lang, salt: this.d.salt, now: Date.now() });
      await this.commit(producer, step);
      cursor = step.cursor;
      this.cursors!.set(cursorKey(ref.store, ref.appId), cursor);
      this.account(ref, page, step, report);
      if (step.done) return 'complete';
    }
    return 'paused';
  }

  private account(ref: AppRef, page: StorePage, step: PageStep, report: RunReport): void {
    const m = this.d.metrics;
    m.pages.inc({ store: ref.store });
    m.fetched.inc({ store: ref.store }, page.reviews.length);
    m.produced.inc({ store: ref.store }, step.produce.length);
    m.duplicates.inc({ store: ref.store }, step.duplicates);
    for (const dl of step.dead) m.deadLettered.inc({ store: ref.store, code: dl.code });
    report.pages++;
    report.fetched += page.reviews.length;
    report.produced += step.produce.length;
    report.duplicates += step.duplicates;
    report.deadLettered += step.dead.length;
    const low = step.cursor.run?.low?.at ?? null;
    this.d.onPage?.({ ...ref, page: report.pages, ...pick(report), lowWater: low });
  }

  /** A page's reviews, dead letters and cursor, all or nothing. */
  private async commit(producer: Producer, step: PageStep): Promise<void> {
    const t = this.d.topics;
    const reviews: Message[] = [];
    const encodeReview = await this.d.serde.encoderFor(t.reviews);
    for (const r of step.produce) reviews.push({ key: r.review_id, value: encodeReview(r as Review) });
    const dead = await this.deadMessages(step);
    const encodeCursor = await this.d.serde.encoderFor(t.scrapeCursors);
    const c = step.cursor;
    const cursorMessage = { key: cursorKey(c.store as AppRef['store'], c.app_id), value: encodeCursor(c) };
    const txn = await producer.transaction();
    try {
      for (const chunk of chunkBySize(reviews, SEND_CHUNK_BYTES)) await txn.send({ topic: t.reviews, messages: chunk });
      for (const chunk of chunkBySize(dead, SEND_CHUNK_BYTES)) await txn.send({ topic: t.deadLetter, messages: chunk });
      await txn.send({ topic: t.scrapeCursors, messages: [cursorMessage] });
      await txn.commit();
    } catch (err) {
      await txn.abort().catch(() => undefined);
      throw err;
    }
  }

  private async deadMessages(step: PageStep): Promise<Message[]> {
    const encode = await this.d.serde.encoderFor(this.d.topics.deadLetter);
    const c = step.cursor;
    return step.dead.map((dl) => {
      const value = Buffer.from(JSON.stringify(dl.record.raw ?? null));
      const origin = {
        topic: storeOrigin(c.store, c.app_id),
        partition: 0,
        offset: contentOffset(value),
        key: null,
        value,
      };
      const letter = deadLetter(origin, dl.code, dl.reason, 'scraper');
      return { key: dl.record.id, value: encode(letter.value), headers: letter.headers };
    });
  }

  /** A page the scraper cannot parse, dead-lettered whole (the run then fails with STORE_LAYOUT_CHANGED). */
  private async deadPage(ref: AppRef, producer: Producer, err: ScrapeError): Promise<void> {
    const raw = typeof err.details?.raw === 'string' ? err.details.raw : '';
    const value = Buffer.from(raw);
    const origin = {
      topic: storeOrigin(ref.store, ref.appId),
      partition: 0,
      offset: contentOffset(value),
      key: null,
      value,
    };
    const letter = deadLetter(origin, err.code, err.message, 'scraper');
    const encode = await this.d.serde.encoderFor(this.d.topics.deadLetter);
    const txn = await producer.transaction();
    await txn.send({
      topic: this.d.topics.deadLetter,
      messages: [{ key: null, value: encode(letter.value), headers: letter.headers }],
    });
    await txn.commit();
    this.d.metrics.deadLettered.inc({ store: ref.store, code: err.code });
  }
}

/** Where a scraped dead letter came from: not a topic, the store and app (`store:google_play/<app>`). */
export const storeOrigin = (store: string, appId: string): string => `store:${store}/${appId}`;

/**
 * A store record has no offset: its content stands in (48 bits of its sha256), so distinct bad
 * records stay distinct rows in `dead_letters` and the same record seen again is the same row.
 */
function contentOffset(value: Buffer): number {
  return createHash('sha256').update(value).digest().readUIntBE(0, 6);
}

function pick(r: RunReport): Pick<PageReport, 'fetched' | 'produced' | 'duplicates' | 'deadLettered'> {
  return { fetched: r.fetched, produced: r.produced, duplicates: r.duplicates, deadLettered: r.deadLettered };
}

export type ScraperConfig = Pick<
  ScraperDeps,
  'salt' | 'lang' | 'country' | 'maxPages' | 'transactionalIdPrefix' | 'onPage'
> & {
  rate: number;
  retries: number;
  backoffMs: number;
  backoffMaxMs: number;
  timeoutMs: number;
  googlePlayUrl: string;
  appStoreUrl: string;
};

/** A scraper with both stores' clients behind one shared rate, retrying with backoff and jitter. */
export function buildScraper(
  io: Pick<ScraperDeps, 'kafka' | 'serde' | 'topics' | 'log' | 'metrics'>,
  c: ScraperConfig,
): Scraper {
  const opts = {
    ratePerSecond: c.rate,
    retries: c.retries,
    backoffMs: c.backoffMs,
    backoffMaxMs: c.backoffMaxMs,
    onRetry: (err: ScrapeError, attempt: number) => {
      io.metrics.errors.inc({ store: String(err.details?.store ?? '?'), kind: retryKind(err) });
      io.log.warn({ code: err.code, attempt, err: err.message }, 'store request failed; retrying');
    },
  };
  const clients = {
    google_play: polite(googlePlayClient({ baseUrl: c.googlePlayUrl, timeoutMs: c.timeoutMs }), opts),
    app_store: polite(appStoreClient({ baseUrl: c.appStoreUrl, timeoutMs: c.timeoutMs }), opts),
  };
  return new Scraper({ ...io, ...c, clients });
}
