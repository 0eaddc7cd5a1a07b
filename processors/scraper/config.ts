import { z } from '../../platform/config.js';
import { DURATION } from '../../platform/time.js';
import { STORES, type AppRef, type Store } from './handler.js';
import type { ScraperConfig } from './scrape.js';

export function parseStore(s: string): Store | null {
  const norm = s.trim().toLowerCase().replace(/-/g, '_');
  return (STORES as readonly string[]).includes(norm) ? (norm as Store) : null;
}

export function parseAppList(s: string): AppRef[] {
  return s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean)
    .map((x) => {
      const i = x.indexOf(':');
      const store = i > 0 ? parseStore(x.slice(0, i)) : null;
      if (!store || !x.slice(i + 1)) throw new Error(`"${x}" is not <store>:<app id> (stores: ${STORES.join(', ')})`);
      return { store, appId: x.slice(i + 1) };
    });
}

const appList = z.string().transform((s, ctx) => {
  try {
    return parseAppList(s);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});

/**
 * Development only: production refuses to start without its own salt (a known salt makes hashes
 * reversible by guessing).
 */
export const DEV_AUTHOR_SALT = 'ulasan-development-author-salt';

export const scraperShape = {
  /** Apps the scraper processor keeps fed, e.g. `google_play:com.tokopedia.tkpd,app_store:1001394201`. */
  SCRAPER_APPS: z.string().default('').pipe(appList),
  /** How often the scraper processor runs every app. */
  SCRAPER_EVERY: z.string().regex(DURATION, 'must be a duration like 15m').default('15m'),
  /** Store language asked for; written as each review's `lang`. */
  SCRAPER_LANG: z.string().min(2).default('id'),
  /** Store country asked for. */
  SCRAPER_COUNTRY: z.string().min(2).default('id'),
  /** A first run (no cursor yet) goes back this far; unset: as far as the store's pages go. */
  SCRAPER_FIRST_SINCE: z.string().regex(DURATION, 'must be a duration like 30d').optional(),
  /** Store requests per second, all apps together. */
  SCRAPER_RATE: z.coerce.number().positive().max(50).default(1),
  /** Retries of a throttled (429), failed (5xx) or unreachable store request. */
  SCRAPER_RETRIES: z.coerce.number().int().min(0).max(20).default(6),
  /** First retry delay; doubles each time, with jitter (Retry-After is honoured). */
  SCRAPER_BACKOFF_MS: z.coerce.number().int().min(1).default(2000),
  /** Longest retry delay. */
  SCRAPER_BACKOFF_MAX_MS: z.coerce.number().int().min(1).default(120_000),
  /** Per-request timeout. */
  SCRAPER_TIMEOUT_MS: z.coerce.number().int().min(100).default(30_000),
  /** Pages per app per run; a longer backlog continues on the next run from the cursor. */
  SCRAPER_MAX_PAGES: z.coerce.number().int().positive().default(200),
  /** Salt of `author_hash` (HMAC-SHA256 of the author name); production refuses the development default. */
  SCRAPER_AUTHOR_SALT: z.string().min(16, 'must be at least 16 characters').default(DEV_AUTHOR_SALT),
  /** Store origins: only for a proxy, or a local replay of the stores in tests. */
  SCRAPER_GOOGLE_PLAY_URL: z.string().url().default('https://play.google.com'),
  /** App Store origin (feed and lookup API). */
  SCRAPER_APP_STORE_URL: z.string().url().default('https://itunes.apple.com'),
};

export const SCRAPER_REQUIRED_IN_PRODUCTION = ['SCRAPER_AUTHOR_SALT'] as const;

type ScraperEnv = z.infer<z.ZodObject<typeof scraperShape>>;

/** The engine's settings from the parsed variables. */
export function scraperSettings(cfg: ScraperEnv, transactionalIdPrefix: string): ScraperConfig {
  return {
    salt: cfg.SCRAPER_AUTHOR_SALT,
    lang: cfg.SCRAPER_LANG,
    country: cfg.SCRAPER_COUNTRY,
    maxPages: cfg.SCRAPER_MAX_PAGES,
    transactionalIdPrefix,
    rate: cfg.SCRAPER_RATE,
    retries: cfg.SCRAPER_RETRIES,
    backoffMs: cfg.SCRAPER_BACKOFF_MS,
    backoffMaxMs: cfg.SCRAPER_BACKOFF_MAX_MS,
    timeoutMs: cfg.SCRAPER_TIMEOUT_MS,
    googlePlayUrl: cfg.SCRAPER_GOOGLE_PLAY_URL,
    appStoreUrl: cfg.SCRAPER_APP_STORE_URL,
  };
}
