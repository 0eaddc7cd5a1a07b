// Fault helpers shared by the soak (scripts/soak.ts) and the fault suites in test/integration:
// a child process's exit, registry-framed hostile messages and a seeded garbage burst.
import type { ChildProcess } from 'node:child_process';
import type { Message } from '../../platform/kafka/kafka.js';
import type { Review } from '../../schemas/types.generated.js';

/** Resolves once the child has exited (at once if it already has). */
export function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((r) => child.once('exit', () => r()));
}

/** A Confluent-framed value: magic byte 0, the 4-byte schema id, then `body` (valid or not). */
export function framed(schemaId: number, body: number[] | Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.writeInt32BE(schemaId, 1);
  return Buffer.concat([head, Buffer.from(body)]);
}

/** Avro's zig-zag varint of an integer (exact up to 2^53): for hand-made hostile messages. */
export function varint(n: number): number[] {
  let z = n >= 0 ? n * 2 : -n * 2 - 1;
  const out: number[] = [];
  while (z >= 128) {
    out.push((z % 128) | 0x80);
    z = Math.floor(z / 128);
  }
  out.push(z);
  return out;
}

/** `n` messages of seeded random bytes (1-60 bytes each): none is registry-framed Avro. */
export function garbageMessages(n: number, seed = 42, keyPrefix = 'g'): Message[] {
  let s = seed;
  const byte = (): number => (s = (s * 1103515245 + 12345) % 2 ** 31) % 256;
  return Array.from({ length: n }, (_, i) => ({
    key: `${keyPrefix}${i}`,
    value: Buffer.from(Array.from({ length: 1 + (i % 60) }, byte)),
  }));
}

/**
 * Hostile Review-topic records of the kinds a processor must dead-letter (truncated Avro, negative
 * lengths, absurd block counts, a wrong magic byte, a tombstone, an unknown schema id, bad times),
 * each with the dead-letter code it must get. `encode` writes a Review with the topic's schema.
 */
export async function hostileReviewMessages(
  encode: (r: Review) => Promise<Buffer>,
  reviewsSchemaId: number,
  good: Review,
  keyPrefix = 'h',
): Promise<{ code: string; message: Message }[]> {
  const valid = await encode({ ...good, review_id: `${good.review_id}-truncated` });
  const at = (key: string, value: Buffer | null): Message => ({ key: `${keyPrefix}-${key}`, value });
  return [
    { code: 'DECODE_FAILED', message: at('truncated', valid.subarray(0, valid.length - 5)) },
    { code: 'DECODE_FAILED', message: at('negative-length', framed(reviewsSchemaId, varint(-5))) },
    { code: 'DECODE_FAILED', message: at('huge-count', framed(reviewsSchemaId, [...varint(2 ** 40), 0, 0, 0])) },
    { code: 'NOT_AVRO', message: at('magic', Buffer.concat([Buffer.from([1]), valid.subarray(1)])) },
    { code: 'NOT_AVRO', message: at('tombstone', null) },
    { code: 'UNKNOWN_SCHEMA', message: at('unknown-id', framed(999_999, valid.subarray(5))) },
    {
      code: 'BAD_TIMESTAMP',
      message: at(
        'year-10000',
        await encode({ ...good, review_id: `${good.review_id}-y10k`, created_at: Date.UTC(10000, 0, 1) }),
      ),
    },
    {
      code: 'BAD_TIMESTAMP',
      message: at(
        'negative-time',
        await encode({ ...good, review_id: `${good.review_id}-neg`, created_at: -86_400_000 }),
      ),
    },
  ];
}
