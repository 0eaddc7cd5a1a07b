// Outages are waits, not verdicts. A dependency error that retrying can fix (registry, ClickHouse or
// Kafka unreachable) pauses the work in place and retries with capped exponential backoff, keeping
// the consumer's group membership alive; it never becomes a dead letter and never lets an offset be
// committed past unwritten rows. Anything else is a bug or a bad record and is rethrown.
import { UlasanError } from './errors.js';
import type { Logger } from './logger.js';

/** kafkajs marks its errors `retriable`; ours carry it from the error registry; sockets have codes. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
]);

/**
 * kafkajs wraps ANY failure during the SASL handshake in a non-retriable
 * KafkaJSSASLAuthenticationError, keeping only the message: a broker that closes the connection
 * while it restarts ("Closed connection") or answers late ("... timed out") reads as wrong
 * credentials (kafkajs issue #1550). Those are transport failures, and waits; a refused
 * password, signature or nonce is not.
 */
const TRANSIENT_SASL = /closed connection|connection (?:error|closed|timeout)|timed out|ECONNRESET|ECONNREFUSED|EPIPE/i;

export function isTransientSaslFailure(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const e = err as { name?: unknown; message?: unknown };
  return e.name === 'KafkaJSSASLAuthenticationError' && TRANSIENT_SASL.test(String(e.message));
}

export function isRetriable(err: unknown): boolean {
  if (err instanceof UlasanError) return err.retriable;
  if (!err || typeof err !== 'object') return false;
  const e = err as { retriable?: unknown; code?: unknown; name?: unknown; cause?: unknown };
  if (e.retriable === true || isTransientSaslFailure(err)) return true;
  if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return true;
  if (e.name === 'TimeoutError' || e.name === 'KafkaJSConnectionError' || e.name === 'KafkaJSRequestTimeoutError')
    return true;
  // fetch() wraps the socket error: "TypeError: fetch failed" with the real one as cause.
  return e.name === 'TypeError' && e.cause !== undefined && isRetriable(e.cause);
}

export interface WaitOptions {
  /** What is being attempted, for the log line and the metric label. */
  what: string;
  log: Logger;
  /** Called on every retriable failure (count it in a metric). */
  onRetry?: (err: unknown, attempt: number) => void;
  /** Called while waiting so the consumer keeps its partitions (kafkajs `heartbeat`). */
  heartbeat?: () => Promise<void>;
  /** Stop waiting when this turns false (shutdown or a rebalance): the error is rethrown. */
  keepGoing?: () => boolean;
  initialMs?: number;
  maxMs?: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs `fn` until it succeeds or fails with an error that is not retriable. */
export async function waitOutOutage<T>(fn: () => Promise<T>, o: WaitOptions): Promise<T> {
  let delay = o.initialMs ?? 200;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!isRetriable(err) || (o.keepGoing && !o.keepGoing())) throw err;
      o.onRetry?.(err, attempt);
      o.log.warn(
        { err: (err as Error).message, what: o.what, attempt, retryInMs: delay },
        'dependency unavailable; waiting',
      );
      await sleepWithHeartbeat(delay, o.heartbeat);
      delay = Math.min(o.maxMs ?? 10_000, delay * 2);
    }
  }
}

async function sleepWithHeartbeat(ms: number, heartbeat?: () => Promise<void>): Promise<void> {
  const step = 1000;
  for (let left = ms; left > 0; left -= step) {
    await sleep(Math.min(step, left));
    // A heartbeat can itself fail while Kafka is down; the next attempt will tell.
    await heartbeat?.().catch(() => undefined);
  }
}
