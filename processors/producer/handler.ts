// Turns labelled file rows into Review records with stable keys: the same file row always gets the
// same review_id, so re-running the producer re-sends the same reviews (and ClickHouse keeps one).
import { createHash } from 'node:crypto';
import type { Review } from '../../schemas/types.generated.js';
import { boundAppVersion } from '../kit/app-version.js';
import type { LabelledRow } from '../../platform/datasets.js';
import { validateReview } from '../kit/review.js';

export interface ToReviewOptions {
  appId: string;
  source: string;
  /** Event time of the first row; later rows are spaced by spacingMs (the data sets have no timestamps). */
  startMs: number;
  spacingMs: number;
  now: number;
  /** The version for rows that carry none or an empty one (`--app-version`); a row's own `app_version` wins. */
  appVersion?: string | null;
}

export function stableReviewId(source: string, appId: string, row: LabelledRow): string {
  const h = createHash('sha256')
    .update(`${source}\u0000${appId}\u0000${row.index}\u0000${row.text}`)
    .digest('hex')
    .slice(0, 16);
  return `${source}-${row.index}-${h}`;
}

export function rowToReview(row: LabelledRow, o: ToReviewOptions): Review {
  const extra = row.extra ?? {};
  const created = typeof extra.created_at === 'number' ? extra.created_at : o.startMs + row.index * o.spacingMs;
  return {
    review_id: typeof extra.review_id === 'string' ? extra.review_id : stableReviewId(o.source, o.appId, row),
    app_id: typeof extra.app_id === 'string' ? extra.app_id : o.appId,
    source: o.source,
    text: row.text,
    rating: row.rating,
    lang: typeof extra.lang === 'string' ? extra.lang : 'id',
    author_hash: null,
    created_at: created,
    ingested_at: o.now,
    // Bounded like every writer does (processors/kit/app-version.ts): a 1 MB version is cut, not sent.
    app_version: boundAppVersion(extra.app_version) ?? boundAppVersion(o.appVersion),
  };
}

/**
 * Every problem of the file's rows before anything is sent: a bad row (a rating of 4.5, a date out
 * of range) fails the whole run up front with its row number, never a chunk after earlier ones went.
 */
export function rowProblems(rows: readonly LabelledRow[], reviews: readonly Review[], now: number): string[] {
  const problems: string[] = [];
  reviews.forEach((r, i) => {
    const v = validateReview(r, now);
    // Row numbers count from 1, as an editor shows the file's data rows.
    if (!v.ok) problems.push(`row ${rows[i]!.index + 1}: ${v.code}: ${v.reason}`);
  });
  return problems;
}
