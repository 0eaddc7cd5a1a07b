// What a review id already means: the same id with a later created_at is an edit (stored and
// re-scored; the stores keep the latest), the same id and time with the same text is a redelivery,
// the same id and time with another text is a conflict, and an older version arriving after a
// newer one is superseded (storing it would overwrite the edit). Pure, except for the lookup the
// caller passes in.
import * as crypto from 'node:crypto';
import { createHash } from 'node:crypto';

const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash;
import type { Review } from '../../schemas/types.generated.js';

export interface KnownReview {
  createdAt: number;
  /** sha256 hex of the text; '' when the store does not know it (rows older than the column). */
  textHash: string;
}

/** Looks up what the processor's own store holds for these ids. */
export type KnownReviews = (ids: string[]) => Promise<Map<string, KnownReview>>;

export type Identity = 'new' | 'repeat' | 'edit' | 'superseded' | 'conflict';

export function textHash(text: string): string {
  // crypto.hash (Node >= 20.12) is the one-shot form: same digest, no Hash object per review.
  return oneShot ? oneShot('sha256', text, 'hex') : createHash('sha256').update(text, 'utf8').digest('hex');
}

export function classify(r: Review, hash: string, known: KnownReview | undefined): Identity {
  if (!known) return 'new';
  if (r.created_at > known.createdAt) return 'edit';
  if (r.created_at < known.createdAt) return 'superseded';
  return known.textHash === '' || known.textHash === hash ? 'repeat' : 'conflict';
}

/** The lookup over a table with review_id, created_at and the text's sha256 (a column or an expression). */
export function knownReviewsQuery(table: string, hashExpr: string): string {
  return `SELECT review_id, toUnixTimestamp64Milli(created_at) AS created_at, ${hashExpr} AS text_hash
    FROM ${table} FINAL WHERE review_id IN {ids:Array(String)}`;
}

export function toKnown(
  rows: { review_id: string; created_at: string | number; text_hash: string }[],
): Map<string, KnownReview> {
  return new Map(rows.map((r) => [r.review_id, { createdAt: Number(r.created_at), textHash: r.text_hash }]));
}
