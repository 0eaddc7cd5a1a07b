// Alerts processor configuration, parsed once at start-up (a bad value names its variable).
import { parseConfig, z } from '../../platform/config.js';
import { ConfigError } from '../../platform/errors.js';
import { DURATION, parseDuration } from '../../platform/time.js';
import type { DetectorConfig } from './detector.js';
import type { Thresholds } from './stats.js';

const duration = (example: string) =>
  z.string().refine((s) => DURATION.test(s.trim()), `must be a duration like ${example}`);
const share = z.coerce.number().gt(0).lt(1);
const count = z.coerce.number().int().min(1);
const optionalUrl = z.string().url('must be a URL (https://host/path)').optional();

export const alertsShape = {
  /** Consumer group of the alerts processor (it commits nothing: state is the retained scored topic). */
  ALERTS_GROUP: z.string().min(1).default('ulasan-alerts'),
  /** Event-time bucket: every app is judged each time a bucket closes. */
  ALERTS_BUCKET: duration('6h').default('6h'),
  /** The current window, a whole number of buckets, ending at the bucket that closed. */
  ALERTS_WINDOW: duration('1d').default('1d'),
  /** The trailing baseline before the current window, a whole number of buckets. */
  ALERTS_BASELINE: duration('7d').default('7d'),
  /** How far (event time) a review may trail the slowest partition's newest and still be counted. */
  ALERTS_LATENESS: duration('1h').default('1h'),
  /** A partition quiet this long (wall clock) stops holding the watermark back. */
  ALERTS_IDLE_MS: z.coerce.number().int().positive().default(30_000),
  /** One-sided significance of each beta-binomial test. */
  ALERTS_ALPHA: share.default(0.001),
  /** Negative share: the current window must exceed the baseline by at least this (absolute). */
  ALERTS_MIN_EFFECT: share.default(0.15),
  /** Topic share (complaint_surge) and version shares: the minimum rise (absolute). */
  ALERTS_TOPIC_MIN_EFFECT: share.default(0.1),
  /** Fewer reviews than this in the current window (or of a new version): no verdict. */
  ALERTS_MIN_REVIEWS: count.default(30),
  /** Fewer matching reviews (negative, about the topic, crashing) than this: no verdict. */
  ALERTS_MIN_COUNT: count.default(8),
  /** Fewer baseline reviews (or of the previous version) than this: no verdict. */
  ALERTS_MIN_BASELINE: count.default(50),
  /** The baseline counts as at most this many reviews (day-to-day variation is wider than binomial). */
  ALERTS_MAX_BASELINE: count.default(400),
  /** Closed buckets in a row without the effect before an open alert resolves. */
  ALERTS_RESOLVE_AFTER: count.default(2),
  /** After an alert resolves, the same app and kind (and version) stay quiet this long (event time). */
  ALERTS_COOLDOWN: duration('1d').default('1d'),
  /** A version is judged against the previous one while its first review is younger than this. */
  ALERTS_VERSION_NEW: duration('14d').default('14d'),
  /** State is kept for at most this many apps (later ones are counted, not judged). */
  ALERTS_MAX_APPS: count.default(5000),
  /** Slack-compatible incoming webhook (`{"text": ...}`); unset: none. */
  ALERTS_SLACK_WEBHOOK_URL: optionalUrl,
  /** Generic webhook, signed with ALERTS_WEBHOOK_SECRET (HMAC-SHA256); unset: none. */
  ALERTS_WEBHOOK_URL: optionalUrl,
  /** Secret of the generic webhook's signature (required with ALERTS_WEBHOOK_URL). */
  ALERTS_WEBHOOK_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  /** Alert changes within this long go out as one message (wall clock). */
  ALERTS_GROUP_WAIT_MS: z.coerce.number().int().min(0).default(30_000),
  /** Alerts still open are sent again, grouped, this often. */
  ALERTS_REPEAT_INTERVAL: duration('4h').default('4h'),
  /** Messages waiting per channel; beyond it the oldest is dropped (counted). */
  ALERTS_OUTBOX_MAX: count.default(200),
  /** A message not delivered within this long is given up (counted). */
  ALERTS_NOTIFY_MAX_AGE: duration('1h').default('1h'),
  /** One delivery attempt is cut off after this long. */
  ALERTS_NOTIFY_TIMEOUT_MS: z.coerce.number().int().positive().default(5000),
  /** First retry delay (doubling, up to 5 minutes). */
  ALERTS_NOTIFY_BACKOFF_MS: z.coerce.number().int().positive().default(1000),
};

export function parseAlertsConfig(env: NodeJS.ProcessEnv) {
  const cfg = parseConfig(alertsShape, env);
  const bucket = parseDuration(cfg.ALERTS_BUCKET);
  const problems: { variable: string; message: string }[] = [];
  for (const name of ['ALERTS_WINDOW', 'ALERTS_BASELINE'] as const) {
    const ms = parseDuration(cfg[name]);
    if (ms < bucket || ms % bucket !== 0)
      problems.push({ variable: name, message: `must be a whole number of ALERTS_BUCKET (${cfg.ALERTS_BUCKET})` });
  }
  if (cfg.ALERTS_WEBHOOK_URL && !cfg.ALERTS_WEBHOOK_SECRET)
    problems.push({ variable: 'ALERTS_WEBHOOK_SECRET', message: 'is required with ALERTS_WEBHOOK_URL' });
  if (problems.length) throw new ConfigError(problems);
  return cfg;
}

export type AlertsConfig = ReturnType<typeof parseAlertsConfig>;

export function detectorConfig(cfg: AlertsConfig): DetectorConfig {
  const bucketMs = parseDuration(cfg.ALERTS_BUCKET);
  const base: Thresholds = {
    alpha: cfg.ALERTS_ALPHA,
    minEffect: cfg.ALERTS_MIN_EFFECT,
    minReviews: cfg.ALERTS_MIN_REVIEWS,
    minCount: cfg.ALERTS_MIN_COUNT,
    minBaseline: cfg.ALERTS_MIN_BASELINE,
    maxBaseline: cfg.ALERTS_MAX_BASELINE,
  };
  return {
    bucketMs,
    windowBuckets: parseDuration(cfg.ALERTS_WINDOW) / bucketMs,
    baselineBuckets: parseDuration(cfg.ALERTS_BASELINE) / bucketMs,
    turn: base,
    topic: { ...base, minEffect: cfg.ALERTS_TOPIC_MIN_EFFECT },
    version: { ...base, minEffect: cfg.ALERTS_TOPIC_MIN_EFFECT },
    resolveAfter: cfg.ALERTS_RESOLVE_AFTER,
    cooldownMs: parseDuration(cfg.ALERTS_COOLDOWN),
    versionNewMs: parseDuration(cfg.ALERTS_VERSION_NEW),
    maxApps: cfg.ALERTS_MAX_APPS,
    maxVersionsPerApp: 32,
  };
}
