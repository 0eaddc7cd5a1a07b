// Dead letters keep the original bytes and where they came from, as Avro fields and as headers (so
// they can be inspected with any Kafka tool without the registry). The original value is truncated
// so that the dead letter always fits the broker's message limit (a 1 MB review fits, its dead
// letter with the review inside would not, and the batch would retry forever); its size and sha256
// are kept so the original can still be identified.
import { createHash } from 'node:crypto';
import type { DeadLetter } from '../../schemas/types.generated.js';
import type { IHeaders } from '../../platform/kafka/kafka.js';

export interface Origin {
  topic: string;
  partition: number;
  offset: string | number;
  key: Buffer | null;
  value: Buffer | null;
}

/** Bytes of the original value a dead letter keeps: a quarter of Kafka's default 1 MB limit. */
export const DEAD_LETTER_VALUE_BYTES = 256 * 1024;
/** Bytes of the original key kept (keys are ids; a longer one is itself suspicious). */
export const DEAD_LETTER_KEY_BYTES = 4 * 1024;

function cut(buf: Buffer | null, max: number): Buffer | null {
  return buf && buf.length > max ? buf.subarray(0, max) : buf;
}

export function deadLetter(
  origin: Origin,
  code: string,
  reason: string,
  processor: string,
  now = Date.now(),
  maxValueBytes = DEAD_LETTER_VALUE_BYTES,
): { value: DeadLetter; headers: IHeaders } {
  const truncated = origin.value !== null && origin.value.length > maxValueBytes;
  return {
    value: {
      reason: reason.slice(0, 4000),
      error_code: code,
      processor,
      origin_topic: origin.topic,
      origin_partition: origin.partition,
      origin_offset: Number(origin.offset),
      original_key: cut(origin.key, DEAD_LETTER_KEY_BYTES),
      original_value: cut(origin.value, maxValueBytes),
      failed_at: now,
      original_size: origin.value === null ? null : origin.value.length,
      original_sha256: origin.value === null ? null : createHash('sha256').update(origin.value).digest('hex'),
      original_truncated: truncated,
    },
    headers: {
      'x-ulasan-error-code': code,
      'x-ulasan-reason': reason.slice(0, 1000),
      'x-ulasan-processor': processor,
      'x-origin-topic': origin.topic,
      'x-origin-partition': String(origin.partition),
      'x-origin-offset': String(origin.offset),
    },
  };
}
