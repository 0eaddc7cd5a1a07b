// Google Play through the google-play-scraper library (maintained, MIT): one call per page, newest
// first, with the library's own continuation token. What the library does not give is added from
// the outside, through the options it exposes (`requestOptions`, handed to got):
// - got's own retries are off: retries, backoff and the rate live in polite.ts, for both stores;
// - an afterResponse hook keeps the status, Retry-After and body of every response, so an error can
//   be classified and a page the library cannot parse can be dead-lettered whole;
// - a beforeRequest hook sends requests to another origin when one is configured (the tests' local
//   store, or a proxy).
import gplay from 'google-play-scraper';
import { ScrapeError } from '../../platform/errors.js';
import type { StorePage, StoreReview } from './handler.js';
import { httpFailure, type StoreClient, type StoreQuery } from './store-client.js';

const GOOGLE_PLAY = 'https://play.google.com';
/** The batchexecute endpoint answers up to 150 reviews per page whatever `num` says; asking fewer drops the rest. */
const PAGE_SIZE = 150;

interface Seen {
  status?: number;
  retryAfter?: string;
  body?: string;
}

interface GotResponse {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

function requestOptions(baseUrl: string, timeoutMs: number, seen: Seen): Record<string, unknown> {
  const redirect = (options: { url: URL }): void => {
    const base = new URL(baseUrl);
    const url = new URL(options.url.toString());
    url.protocol = base.protocol;
    url.host = base.host;
    url.pathname = base.pathname.replace(/\/$/, '') + url.pathname;
    options.url = url;
  };
  const keep = (response: GotResponse): GotResponse => {
    seen.status = response.statusCode;
    const ra = response.headers['retry-after'];
    seen.retryAfter = Array.isArray(ra) ? ra[0] : ra;
    seen.body = typeof response.body === 'string' ? response.body : String(response.body);
    return response;
  };
  return {
    retry: { limit: 0 },
    timeout: { request: timeoutMs },
    hooks: { beforeRequest: baseUrl === GOOGLE_PLAY ? [] : [redirect], afterResponse: [keep] },
  };
}

export function fromGooglePlay(r: Record<string, unknown>): StoreReview {
  const at = typeof r.date === 'string' ? Date.parse(r.date) : NaN;
  const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
  return {
    id: str(r.id),
    at: Number.isFinite(at) ? at : null,
    rating: typeof r.score === 'number' ? r.score : null,
    title: null,
    text: str(r.text),
    author: str(r.userName),
    version: str(r.version),
    raw: r,
  };
}

/** A failure of the library: an HTTP or network error (it says "Error requesting"), or a page it could not parse. */
function classify(err: unknown, seen: Seen, query: StoreQuery): ScrapeError {
  const e = err as { status?: unknown; message?: unknown };
  const message = typeof e.message === 'string' ? e.message : String(err);
  const status = typeof e.status === 'number' ? e.status : undefined;
  if (status !== undefined || /^(Error requesting Google Play|App not found)/.test(message)) {
    return httpFailure('google_play', query.appId, status, seen.retryAfter, message);
  }
  return new ScrapeError('STORE_LAYOUT_CHANGED', `google_play ${query.appId}: cannot parse the page (${message})`, {
    cause: err,
    details: { raw: seen.body ?? '' },
  });
}

export function googlePlayClient(o: { baseUrl?: string; timeoutMs: number }): StoreClient {
  const baseUrl = o.baseUrl ?? GOOGLE_PLAY;
  return {
    store: 'google_play',
    async fetchPage(query: StoreQuery, next: string | null): Promise<StorePage> {
      const seen: Seen = {};
      let result: { data: unknown[]; nextPaginationToken?: string | null };
      try {
        result = await gplay.reviews({
          appId: query.appId,
          lang: query.lang,
          country: query.country,
          // The typings declare `sort` as the enum's instance type; the value is the enum object.
          sort: (gplay.sort as unknown as { NEWEST: number }).NEWEST,
          num: PAGE_SIZE,
          paginate: true,
          nextPaginationToken: next ?? undefined,
          requestOptions: requestOptions(baseUrl, o.timeoutMs, seen),
        } as Parameters<typeof gplay.reviews>[0]);
      } catch (err) {
        throw classify(err, seen, query);
      }
      const reviews = result.data.map((r) => fromGooglePlay(r as Record<string, unknown>));
      return { reviews, next: result.nextPaginationToken ?? null, raw: seen.body ?? '' };
    },
  };
}
