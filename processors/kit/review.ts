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

// The checks below are loops over char codes, not regular expressions: they run on every review of
// every reviews-topic processor, and one pass over the text answers all of its character checks.

/** [A-Za-z0-9_.:@/-], 1-256 characters (what the former /^[\w.:@/-]{1,256}$/ allowed). */
function isId(s: string): boolean {
  if (s.length < 1 || s.length > 256) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ok =
      (c >= 0x61 && c <= 0x7a) || // a-z
      (c >= 0x40 && c <= 0x5a) || // @, A-Z
      (c >= 0x2d && c <= 0x3a) || // - . / 0-9 :
      c === 0x5f; // _
    if (!ok) return false;
  }
  return true;
}

/**
 * C0 controls other than tab, newline and carriage return, DEL and C1 controls ('control'); else a
 * lone surrogate or U+FFFD, the trace of broken UTF-8 ('unicode'); else null. Controls win, as
 * they did when two regular expressions ran in that order.
 */
function badCharacters(text: string): 'control' | 'unicode' | null {
  let unicode = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20) {
      if (c !== 0x09 && c !== 0x0a && c !== 0x0d) return 'control';
    } else if (c >= 0x7f && c <= 0x9f) return 'control';
    else if (c >= 0xd800 && c <= 0xdbff) {
      const next = i + 1 < text.length ? text.charCodeAt(i + 1) : 0;
      if (next >= 0xdc00 && next <= 0xdfff) i++;
      else unicode = true;
    } else if ((c >= 0xdc00 && c <= 0xdfff) || c === 0xfffd) unicode = true;
  }
  return unicode ? 'unicode' : null;
}

export function validateReview(value: unknown, now = Date.now(), limits: ValidationLimits = DEFAULT_LIMITS): Verdict {
  if (!value || typeof value !== 'object')
    return { ok: false, code: 'MISSING_FIELD', reason: 'record is not an object' };
  const r = value as Partial<Review>;
  for (const f of ['review_id', 'app_id', 'source', 'text', 'created_at', 'ingested_at'] as const) {
    if (r[f] === undefined || r[f] === null)
      return { ok: false, code: 'MISSING_FIELD', reason: `field ${f} is missing` };
  }
  if (!isId(String(r.review_id)))
    return { ok: false, code: 'BAD_ID', reason: 'review_id must be 1-256 chars of [A-Za-z0-9_.:@/-]' };
  if (!isId(String(r.app_id)))
    return { ok: false, code: 'BAD_ID', reason: 'app_id must be 1-256 chars of [A-Za-z0-9_.:@/-]' };
  const text = String(r.text);
  if (text.trim() === '') return { ok: false, code: 'EMPTY_TEXT', reason: 'text is empty or whitespace only' };
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > limits.maxTextBytes)
    return { ok: false, code: 'TEXT_TOO_LARGE', reason: `text is ${bytes} bytes; limit ${limits.maxTextBytes}` };
  const bad = badCharacters(text);
  if (bad === 'control') return { ok: false, code: 'CONTROL_CHARACTERS', reason: 'text contains control characters' };
  if (bad === 'unicode') return { ok: false, code: 'INVALID_UNICODE', reason: 'text contains invalid UTF-16/UTF-8' };
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
