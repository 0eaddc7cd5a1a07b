// Pure logic of the scraper: a store's review becomes a Review (or a dead letter with a code), and a
// page moves the cursor. The cursor is what makes a run resumable with no gap and no duplicate:
// - `newest`: the newest review of the last completed run; a run stops when it reaches it;
// - `run.low`: the oldest review this run has produced; after a restart, what is newer than it was
//   already produced (a resumed page can overlap: the App Store's pages shift as reviews arrive);
// - `run.top`: the newest review this run produced; it becomes `newest` when the run completes, so
//   reviews written while a run was going are picked up by the next one.
import { createHash, createHmac } from 'node:crypto';
import type { Review, ScrapeCursor, ScrapeMark } from '../../schemas/types.generated.js';
import { boundAppVersion } from '../kit/app-version.js';
import { validateReview } from '../kit/review.js';

export const STORES = ['google_play', 'app_store'] as const;
export type Store = (typeof STORES)[number];

/** `google_play:<package>` or `app_store:<numeric id>` (google-play / app-store also accepted). */
export interface AppRef {
  store: Store;
  appId: string;
}

/** A review as a store client hands it over, before any checks. */
export interface StoreReview {
  id: string | null;
  /** Epoch ms of the review's date, or null when the store gave none (or none that parses). */
  at: number | null;
  rating: number | null;
  title: string | null;
  text: string | null;
  author: string | null;
  /** The app version the review was written against (Play `version`, App Store `im:version`), unbounded. */
  version: string | null;
  /** What the store gave for this review, kept whole for a dead letter. */
  raw: unknown;
}

export interface StorePage {
  reviews: StoreReview[];
  /** Continuation token or page number of the next page; null on the last page. */
  next: string | null;
  /** The response body the page came from. */
  raw: string;
}

export interface MapOptions {
  store: Store;
  appId: string;
  lang: string | null;
  salt: string;
  now: number;
}

export type Mapped = { ok: true; review: Review } | { ok: false; code: string; reason: string };

const SAFE_ID = /^[\w.:@/-]{1,200}$/;

/** `<store>:<store id>`; an id with characters a review_id may not hold is replaced by its hash. */
export function reviewIdFor(store: Store, storeId: string): string {
  if (SAFE_ID.test(storeId)) return `${store}:${storeId}`;
  return `${store}:sha256:${createHash('sha256').update(storeId).digest('hex').slice(0, 32)}`;
}

/**
 * A salted hash of the author's name (HMAC-SHA256, 32 hex characters): the same author gets the
 * same hash under one salt, and the name itself is never stored. A name made of hex digits could
 * by chance appear inside its own hash; then the hash is taken again until it does not.
 */
export function authorHash(name: string | null, salt: string): string | null {
  if (name === null || name.trim() === '') return null;
  const lower = name.toLowerCase();
  for (let round = 0; ; round++) {
    const h = createHmac('sha256', salt)
      .update(round === 0 ? name : `${name}\u0000${round}`)
      .digest('hex')
      .slice(0, 32);
    if (!h.includes(lower)) return h;
  }
}

/** The review text: an App Store title carries sentiment too, so it leads the body on its own line. */
function reviewText(r: StoreReview): string {
  const title = r.title?.trim() ?? '';
  const body = r.text?.trim() ?? '';
  return title && body ? `${title}\n${body}` : title || body;
}

export function toReview(r: StoreReview, o: MapOptions): Mapped {
  if (!r.id) return { ok: false, code: 'SCRAPE_RECORD_INVALID', reason: 'the store gave no review id' };
  if (r.at === null || !Number.isFinite(r.at))
    return { ok: false, code: 'SCRAPE_RECORD_INVALID', reason: `review ${r.id} has no parseable date` };
  const rating = r.rating === null || r.rating === 0 ? null : r.rating;
  const review: Review = {
    review_id: reviewIdFor(o.store, r.id),
    app_id: o.appId,
    source: o.store,
    text: reviewText(r),
    rating,
    lang: o.lang,
    author_hash: authorHash(r.author, o.salt),
    created_at: r.at,
    ingested_at: o.now,
    app_version: boundAppVersion(r.version),
  };
  const v = validateReview(review, o.now);
  return v.ok ? { ok: true, review } : { ok: false, code: v.code, reason: `review ${r.id}: ${v.reason}` };
}

// ---- cursor ----------------------------------------------------------------------------------

/** Ids kept at one exact time: reviews sharing a millisecond are few; the cap bounds a hostile page. */
const MARK_IDS = 1000;

export const cursorKey = (store: Store, appId: string): string => `${store}/${appId}`;

export function emptyCursor(store: Store, appId: string, now: number): ScrapeCursor {
  return { store, app_id: appId, newest: null, run: null, updated_at: now };
}

/** The cursor with a run in progress: the one it holds (a restart resumes it) or a fresh one. */
export function withRun(c: ScrapeCursor, now: number): ScrapeCursor {
  if (c.run) return c;
  return { ...c, run: { started_at: now, top: null, low: null, next_page: null, pages: 0, produced: 0 } };
}

const holds = (m: ScrapeMark | null | undefined, at: number, id: string): boolean =>
  !!m && m.at === at && m.ids.includes(id);

export type Verdict = 'new' | 'duplicate' | 'old';

/** What one review is to this run: new, already produced (by this run or the last), or older than the bound. */
export function classify(c: ScrapeCursor, at: number, id: string, since: number | null): Verdict {
  const low = c.run?.low;
  if (low && (at > low.at || holds(low, at, id))) return 'duplicate';
  if (holds(c.newest, at, id)) return 'duplicate';
  if (c.newest && at < c.newest.at) return 'old';
  if (since !== null && at < since) return 'old';
  return 'new';
}

/** The newer of a mark and a review (the same time adds the id). */
export function raised(m: ScrapeMark | null | undefined, at: number, id: string): ScrapeMark {
  if (!m || at > m.at) return { at, ids: [id] };
  if (at === m.at && !m.ids.includes(id) && m.ids.length < MARK_IDS) return { at, ids: [...m.ids, id] };
  return m;
}

/** The older of a mark and a review (the same time adds the id). */
export function lowered(m: ScrapeMark | null | undefined, at: number, id: string): ScrapeMark {
  if (!m || at < m.at) return { at, ids: [id] };
  if (at === m.at && !m.ids.includes(id) && m.ids.length < MARK_IDS) return { at, ids: [...m.ids, id] };
  return m;
}

const dated = (r: StoreReview): r is StoreReview & { id: string; at: number } =>
  !!r.id && r.at !== null && Number.isFinite(r.at);

/**
 * Each review's verdict. One without an id or date cannot be placed by itself; the page is sorted
 * by date, so it takes its dated neighbour's verdict (the one before it, else the one after): a bad
 * record is dead-lettered by the run that first reaches it, not again by every later run.
 */
export function pageVerdicts(c: ScrapeCursor, reviews: StoreReview[], since: number | null): Verdict[] {
  const own = reviews.map((r) => (dated(r) ? classify(c, r.at, r.id, since) : null));
  return own.map((v, i) => {
    if (v) return v;
    for (let j = i - 1; j >= 0; j--) if (own[j]) return own[j]!;
    for (let j = i + 1; j < own.length; j++) if (own[j]) return own[j]!;
    return 'new';
  });
}

export interface PageStep {
  produce: Review[];
  dead: { code: string; reason: string; record: StoreReview }[];
  duplicates: number;
  /** The run is complete: it reached the last run's newest review, the --since bound, or the last page. */
  done: boolean;
  cursor: ScrapeCursor;
}

/** One fetched page applied to a cursor that holds a run: what to produce, what to dead-letter, the next cursor. */
export function applyPage(c: ScrapeCursor, page: StorePage, since: number | null, o: MapOptions): PageStep {
  const run = c.run!;
  const step: PageStep = { produce: [], dead: [], duplicates: 0, done: page.next === null, cursor: c };
  let { top, low } = run;
  const verdicts = pageVerdicts(c, page.reviews, since);
  for (const [i, r] of page.reviews.entries()) {
    const verdict = verdicts[i]!;
    if (verdict === 'old') {
      step.done = true; // newest first: everything after this is older still
      continue;
    }
    if (verdict === 'duplicate') {
      step.duplicates++;
      continue;
    }
    const m = toReview(r, o);
    if (m.ok) step.produce.push(m.review);
    else step.dead.push({ code: m.code, reason: m.reason, record: r });
    if (dated(r)) {
      top = raised(top, r.at, r.id);
      low = lowered(low, r.at, r.id);
    }
  }
  const progressed = {
    ...run,
    top,
    low,
    next_page: page.next,
    pages: run.pages + 1,
    produced: run.produced + step.produce.length,
  };
  step.cursor = step.done
    ? { ...c, newest: top ?? c.newest, run: null, updated_at: o.now }
    : { ...c, run: progressed, updated_at: o.now };
  return step;
}
