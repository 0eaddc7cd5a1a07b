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

// One-entry memo: a batch stamps every row with the same scored_at/computed_at time.
let lastMs = NaN;
let lastText = '';

/**
 * ClickHouse DateTime64(3) text form, UTC ('2026-01-02 03:04:05.678'), accepted by every version.
 * A value ClickHouse cannot store throws TimestampError (a bad record, never a failed insert).
 */
export function toDateTime64(ms: number, field?: string): string {
  if (ms === lastMs) return lastText;
  if (!Number.isFinite(ms) || ms < MIN_STORABLE_MS || ms > MAX_STORABLE_MS) throw new TimestampError(ms, field);
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
