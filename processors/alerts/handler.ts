// Pure parts of the alerts processor: a ScoredReview as a bounded observation (hostile sizes
// never reach the state, the stored rows or a message), and an alert change as its Avro record and
// its ClickHouse row.
import { createHash } from 'node:crypto';
import type { Alert, ScoredReview } from '../../schemas/types.generated.js';
import { toDateTime64 } from '../../platform/time.js';
import type { Observation } from './buckets.js';
import type { AlertDraft } from './detector.js';

/** Longest version string kept; longer ones keep a prefix and a hash (still one version each). */
export const MAX_VERSION_CHARS = 64;
export const MAX_APP_CHARS = 256;
/** At most this many topics per review count (the taxonomy has 13; a hostile record may carry 10,000). */
export const MAX_TOPICS_PER_REVIEW = 16;
const TOPIC_ID = /^[a-z][a-z0-9_]{0,39}$/;

const short = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, 12);

/** A printable, bounded version string; null stays null. */
export function boundedVersion(v: string | null | undefined): string | null {
  if (v === null || v === undefined) return null;
  // eslint-disable-next-line no-control-regex
  const clean = v.replace(/[\u0000-\u001f\u007f]/g, '').trim();
  if (clean === '') return null;
  if (clean.length <= MAX_VERSION_CHARS) return clean;
  return `${clean.slice(0, MAX_VERSION_CHARS - 14)}…#${short(clean)}`;
}

export function boundedApp(a: string): string {
  return a.length <= MAX_APP_CHARS ? a : `${a.slice(0, MAX_APP_CHARS - 14)}…#${short(a)}`;
}

/** Taxonomy-shaped topic ids only, deduplicated, at most MAX_TOPICS_PER_REVIEW. */
export function boundedTopics(topics: readonly string[] | undefined): string[] {
  const out: string[] = [];
  for (const t of topics ?? []) {
    if (out.length >= MAX_TOPICS_PER_REVIEW) break;
    if (TOPIC_ID.test(t) && !out.includes(t)) out.push(t);
  }
  return out;
}

/** What the detector counts of a scored review; null for shadow predictions (a Staging model's). */
export function observation(s: ScoredReview): Observation | null {
  if (s.shadow) return null;
  return {
    reviewId: s.review_id,
    appId: boundedApp(s.app_id),
    createdAt: s.created_at,
    negative: s.label === 'negative',
    version: boundedVersion(s.app_version),
    topics: boundedTopics(s.topics),
  };
}

export function alertRecord(d: AlertDraft, reason: string): Alert {
  return {
    alert_id: d.alertId,
    app_id: d.appId,
    kind: d.kind,
    app_version: d.version,
    window_start: d.windowStart,
    window_end: d.windowEnd,
    topics: d.topics,
    status: d.status,
    reason,
    baseline_share: d.baselineShare,
    current_share: d.currentShare,
    reviews: d.reviews,
    statistic: d.statistic,
    opened_at: d.openedAt,
    updated_at: d.updatedAt,
  };
}

/** The `alerts` row: event-time timestamps only, so a replay writes the very same row. */
export function alertRow(a: Alert): Record<string, unknown> {
  return {
    ...a,
    window_start: toDateTime64(a.window_start),
    window_end: toDateTime64(a.window_end),
    opened_at: toDateTime64(a.opened_at),
    updated_at: toDateTime64(a.updated_at),
  };
}
