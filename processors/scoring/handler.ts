// Pure logic of the scoring processor: a validated review, its prediction and features become the
// ClickHouse rows and the ScoredReview message. No I/O.
import { createHash } from 'node:crypto';
import type { Prediction } from '../../models/core/engine.js';
import type { Features } from '../../models/features/features.js';
import { NUMERIC_FEATURES } from '../../models/features/features.js';
import type { Review, ScoredReview, Sentiment } from '../../schemas/types.generated.js';
import { topSentiment } from '../../models/serving/sentiment.js';
import { MAX_STORABLE_MS, MIN_STORABLE_MS, TimestampError } from '../../platform/time.js';
import type { ColumnBatch } from '../../platform/clickhouse/store.js';

/**
 * A DateTime64(3) value as epoch milliseconds, the form the columnar inserts send (ClickHouse reads
 * an integer as ticks of the column's precision): no date formatting per row. Out of range throws
 * TimestampError, as toDateTime64 does.
 */
export function storableMs(ms: number, field: string): number {
  if (!(ms >= MIN_STORABLE_MS && ms <= MAX_STORABLE_MS)) throw new TimestampError(ms, field);
  return ms;
}

/** What one scored review adds to a batch's prediction columns. */
export interface PredictionInput {
  review: Review;
  prediction: Prediction;
  probs: Record<Sentiment, number>;
  features: Features;
  partition: number;
  offset: string;
  topics: string[];
  textHash: string;
  /** boundAppVersion(review.app_version), bounded once per review for the row and the message. */
  appVersion: string | null;
}

/**
 * The predictions (or shadow_predictions) rows of one batch, built as columns: one array per column,
 * no object per row (issue 31). scored_at and latency_ms are the batch's. The topics are the
 * tagger's (models/topics) on the review's clean text; the app version is bounded (a hostile one is
 * cut, never carried whole into every row and message).
 */
export class PredictionColumns {
  private readonly c = {
    review_id: [] as string[],
    app_id: [] as string[],
    source: [] as string[],
    label: [] as Sentiment[],
    prob_negative: [] as number[],
    prob_neutral: [] as number[],
    prob_positive: [] as number[],
    confidence: [] as number[],
    model_name: [] as string[],
    model_version: [] as string[],
    feature_set_version: [] as string[],
    app_version: [] as (string | null)[],
    topics: [] as string[][],
    created_at: [] as number[],
    scored_at: [] as number[],
    latency_ms: [] as number[],
    kafka_partition: [] as number[],
    kafka_offset: [] as string[],
    text_hash: [] as string[],
  };

  constructor(
    private readonly scoredAt: number,
    private readonly latencyMs: number,
  ) {
    storableMs(scoredAt, 'scored_at');
  }

  get length(): number {
    return this.c.review_id.length;
  }

  push(x: PredictionInput): void {
    const { c } = this;
    const { review: r, prediction: p, probs } = x;
    c.created_at.push(storableMs(r.created_at, 'created_at'));
    c.review_id.push(r.review_id);
    c.app_id.push(r.app_id);
    c.source.push(r.source);
    c.label.push(topSentiment(probs));
    c.prob_negative.push(probs.negative);
    c.prob_neutral.push(probs.neutral);
    c.prob_positive.push(probs.positive);
    c.confidence.push(Math.max(probs.negative, probs.neutral, probs.positive));
    c.model_name.push(p.modelName);
    c.model_version.push(p.modelVersion);
    c.feature_set_version.push(x.features.feature_set_version);
    c.app_version.push(x.appVersion);
    c.topics.push(x.topics);
    c.scored_at.push(this.scoredAt);
    c.latency_ms.push(this.latencyMs);
    c.kafka_partition.push(x.partition);
    c.kafka_offset.push(x.offset);
    c.text_hash.push(x.textHash);
  }

  batch(): ColumnBatch {
    return this.c;
  }
}

/** The review_features rows of one batch as columns: the 14 numeric features, one column each. */
export class FeatureColumns {
  private readonly c: Record<string, unknown[]> = {
    review_id: [],
    app_id: [],
    feature_set_version: [],
    clean_text: [],
    created_at: [],
    computed_at: [],
  };
  private readonly numeric: number[][];

  constructor(private readonly computedAt: number) {
    storableMs(computedAt, 'computed_at');
    this.numeric = NUMERIC_FEATURES.map((k) => (this.c[k] = []) as number[]);
  }

  push(r: Review, f: Features): void {
    const { c } = this;
    c.created_at!.push(storableMs(r.created_at, 'created_at'));
    c.review_id!.push(r.review_id);
    c.app_id!.push(r.app_id);
    c.feature_set_version!.push(f.feature_set_version);
    c.clean_text!.push(f.clean_text);
    c.computed_at!.push(this.computedAt);
    for (let k = 0; k < NUMERIC_FEATURES.length; k++) this.numeric[k]!.push(f[NUMERIC_FEATURES[k]!]);
  }

  batch(): ColumnBatch {
    return this.c;
  }
}

/**
 * The ScoredReview of a PredictionInput (app version bounded once, shared with the row): one object
 * literal, the features map built directly.
 */
export function scoredMessageOf(x: PredictionInput, scoredAt: number, shadow: boolean): ScoredReview {
  const { review: r, prediction: p, probs, features: f } = x;
  const features: Record<string, number> = {};
  for (let k = 0; k < NUMERIC_FEATURES.length; k++) features[NUMERIC_FEATURES[k]!] = f[NUMERIC_FEATURES[k]!];
  return {
    review_id: r.review_id,
    app_id: r.app_id,
    source: r.source,
    label: topSentiment(probs),
    prob_negative: probs.negative,
    prob_neutral: probs.neutral,
    prob_positive: probs.positive,
    model_name: p.modelName,
    model_version: p.modelVersion,
    feature_set_version: f.feature_set_version,
    app_version: x.appVersion,
    topics: x.topics,
    shadow,
    rating: r.rating ?? null,
    features,
    created_at: r.created_at,
    scored_at: scoredAt,
    origin_partition: x.partition,
    origin_offset: Number(x.offset),
  };
}

/** Deterministic sampling by review_id: the same review is always in or out of the shadow sample. */
export function inShadowSample(reviewId: string, rate: number): boolean {
  if (rate <= 0) return false;
  if (rate >= 1) return true;
  const h = createHash('sha1').update(reviewId).digest().readUInt32BE(0);
  return h / 0x100000000 < rate;
}
