// Dead letters keep the original bytes and where they came from, as Avro fields and as headers (so
// they can be inspected with any Kafka tool without the registry).
import type { DeadLetter } from '../../schemas/types.generated.js';
import type { IHeaders } from './kafka.js';

export interface Origin {
  topic: string;
  partition: number;
  offset: string | number;
  key: Buffer | null;
  value: Buffer | null;
}

export function deadLetter(origin: Origin, code: string, reason: string, processor: string, now = Date.now()): { value: DeadLetter; headers: IHeaders } {
  return {
    value: {
      reason: reason.slice(0, 4000),
      error_code: code,
      processor,
      origin_topic: origin.topic,
      origin_partition: origin.partition,
      origin_offset: Number(origin.offset),
      original_key: origin.key,
      original_value: origin.value,
      failed_at: now,
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
