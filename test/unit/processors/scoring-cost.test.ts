// The cheap paths of issue 31 say the same as the paths they replaced: validation without regular
// expressions against the former expressions, the columnar rows against the rows written out by hand,
// the batch encoder against the per-record encoder.
import avro from 'avsc';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validateReview, DEFAULT_LIMITS } from '../../../processors/kit/review.js';
import {
  FeatureColumns,
  PredictionColumns,
  scoredMessageOf,
  type PredictionInput,
} from '../../../processors/scoring/handler.js';
import { computeFeatures } from '../../../models/features/features.js';
import { sentimentProbs } from '../../../models/serving/sentiment.js';
import { boundAppVersion } from '../../../processors/kit/app-version.js';
import { loadSchema } from '../../../platform/serde/schemas.js';
import { AvroSerde } from '../../../platform/serde/serde.js';
import type { Prediction } from '../../../models/core/engine.js';
import type { Review } from '../../../schemas/types.generated.js';

// The expressions validateReview used before (issue 31 replaced them with char-code loops).
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const ID = /^[\w.:@/-]{1,256}$/;

function formerVerdict(r: Review): string {
  if (!ID.test(r.review_id) || !ID.test(r.app_id)) return 'BAD_ID';
  if (r.text.trim() === '') return 'EMPTY_TEXT';
  if (Buffer.byteLength(r.text, 'utf8') > DEFAULT_LIMITS.maxTextBytes) return 'TEXT_TOO_LARGE';
  if (CONTROL.test(r.text)) return 'CONTROL_CHARACTERS';
  if (LONE_SURROGATE.test(r.text) || r.text.includes('\uFFFD')) return 'INVALID_UNICODE';
  return 'ok';
}

const now = Date.UTC(2026, 5, 1);
const base: Review = {
  review_id: 'r1',
  app_id: 'app.x',
  source: 'play',
  text: 'bagus',
  rating: 4,
  lang: 'id',
  author_hash: null,
  app_version: ' 2.1.0 ',
  created_at: now - 1000,
  ingested_at: now - 500,
};
const verdict = (r: Review): string => {
  const v = validateReview(r, now);
  return v.ok ? 'ok' : v.code;
};

// Characters around every boundary the checks draw, plus surrogates on their own and in pairs.
const edgy = fc.constantFrom(
  ...[0, 8, 9, 10, 11, 13, 14, 31, 32, 0x2c, 0x2d, 0x2f, 0x3a, 0x3b, 0x3f, 0x40, 0x5a, 0x5b, 0x5f, 0x60],
  ...[0x61, 0x7a, 0x7b, 0x7e, 0x7f, 0x9f, 0xa0, 0xd7ff, 0xd800, 0xdbff, 0xdc00, 0xdfff, 0xe000, 0xfffd],
);
const text = fc
  .array(fc.oneof(edgy, fc.integer({ min: 0, max: 0xffff })), { maxLength: 12 })
  .map((codes) => String.fromCharCode(...codes));

describe('validation without regular expressions', () => {
  it('gives the former verdict on ids and texts of edge characters', () => {
    fc.assert(
      fc.property(text, text, text, (id, app, t) => {
        for (const r of [
          { ...base, review_id: id },
          { ...base, app_id: app },
          { ...base, text: t },
          { ...base, text: `ok ${t}` },
        ])
          expect(verdict(r)).toBe(formerVerdict(r));
      }),
      { numRuns: 3000 },
    );
  });

  it('refuses what the expressions refused, in their order', () => {
    expect(verdict({ ...base, review_id: 'x'.repeat(257) })).toBe('BAD_ID');
    expect(verdict({ ...base, review_id: '' })).toBe('BAD_ID');
    expect(verdict({ ...base, text: 'a\u0007\uD800' })).toBe('CONTROL_CHARACTERS');
    expect(verdict({ ...base, text: '\uD800a\u0085' })).toBe('CONTROL_CHARACTERS');
    expect(verdict({ ...base, text: 'a\uDC00' })).toBe('INVALID_UNICODE');
    expect(verdict({ ...base, text: 'emoji \uD83D\uDE00 ok\t\n' })).toBe('ok');
  });
});

const pred: Prediction = {
  label: 'LABEL_2',
  sentiment: null,
  confidence: 0.7,
  probabilities: { LABEL_0: 0.1, LABEL_1: 0.2, LABEL_2: 0.7 },
  modelName: 'm',
  modelVersion: '3',
};

function input(r: Review): PredictionInput {
  const probs = sentimentProbs(pred, ['negative', 'neutral', 'positive']);
  return {
    review: r,
    prediction: pred,
    probs,
    features: computeFeatures(r.text),
    partition: 2,
    offset: '9',
    topics: ['crash'],
    textHash: 'h',
    appVersion: boundAppVersion(r.app_version),
  };
}

describe('rows as columns', () => {
  const reviews = [base, { ...base, review_id: 'r2', text: 'Jelek BANGET!!', app_version: null, rating: null }];
  const scoredAt = Date.UTC(2026, 5, 1, 12);
  const rowOf = (columns: Record<string, readonly unknown[]>, i: number) =>
    Object.fromEntries(Object.entries(columns).map(([k, v]) => [k, v[i]]));
  const { clean_text: _c0, feature_set_version: _v0, ...numeric0 } = computeFeatures(base.text);
  const { clean_text: _c1, feature_set_version: _v1, ...numeric1 } = computeFeatures('Jelek BANGET!!');
  // The per-review fields, written out: prediction row, feature row, ScoredReview.
  const shared = (id: string, version: string | null) => ({
    review_id: id,
    app_id: 'app.x',
    source: 'play',
    label: 'positive',
    prob_negative: 0.1,
    prob_neutral: 0.2,
    prob_positive: 0.7,
    model_name: 'm',
    model_version: '3',
    feature_set_version: 'fs-1',
    app_version: version,
    topics: ['crash'],
  });

  it('holds every column of the prediction and feature rows, timestamps as epoch milliseconds', () => {
    const rows = new PredictionColumns(scoredAt, 1.5);
    const features = new FeatureColumns(scoredAt);
    for (const r of reviews) {
      rows.push(input(r));
      features.push(r, input(r).features);
    }
    const position = { kafka_partition: 2, kafka_offset: '9', text_hash: 'h', latency_ms: 1.5, confidence: 0.7 };
    const times = { created_at: now - 1000, scored_at: scoredAt };
    expect(rowOf(rows.batch(), 0)).toEqual({ ...shared('r1', '2.1.0'), ...position, ...times });
    expect(rowOf(rows.batch(), 1)).toEqual({ ...shared('r2', null), ...position, ...times });
    const featureTimes = { created_at: now - 1000, computed_at: scoredAt, feature_set_version: 'fs-1' };
    expect(rowOf(features.batch(), 0)).toEqual({
      review_id: 'r1',
      app_id: 'app.x',
      clean_text: 'bagus',
      ...featureTimes,
      ...numeric0,
    });
    expect(rowOf(features.batch(), 1)).toEqual({
      review_id: 'r2',
      app_id: 'app.x',
      clean_text: 'jelek banget ! !',
      ...featureTimes,
      ...numeric1,
    });
    // "Jelek BANGET!!": 7 of its 11 letters are upper case.
    expect(numeric1).toMatchObject({ word_count: 2, exclamation_count: 2, uppercase_ratio: 0.6364 });
  });

  it('refuses a timestamp ClickHouse cannot store', () => {
    const rows = new PredictionColumns(scoredAt, 0);
    expect(() => rows.push(input({ ...base, created_at: Date.UTC(2300, 0, 1) }))).toThrow(/outside 1900-01-01/);
    expect(() => new FeatureColumns(-1e15)).toThrow(/outside 1900-01-01/);
  });

  it('builds the ScoredReview of each review', () => {
    const message = (r: Review) => scoredMessageOf(input(r), scoredAt, false);
    const tail = { shadow: false, created_at: now - 1000, scored_at: scoredAt, origin_partition: 2, origin_offset: 9 };
    expect(message(reviews[0]!)).toEqual({ ...shared('r1', '2.1.0'), ...tail, rating: 4, features: numeric0 });
    expect(message(reviews[1]!)).toEqual({ ...shared('r2', null), ...tail, rating: null, features: numeric1 });
  });
});

describe('batch encoder', () => {
  it('writes the bytes the per-record encoder writes, across chunk boundaries', async () => {
    const type = avro.Type.forSchema(loadSchema('ScoredReview') as avro.Schema);
    const serde = new AvroSerde('http://127.0.0.1:1');
    // No registry here: the id and its compiled type are what register() and typeFor() would cache.
    (serde as unknown as { ids: Map<string, number> }).ids.set('t', 42);
    (serde as unknown as { types: Map<number, avro.Type> }).types.set(42, type);
    const one = await serde.encoderFor('t');
    const batch = await serde.batchEncoderFor('t');
    const values = Array.from({ length: 3000 }, (_, i) =>
      scoredMessageOf(input({ ...base, review_id: `r${i}`, text: 'x'.repeat(i % 97) }), scoredAt(i), i % 2 === 0),
    );
    // A topics list large enough for one record to exceed a whole chunk.
    values.push({ ...values[0]!, topics: Array.from({ length: 30_000 }, (_, i) => `topic-${i}`) });
    const got = batch(values);
    expect(got).toHaveLength(values.length);
    got.forEach((b, i) => expect(b.equals(one(values[i]))).toBe(true));
    expect(() => batch([{ ...values[0]!, label: 'bad' }])).toThrow(/does not match the t schema/);
  });
});

function scoredAt(i: number): number {
  return Date.UTC(2026, 5, 1) + i;
}
