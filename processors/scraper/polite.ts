// Politeness around any store client: a request rate shared by every app of one scraper (p-throttle)
// and retries with exponential backoff and jitter on throttling, server and network errors (p-retry),
// honouring Retry-After when the store sends one. An unknown app, a refused request or a page that
// cannot be parsed is not retried: retrying cannot fix it.
import pRetry from 'p-retry';
import pThrottle from 'p-throttle';
import { ScrapeError } from '../../platform/errors.js';
import type { StorePage } from './handler.js';
import type { StoreClient, StoreQuery } from './store-client.js';

export interface PoliteOptions {
  /** Requests per second, all apps of this scraper together. */
  ratePerSecond: number;
  retries: number;
  backoffMs: number;
  backoffMaxMs: number;
  /** Each failed attempt that will be retried, with its kind (throttled, server, network). */
  onRetry?: (err: ScrapeError, attempt: number) => void;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function retryKind(err: unknown): string {
  if (!(err instanceof ScrapeError)) return 'other';
  const kind = err.details?.kind;
  if (typeof kind === 'string') return kind;
  return err.code === 'STORE_APP_NOT_FOUND' ? 'not_found' : err.code === 'STORE_LAYOUT_CHANGED' ? 'layout' : 'other';
}

export function polite(client: StoreClient, o: PoliteOptions): StoreClient {
  // One request per 1/rate seconds, strictly spaced, so a burst never leaves the scraper.
  const throttle = pThrottle({ limit: 1, interval: Math.max(1, Math.round(1000 / o.ratePerSecond)), strict: true });
  const fetchPage = throttle((q: StoreQuery, next: string | null) => client.fetchPage(q, next));
  const checkApp = client.checkApp ? throttle((q: StoreQuery) => client.checkApp!(q)) : undefined;
  const retrying = <T>(fn: () => Promise<T>): Promise<T> =>
    pRetry(fn, {
      retries: o.retries,
      minTimeout: o.backoffMs,
      maxTimeout: o.backoffMaxMs,
      factor: 2,
      randomize: true,
      shouldRetry: (err) => err instanceof ScrapeError && err.retriable,
      onFailedAttempt: async (err) => {
        if (!(err instanceof ScrapeError) || !err.retriable || err.retriesLeft === 0) return;
        o.onRetry?.(err, err.attemptNumber);
        // p-retry's own backoff follows; a Retry-After longer than that is waited out first.
        const after = err.details?.retryAfterMs;
        if (typeof after === 'number' && after > 0) await sleep(Math.min(after, o.backoffMaxMs));
      },
    });
  return {
    store: client.store,
    fetchPage: (q, next): Promise<StorePage> => retrying(() => fetchPage(q, next)),
    checkApp: checkApp ? (q): Promise<void> => retrying(() => checkApp(q)) : undefined,
  };
}
