// Splits a consumed batch of review records into valid reviews and dead letters. Shared by every
// processor on the reviews topic, so they agree on what a bad record is.
import type { Review } from '../../schemas/types.generated.js';
import { deadLetter } from './dead-letter.js';
import { SerdeError } from '../../platform/errors.js';
import type { KafkaMessage, Message } from '../../platform/kafka/kafka.js';
import { REJECT_CODES, validateReview, type RejectCode, type ValidationLimits } from './review.js';
import type { AvroSerde } from '../../platform/serde/serde.js';
import { classify, textHash, type KnownReview, type KnownReviews } from './review-identity.js';

export interface Triaged {
  /** Valid reviews with their message and text hash (sha256 hex, computed once here). */
  good: { review: Review; message: KafkaMessage; textHash: string }[];
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

export interface TriageOptions {
  reviewsTopic: string;
  deadLetterTopic: string;
  processor: string;
  limits: ValidationLimits;
  keepGoing?: () => boolean;
  /** What the processor's store already holds for the batch's ids (edits, conflicts, superseded). */
  known?: KnownReviews;
}

type Decoded =
  { msg: KafkaMessage; review: Review; hash?: string } | { msg: KafkaMessage; code: RejectCode; reason: string };

async function decodeAll(serde: AvroSerde, messages: KafkaMessage[], o: TriageOptions): Promise<Decoded[]> {
  const out: Decoded[] = [];
  // One clock reading per batch: the future-timestamp allowance is a day, a batch takes seconds.
  const now = Date.now();
  for (const msg of messages) {
    if (o.keepGoing && !o.keepGoing()) break;
    try {
      // The compiled reader of a cached schema id, without a promise per record; decode() when only
      // the registry can answer (a new id, another subject's id).
      const decoded = serde.decodeSync(msg.value, o.reviewsTopic) ?? (await serde.decode(msg.value, o.reviewsTopic));
      const v = validateReview(decoded.value, now, o.limits);
      out.push(v.ok ? { msg, review: v.review } : { msg, code: v.code, reason: v.reason });
    } catch (err) {
      // An outage (registry down) or a bug is not the record's fault: the batch is retried.
      if (!(err instanceof SerdeError) || err.retriable) throw err;
      out.push({ msg, code: serdeRejectCode(err), reason: err.message });
    }
  }
  return out;
}

const IDENTITY_REJECTS: Record<string, { code: RejectCode; reason: (r: Review) => string }> = {
  conflict: {
    code: 'REVIEW_ID_CONFLICT',
    reason: (r) => `review_id ${r.review_id} already holds another text at created_at ${r.created_at}`,
  },
  superseded: {
    code: 'REVIEW_SUPERSEDED',
    reason: (r) => `review_id ${r.review_id} already holds a later edit than created_at ${r.created_at}`,
  },
  repeat: { code: 'DUPLICATE_REVIEW', reason: (r) => `review_id ${r.review_id} repeated within one batch` },
};

/** Valid records against what is known of their ids (the store, then earlier records of the batch). */
async function resolveIdentities(decoded: Decoded[], known?: KnownReviews): Promise<Decoded[]> {
  const unique = new Set<string>();
  for (const d of decoded) if ('review' in d) unique.add(d.review.review_id);
  const ids = [...unique];
  const latest = known && ids.length ? await known(ids) : new Map<string, KnownReview>();
  const inBatch = new Set<string>();
  return decoded.map((d) => {
    if (!('review' in d)) return d;
    const r = d.review;
    const hash = textHash(r.text);
    const identity = classify(r, hash, latest.get(r.review_id));
    // A redelivery of what the store holds is re-stored harmlessly; the same record twice in one batch is not.
    const reject = identity === 'repeat' && !inBatch.has(r.review_id) ? undefined : IDENTITY_REJECTS[identity];
    if (reject) return { msg: d.msg, code: reject.code, reason: reject.reason(r) };
    latest.set(r.review_id, { createdAt: r.created_at, textHash: hash });
    inBatch.add(r.review_id);
    d.hash = hash;
    return d;
  });
}

export async function triage(
  serde: AvroSerde,
  batch: { topic: string; partition: number; messages: KafkaMessage[] },
  opts: TriageOptions,
): Promise<Triaged> {
  const out: Triaged = { good: [], dead: [], codes: [], handled: 0 };
  const resolved = await resolveIdentities(await decodeAll(serde, batch.messages, opts), opts.known);
  const encode = await serde.encoderFor(opts.deadLetterTopic);
  for (const d of resolved) {
    out.handled += 1;
    if ('review' in d) {
      out.good.push({ review: d.review, message: d.msg, textHash: d.hash ?? textHash(d.review.text) });
      continue;
    }
    const origin = {
      topic: batch.topic,
      partition: batch.partition,
      offset: d.msg.offset,
      key: d.msg.key,
      value: d.msg.value,
    };
    const dl = deadLetter(origin, d.code, d.reason, opts.processor);
    out.dead.push({ key: d.msg.key, value: encode(dl.value), headers: dl.headers });
    out.codes.push(d.code);
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
  known?: KnownReviews,
): Promise<Triaged> {
  return triage(serde, payload.batch, {
    reviewsTopic: topics.reviews,
    deadLetterTopic: topics.deadLetter,
    processor,
    limits,
    keepGoing: () => payload.isRunning() && !payload.isStale(),
    known,
  });
}
