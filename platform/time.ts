// Time helpers shared by every processor: ClickHouse timestamps and duration strings.
import { UlasanError } from './errors.js';

/** What ClickHouse DateTime64(3) can hold; outside it an insert fails whole (Code 41/69). */
export const MIN_STORABLE_MS = Date.UTC(1900, 0, 1);
export const MAX_STORABLE_MS = Date.UTC(2299, 11, 31, 23, 59, 59, 999);

export class TimestampError extends UlasanError {
  constructor(ms: number, field?: string) {
    super(
      'TIMESTAMP_OUT_OF_RANGE',
      `${field ?? 'timestamp'} ${ms} is outside 1900-01-01 .. 2299-12-31 (ClickHouse DateTime64)`,
    );
  }
}

// Two-entry memo: a scorer formats each review's created_at twice, interleaved with the batch's one
// scored_at/computed_at time, so the last two values cover nearly every call.
let lastMs = NaN;
let lastText = '';
let prevMs = NaN;
let prevText = '';

/**
 * ClickHouse DateTime64(3) text form, UTC ('2026-01-02 03:04:05.678'), accepted by every version.
 * A value ClickHouse cannot store throws TimestampError (a bad record, never a failed insert).
 */
export function toDateTime64(ms: number, field?: string): string {
  if (ms === lastMs) return lastText;
  if (ms === prevMs) return prevText;
  if (!Number.isFinite(ms) || ms < MIN_STORABLE_MS || ms > MAX_STORABLE_MS) throw new TimestampError(ms, field);
  prevMs = lastMs;
  prevText = lastText;
  lastText = new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
  lastMs = ms;
  return lastText;
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
export const DURATION = /^(\d+)(ms|s|m|h|d)$/;

/** '30s', '15m', '1h', '1d' (and '250ms') in milliseconds. */
export function parseDuration(s: string): number {
  const m = DURATION.exec(s.trim());
  if (!m) throw new UlasanError('CONFIG_INVALID', `bad duration "${s}" (use e.g. 30s, 15m, 1h, 1d)`);
  return Number(m[1]) * UNITS[m[2]!]!;
}
