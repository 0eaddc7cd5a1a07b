// The App Store's public customer-reviews feed, read with Node's own fetch (undici), not with
// app-store-scraper: that library depends on the deprecated `request` package, and the feed is one
// JSON document per page that needs no more than fetch and a mapper. The feed gives at most 10
// pages of 50 reviews, newest first, and no continuation token: the page number is the cursor.
// The lookup API tells an unknown app id apart from an app without reviews (both give an empty feed).
import { ScrapeError } from '../../platform/errors.js';
import type { StorePage, StoreReview } from './handler.js';
import { httpFailure, type StoreClient, type StoreQuery } from './store-client.js';

const APP_STORE = 'https://itunes.apple.com';
export const APP_STORE_MAX_PAGES = 10;

type Label = { label?: unknown } | undefined;
const label = (v: Label): string | null => (v && typeof v.label === 'string' ? v.label : null);

export function fromAppStore(e: Record<string, unknown>): StoreReview {
  const author = e.author as { name?: Label } | undefined;
  const updated = label(e.updated as Label);
  const at = updated === null ? NaN : Date.parse(updated);
  const rating = Number(label(e['im:rating'] as Label));
  return {
    id: label(e.id as Label),
    at: Number.isFinite(at) ? at : null,
    rating: Number.isInteger(rating) ? rating : null,
    title: label(e.title as Label),
    text: label(e.content as Label),
    author: label(author?.name),
    version: label(e['im:version'] as Label),
    raw: e,
  };
}

async function get(url: string, timeoutMs: number, query: StoreQuery): Promise<{ body: string }> {
  let res: Response;
  try {
    res = await fetch(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    throw httpFailure('app_store', query.appId, undefined, undefined, (err as Error).message);
  }
  const body = await res.text();
  if (!res.ok)
    throw httpFailure(
      'app_store',
      query.appId,
      res.status,
      res.headers.get('retry-after') ?? undefined,
      body.slice(0, 200),
    );
  return { body };
}

function layout(query: StoreQuery, why: string, raw: string): ScrapeError {
  return new ScrapeError('STORE_LAYOUT_CHANGED', `app_store ${query.appId}: cannot parse the feed (${why})`, {
    details: { raw },
  });
}

/** The entries of a feed page: one entry comes as an object, none as no `entry` at all. */
function entries(body: string, query: StoreQuery): Record<string, unknown>[] {
  let doc: { feed?: { entry?: unknown } };
  try {
    doc = JSON.parse(body) as { feed?: { entry?: unknown } };
  } catch (err) {
    throw layout(query, (err as Error).message, body);
  }
  if (!doc || typeof doc.feed !== 'object' || doc.feed === null) throw layout(query, 'no "feed" object', body);
  const e = doc.feed.entry;
  if (e === undefined) return [];
  const list = Array.isArray(e) ? e : [e];
  if (!list.every((x) => x && typeof x === 'object')) throw layout(query, '"entry" holds a non-object', body);
  return list as Record<string, unknown>[];
}

export function appStoreClient(o: { baseUrl?: string; timeoutMs: number }): StoreClient {
  const base = (o.baseUrl ?? APP_STORE).replace(/\/$/, '');
  const country = (q: StoreQuery): string => encodeURIComponent(q.country.toLowerCase());
  return {
    store: 'app_store',
    async checkApp(query: StoreQuery): Promise<void> {
      const url = `${base}/lookup?id=${encodeURIComponent(query.appId)}&country=${country(query)}`;
      const { body } = await get(url, o.timeoutMs, query);
      let found: number;
      try {
        found = Number((JSON.parse(body) as { resultCount?: unknown }).resultCount);
      } catch (err) {
        throw layout(query, `lookup: ${(err as Error).message}`, body);
      }
      if (!(found > 0))
        throw new ScrapeError('STORE_APP_NOT_FOUND', `app_store: no app with id "${query.appId}" in ${query.country}`);
    },
    async fetchPage(query: StoreQuery, next: string | null): Promise<StorePage> {
      const page = next === null ? 1 : Number(next);
      const id = encodeURIComponent(query.appId);
      const url = `${base}/${country(query)}/rss/customerreviews/page=${page}/id=${id}/sortby=mostrecent/json`;
      const { body } = await get(url, o.timeoutMs, query);
      // The first entry of some feed versions is the app itself (it has a name and no rating).
      const reviews = entries(body, query)
        .filter((e) => !('im:name' in e))
        .map(fromAppStore);
      const more = reviews.length > 0 && page < APP_STORE_MAX_PAGES;
      return { reviews, next: more ? String(page + 1) : null, raw: body };
    },
  };
}
