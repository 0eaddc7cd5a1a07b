// Splits a consumed batch of review records into valid reviews and dead letters. Shared by every
// processor on the reviews topic, so they agree on what a bad record is.
import type { Review } from '../../schemas/types.generated.js';
import { deadLetter } from './dead-letter.js';
import { SerdeError } from './errors.js';
import type { KafkaMessage, Message } from './kafka.js';
import { REJECT_CODES, validateReview, type RejectCode, type ValidationLimits } from './review.js';
import type { AvroSerde } from './serde.js';

export interface Triaged {
  good: { review: Review; message: KafkaMessage }[];
  dead: Message[];
  codes: RejectCode[];
  /** How many messages from the start of the batch were handled (all of them unless stopped early). */
  handled: number;
}

/** The dead-letter code of a record the serde refused (the serde says which kind of bad it is). */
export function serdeRejectCode(err: SerdeError): RejectCode {
  const reject = err.details?.reject;
  if (typeof reject === 'string' && (REJECT_CODES as readonly string[]).includes(reject)) return reject as RejectCode;
  return err.code === 'SCHEMA_NOT_FOUND' ? 'UNKNOWN_SCHEMA' : 'DECODE_FAILED';
}

export async function triage(
  serde: AvroSerde,
  batch: { topic: string; partition: number; messages: KafkaMessage[] },
  opts: {
    reviewsTopic: string;
    deadLetterTopic: string;
    processor: string;
    limits: ValidationLimits;
    keepGoing?: () => boolean;
  },
): Promise<Triaged> {
  const out: Triaged = { good: [], dead: [], codes: [], handled: 0 };
  const seen = new Set<string>();
  for (const msg of batch.messages) {
    if (opts.keepGoing && !opts.keepGoing()) break;
    let code: RejectCode | null = null;
    let reason = '';
    try {
      const { value } = await serde.decode(msg.value, opts.reviewsTopic);
      const v = validateReview(value, Date.now(), opts.limits);
      if (!v.ok) {
        code = v.code;
        reason = v.reason;
      } else if (seen.has(v.review.review_id)) {
        // Same id twice in one batch: keep the first. Across batches the tables absorb repeats.
        code = 'DUPLICATE_REVIEW';
        reason = `review_id ${v.review.review_id} repeated within one batch`;
      } else {
        seen.add(v.review.review_id);
        out.good.push({ review: v.review, message: msg });
      }
    } catch (err) {
      // An outage (registry down) or a bug is not the record's fault: the batch is retried.
      if (!(err instanceof SerdeError) || err.retriable) throw err;
      code = serdeRejectCode(err);
      reason = err.message;
    }
    if (code) {
      const dl = deadLetter(
        { topic: batch.topic, partition: batch.partition, offset: msg.offset, key: msg.key, value: msg.value },
        code,
        reason,
        opts.processor,
      );
      out.dead.push({ key: msg.key, value: await serde.encode(opts.deadLetterTopic, dl.value), headers: dl.headers });
      out.codes.push(code);
    }
    out.handled += 1;
  }
  return out;
}

/** The triage every reviews-topic processor runs on a kafkajs batch. */
export function triageReviewBatch(
  serde: AvroSerde,
  topics: { reviews: string; deadLetter: string },
  processor: string,
  limits: ValidationLimits,
  payload: {
    batch: { topic: string; partition: number; messages: KafkaMessage[] };
    isRunning: () => boolean;
    isStale: () => boolean;
  },
): Promise<Triaged> {
  return triage(serde, payload.batch, {
    reviewsTopic: topics.reviews,
    deadLetterTopic: topics.deadLetter,
    processor,
    limits,
    keepGoing: () => payload.isRunning() && !payload.isStale(),
  });
}
