// What a store client is to the scraper: one page per call, newest first, and errors that say what
// went wrong (unknown app, a wait worth retrying, or a page that cannot be parsed).
import { ScrapeError } from '../../platform/errors.js';
import type { Store, StorePage } from './handler.js';

export interface StoreQuery {
  appId: string;
  lang: string;
  country: string;
}

export interface StoreClient {
  store: Store;
  /** The page after `next` (null: the newest page). */
  fetchPage(query: StoreQuery, next: string | null): Promise<StorePage>;
  /** Throws STORE_APP_NOT_FOUND when the store has no such app (stores that can tell without a review page). */
  checkApp?(query: StoreQuery): Promise<void>;
}

/** Seconds or an HTTP date, in ms from now; undefined when absent or unreadable. */
export function retryAfterMs(header: string | undefined, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const s = Number(header);
  if (Number.isFinite(s)) return Math.max(0, s * 1000);
  const at = Date.parse(header);
  return Number.isFinite(at) ? Math.max(0, at - now) : undefined;
}

/** An HTTP status (or none: a network error) as a scrape error; 429, 5xx and network errors are retriable. */
export function httpFailure(
  store: Store,
  appId: string,
  status: number | undefined,
  retryAfter: string | undefined,
  message: string,
): ScrapeError {
  if (status === 404) {
    return new ScrapeError('STORE_APP_NOT_FOUND', `${store}: no app with id "${appId}" (HTTP 404)`, {
      details: { store, status },
    });
  }
  const kind = status === undefined ? 'network' : status === 429 ? 'throttled' : status >= 500 ? 'server' : 'refused';
  const code = kind === 'refused' ? 'STORE_REQUEST_REFUSED' : 'STORE_UNAVAILABLE';
  return new ScrapeError(code, `${store} ${appId}: ${kind}${status ? ` (HTTP ${status})` : ''}: ${message}`, {
    details: { store, status, kind, retryAfterMs: retryAfterMs(retryAfter) },
  });
}
