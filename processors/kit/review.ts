// Validation of incoming Review records, shared by every processor that consumes the reviews topic.
// Pure: returns a verdict, never throws, so a bad record becomes a dead letter and never a crash.
import type { Review } from '../../schemas/types.generated.js';

export const REJECT_CODES = [
  'NOT_AVRO',
  'UNKNOWN_SCHEMA',
  'WRONG_SCHEMA',
  'DECODE_FAILED',
  'MISSING_FIELD',
  'EMPTY_TEXT',
  'TEXT_TOO_LARGE',
  'CONTROL_CHARACTERS',
  'INVALID_UNICODE',
  'BAD_RATING',
  'BAD_TIMESTAMP',
  'BAD_ID',
  'DUPLICATE_REVIEW',
  'REVIEW_ID_CONFLICT',
  'REVIEW_SUPERSEDED',
] as const;
export type RejectCode = (typeof REJECT_CODES)[number];

export type Verdict = { ok: true; review: Review } | { ok: false; code: RejectCode; reason: string };

export interface ValidationLimits {
  maxTextBytes: number;
  /** Reviews dated further in the future than this are rejected (clock skew allowance). */
  maxFutureMs: number;
  /** Earliest plausible review time. */
  minCreatedAt: number;
}

export const DEFAULT_LIMITS: ValidationLimits = {
  maxTextBytes: 32 * 1024,
  maxFutureMs: 24 * 60 * 60 * 1000,
  minCreatedAt: Date.UTC(2008, 0, 1), // before app stores existed
};

// C0 controls other than tab, newline and carriage return, plus DEL and C1 controls.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const ID = /^[\w.:@/-]{1,256}$/;

export function validateReview(value: unknown, now = Date.now(), limits: ValidationLimits = DEFAULT_LIMITS): Verdict {
  if (!value || typeof value !== 'object')
    return { ok: false, code: 'MISSING_FIELD', reason: 'record is not an object' };
  const r = value as Partial<Review>;
  for (const f of ['review_id', 'app_id', 'source', 'text', 'created_at', 'ingested_at'] as const) {
    if (r[f] === undefined || r[f] === null)
      return { ok: false, code: 'MISSING_FIELD', reason: `field ${f} is missing` };
  }
  if (!ID.test(String(r.review_id)))
    return { ok: false, code: 'BAD_ID', reason: 'review_id must be 1-256 chars of [A-Za-z0-9_.:@/-]' };
  if (!ID.test(String(r.app_id)))
    return { ok: false, code: 'BAD_ID', reason: 'app_id must be 1-256 chars of [A-Za-z0-9_.:@/-]' };
  const text = String(r.text);
  if (text.trim() === '') return { ok: false, code: 'EMPTY_TEXT', reason: 'text is empty or whitespace only' };
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > limits.maxTextBytes)
    return { ok: false, code: 'TEXT_TOO_LARGE', reason: `text is ${bytes} bytes; limit ${limits.maxTextBytes}` };
  if (CONTROL.test(text)) return { ok: false, code: 'CONTROL_CHARACTERS', reason: 'text contains control characters' };
  if (LONE_SURROGATE.test(text) || text.includes('\uFFFD'))
    return { ok: false, code: 'INVALID_UNICODE', reason: 'text contains invalid UTF-16/UTF-8' };
  if (r.rating !== undefined && r.rating !== null && !(Number.isInteger(r.rating) && r.rating >= 1 && r.rating <= 5)) {
    return { ok: false, code: 'BAD_RATING', reason: `rating must be 1-5, got ${r.rating}` };
  }
  for (const f of ['created_at', 'ingested_at'] as const) {
    const t = Number(r[f]);
    if (!Number.isFinite(t) || t < limits.minCreatedAt || t > now + limits.maxFutureMs) {
      return {
        ok: false,
        code: 'BAD_TIMESTAMP',
        reason: `${f} ${r[f]} is outside [2008-01-01, now + ${limits.maxFutureMs / 3600000} h]`,
      };
    }
  }
  return { ok: true, review: r as Review };
}
