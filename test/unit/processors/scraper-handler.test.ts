import { describe, expect, it } from 'vitest';
import type { ScrapeCursor } from '../../../schemas/types.generated.js';
import { parseConfig } from '../../../platform/config.js';
import { parseAppList, SCRAPER_REQUIRED_IN_PRODUCTION, scraperShape } from '../../../processors/scraper/config.js';
import { fromAppStore } from '../../../processors/scraper/app-store.js';
import { fromGooglePlay } from '../../../processors/scraper/google-play.js';
import {
  applyPage,
  authorHash,
  classify,
  emptyCursor,
  reviewIdFor,
  toReview,
  withRun,
  type StoreReview,
} from '../../../processors/scraper/handler.js';
import { httpFailure, retryAfterMs } from '../../../processors/scraper/store-client.js';

const NOW = Date.UTC(2026, 10, 28, 12);
const MIN = 60_000;
const opts = { store: 'google_play' as const, appId: 'com.app', lang: 'id', salt: 'a-salt-of-16-chars', now: NOW };

const review = (id: string, minutesAgo: number, over: Partial<StoreReview> = {}): StoreReview => ({
  id,
  at: NOW - minutesAgo * MIN,
  rating: 4,
  title: null,
  text: `bagus ${id}`,
  author: `Budi ${id}`,
  version: null,
  raw: { id },
  ...over,
});

/** Runs pages through a cursor as a scraper would, returning every produced review id per page. */
function run(
  c: ScrapeCursor,
  pages: StoreReview[][],
  since: number | null = null,
): { c: ScrapeCursor; ids: string[][] } {
  let cursor = withRun(c, NOW);
  const ids: string[][] = [];
  for (const [i, reviews] of pages.entries()) {
    const step = applyPage(cursor, { reviews, next: i < pages.length - 1 ? `t${i}` : null, raw: '' }, since, opts);
    ids.push(step.produce.map((r) => r.review_id));
    cursor = step.cursor;
    if (step.done) break;
  }
  return { c: cursor, ids };
}

describe('scraper: author hash', () => {
  it('never equals or contains the author name, hex-looking names included', () => {
    const names = [
      'Budi Santoso',
      'Siti',
      'a',
      'b',
      'f',
      '0',
      '7',
      'ab',
      'dead',
      'beef',
      'face',
      'cafe',
      'ADE',
      '1234',
    ];
    for (const salt of ['a-salt-of-16-chars', 'another-salt-0000', 'xyzxyzxyzxyzxyzxyz']) {
      for (const name of names) {
        const h = authorHash(name, salt)!;
        expect(h).toMatch(/^[0-9a-f]{32}$/);
        expect(h).not.toBe(name);
        expect(h.toLowerCase()).not.toContain(name.toLowerCase());
      }
    }
  });

  it('is stable per salt, differs across salts, and is null without a name', () => {
    expect(authorHash('Budi', 's'.repeat(16))).toBe(authorHash('Budi', 's'.repeat(16)));
    expect(authorHash('Budi', 's'.repeat(16))).not.toBe(authorHash('Budi', 't'.repeat(16)));
    expect(authorHash(null, 's'.repeat(16))).toBeNull();
    expect(authorHash('  ', 's'.repeat(16))).toBeNull();
  });
});

describe('scraper: mapping a store review', () => {
  it('maps to a Review with a stable id from the store id and no author name anywhere', () => {
    const m = toReview(review('gp:AOqpTOH', 5), opts);
    expect(m.ok).toBe(true);
    if (!m.ok) return;
    expect(m.review).toMatchObject({ review_id: 'google_play:gp:AOqpTOH', app_id: 'com.app', source: 'google_play' });
    expect(m.review.rating).toBe(4);
    expect(m.review.lang).toBe('id');
    expect(m.review.created_at).toBe(NOW - 5 * MIN);
    expect(JSON.stringify(m.review)).not.toContain('Budi');
  });

  it('hashes a store id with characters a review id may not hold', () => {
    expect(reviewIdFor('app_store', '123')).toBe('app_store:123');
    expect(reviewIdFor('google_play', 'a b#c')).toMatch(/^google_play:sha256:[0-9a-f]{32}$/);
  });

  it('dead-letters a record without id, date or text with a code and reason', () => {
    const noId = toReview(review('x', 1, { id: null }), opts);
    const noDate = toReview(review('x', 1, { at: null }), opts);
    const noText = toReview(review('x', 1, { text: '   ' }), opts);
    expect(noId).toMatchObject({ ok: false, code: 'SCRAPE_RECORD_INVALID' });
    expect(noDate).toMatchObject({ ok: false, code: 'SCRAPE_RECORD_INVALID' });
    expect(noText).toMatchObject({ ok: false, code: 'EMPTY_TEXT' });
  });

  it('puts an App Store title on its own line before the body', () => {
    const m = toReview(review('1', 1, { title: 'Mantap', text: 'aplikasinya bagus' }), opts);
    expect(m.ok && m.review.text).toBe('Mantap\naplikasinya bagus');
  });

  it('reads both stores’ records', () => {
    const gp = fromGooglePlay({ id: 'g1', date: '2026-11-01T10:00:00.000Z', score: 5, text: 't', userName: 'U' });
    expect(gp).toMatchObject({ id: 'g1', at: Date.UTC(2026, 10, 1, 10), rating: 5, text: 't', author: 'U' });
    const as = fromAppStore({
      id: { label: '99' },
      updated: { label: '2026-11-01T03:00:00-07:00' },
      'im:rating': { label: '2' },
      title: { label: 'Judul' },
      content: { label: 'isi' },
      author: { name: { label: 'A' } },
    });
    expect(as).toMatchObject({ id: '99', at: Date.UTC(2026, 10, 1, 10), rating: 2, title: 'Judul', text: 'isi' });
    expect(fromAppStore({ id: { label: '1' } }).at).toBeNull();
  });
});

describe('scraper: app versions', () => {
  it('reads the version of both stores (Play `version`, App Store `im:version`) into the Review', () => {
    const gp = fromGooglePlay({ id: 'g1', date: '2026-11-01T10:00:00.000Z', score: 1, text: 't', version: '2.114.0' });
    const as = fromAppStore({
      id: { label: '9' },
      updated: { label: '2026-11-01T03:00:00-07:00' },
      'im:rating': { label: '1' },
      'im:version': { label: '5.3.1' },
      content: { label: 'crash terus' },
    });
    expect([gp.version, as.version]).toEqual(['2.114.0', '5.3.1']);
    const m = toReview({ ...review('v', 1), version: gp.version }, opts);
    expect(m.ok && m.review.app_version).toBe('2.114.0');
    // A store that gives none (older Play reviews have version null) leaves it null.
    expect(fromGooglePlay({ id: 'g2', version: null }).version).toBeNull();
    expect(fromAppStore({ id: { label: '1' } }).version).toBeNull();
    const none = toReview(review('n', 1), opts);
    expect(none.ok && none.review.app_version).toBeNull();
  });

  it('keeps a review with a 1 MB version, the version cut to 64 characters', () => {
    const m = toReview({ ...review('big', 1), version: `9.${'9'.repeat(1 << 20)}` }, opts);
    expect(m.ok).toBe(true);
    expect(m.ok && m.review.app_version).toBe(`9.${'9'.repeat(62)}`);
  });
});

describe('scraper: cursor', () => {
  const fresh = emptyCursor('google_play', 'com.app', NOW);

  it('a first run produces everything and ends on the last page with newest = its top', () => {
    const r = run(fresh, [[review('a', 1), review('b', 2)], [review('c', 3)]]);
    expect(r.ids).toEqual([['google_play:a', 'google_play:b'], ['google_play:c']]);
    expect(r.c.run).toBeNull();
    expect(r.c.newest).toEqual({ at: NOW - MIN, ids: ['a'] });
  });

  it('a second run produces only newer reviews and stops at the last run’s newest', () => {
    const first = run(fresh, [[review('a', 10), review('b', 20)]]).c;
    const second = run(first, [[review('n', 1), review('a', 10), review('b', 20)], [review('z', 30)]]);
    expect(second.ids).toEqual([['google_play:n']]);
    expect(second.c.newest).toEqual({ at: NOW - MIN, ids: ['n'] });
  });

  it('a review at exactly the newest time but with another id is new; the same id is a duplicate', () => {
    const first = run(fresh, [[review('a', 10)]]).c;
    expect(classify(first, NOW - 10 * MIN, 'a', null)).toBe('duplicate');
    expect(classify(first, NOW - 10 * MIN, 'a2', null)).toBe('new');
    expect(classify(first, NOW - 11 * MIN, 'old', null)).toBe('old');
  });

  it('a resumed run skips what it already produced (pages that shifted) and keeps its top', () => {
    let c = withRun(fresh, NOW);
    c = applyPage(c, { reviews: [review('a', 1), review('b', 2)], next: '2', raw: '' }, null, opts).cursor;
    expect(c.run).toMatchObject({ next_page: '2', pages: 1, produced: 2, low: { at: NOW - 2 * MIN, ids: ['b'] } });
    // After a restart page 2 overlaps page 1 (one new review pushed everything down).
    const step = applyPage(c, { reviews: [review('b', 2), review('c', 3)], next: null, raw: '' }, null, opts);
    expect(step.produce.map((r) => r.review_id)).toEqual(['google_play:c']);
    expect(step.duplicates).toBe(1);
    expect(step.cursor.newest).toEqual({ at: NOW - MIN, ids: ['a'] });
  });

  it('stops at --since and counts dead letters without losing the page', () => {
    const r = run(
      fresh,
      [[review('a', 1), review('bad', 2, { at: null }), review('b', 3)], [review('c', 100)]],
      NOW - 50 * MIN,
    );
    expect(r.ids).toEqual([['google_play:a', 'google_play:b'], []]);
    expect(r.c.run).toBeNull();
    const step = applyPage(
      withRun(fresh, NOW),
      { reviews: [review('bad', 2, { at: null })], next: 'x', raw: '' },
      null,
      opts,
    );
    expect(step.dead).toMatchObject([{ code: 'SCRAPE_RECORD_INVALID' }]);
  });
});

const fresh0 = () => emptyCursor('google_play', 'com.app', NOW);

describe('scraper: config and store errors', () => {
  it('parses the app list and names a bad entry', () => {
    expect(parseAppList('google-play:com.a, app_store:123')).toEqual([
      { store: 'google_play', appId: 'com.a' },
      { store: 'app_store', appId: '123' },
    ]);
    expect(() => parseAppList('play:com.a')).toThrow(/"play:com.a" is not <store>:<app id>/);
  });

  it('refuses production without its own author salt, naming the variable', () => {
    const prod = {
      ULASAN_ENV: 'production',
      KAFKA_BROKERS: 'k:9092',
      SCHEMA_REGISTRY_URL: 'http://r:8080',
      CLICKHOUSE_URL: 'http://c:8123',
      CLICKHOUSE_PASSWORD: 'a-long-enough-password',
      KAFKA_SASL_USERNAME: 'u',
      KAFKA_SASL_PASSWORD: 'p',
    };
    const parse = (env: NodeJS.ProcessEnv) =>
      parseConfig(scraperShape, env, { requiredInProduction: SCRAPER_REQUIRED_IN_PRODUCTION });
    expect(() => parse(prod)).toThrow(/SCRAPER_AUTHOR_SALT: is required when ULASAN_ENV=production/);
    expect(() => parse({ ...prod, SCRAPER_AUTHOR_SALT: 'short' })).toThrow(/SCRAPER_AUTHOR_SALT: must be at least 16/);
    expect(parse({ ...prod, SCRAPER_AUTHOR_SALT: 'x'.repeat(16), SCRAPER_APPS: 'app-store:1' }).SCRAPER_APPS).toEqual([
      { store: 'app_store', appId: '1' },
    ]);
    expect(() => parse({ ...prod, SCRAPER_AUTHOR_SALT: 'x'.repeat(16), SCRAPER_APPS: 'nope' })).toThrow(/SCRAPER_APPS/);
  });

  it('places a record without a date by its dated neighbours, so a later run does not dead-letter it again', () => {
    const first = run(fresh0(), [[review('a', 1), review('b', 2)]]).c;
    const again = applyPage(
      withRun(first, NOW),
      { reviews: [review('a', 1), review('x', 0, { at: null }), review('b', 2)], next: null, raw: '' },
      null,
      opts,
    );
    expect(again.dead).toEqual([]);
    expect(again.duplicates).toBe(2);
    const fresh = applyPage(
      withRun(fresh0(), NOW),
      { reviews: [review('x', 0, { at: null }), review('a', 1)], next: null, raw: '' },
      null,
      opts,
    );
    expect(fresh.dead).toHaveLength(1);
  });

  it('classifies HTTP failures: 404 unknown app, 429/5xx/network retriable, other 4xx refused', () => {
    expect(httpFailure('google_play', 'x', 404, undefined, '').code).toBe('STORE_APP_NOT_FOUND');
    expect(httpFailure('google_play', 'x', 429, '3', '')).toMatchObject({ code: 'STORE_UNAVAILABLE', retriable: true });
    expect(httpFailure('google_play', 'x', 429, '3', '').details).toMatchObject({
      kind: 'throttled',
      retryAfterMs: 3000,
    });
    expect(httpFailure('app_store', 'x', 503, undefined, '').details).toMatchObject({ kind: 'server' });
    expect(httpFailure('app_store', 'x', undefined, undefined, '').details).toMatchObject({ kind: 'network' });
    expect(httpFailure('app_store', 'x', 400, undefined, '')).toMatchObject({
      code: 'STORE_REQUEST_REFUSED',
      retriable: false,
    });
    expect(retryAfterMs(new Date(NOW + 5000).toUTCString(), NOW)).toBe(5000);
    expect(retryAfterMs('soon')).toBeUndefined();
  });
});
