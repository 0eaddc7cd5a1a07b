import { describe, expect, it } from 'vitest';
import {
  FeatureColumns,
  inShadowSample,
  PredictionColumns,
  scoredMessageOf,
  type PredictionInput,
} from '../../../processors/scoring/handler.js';
import { boundAppVersion } from '../../../processors/kit/app-version.js';
import { predictSliced } from '../../../models/serving/predict.js';
import { chunkBySize } from '../../../platform/kafka/kafka.js';
import { sentimentProbs, topSentiment } from '../../../models/serving/sentiment.js';
import { toDateTime64 } from '../../../platform/time.js';
import { computeFeatures } from '../../../models/features/features.js';
import { defaultTagger } from '../../../models/topics/tagger.js';
import type { Prediction } from '../../../models/core/engine.js';
import type { Review } from '../../../schemas/types.generated.js';

const review: Review = {
  review_id: 'r1',
  app_id: 'app',
  source: 'play',
  text: 'Bagus BGT!!',
  rating: 5,
  lang: 'id',
  author_hash: null,
  created_at: Date.UTC(2026, 0, 2, 3, 4, 5, 6),
  ingested_at: 0,
};
const pred: Prediction = {
  label: 'LABEL_2',
  sentiment: null,
  confidence: 0.7,
  probabilities: { LABEL_0: 0.1, LABEL_1: 0.2, LABEL_2: 0.7 },
  modelName: 'm',
  modelVersion: '3',
};

function inputOf(r: Review, topics: string[] = [], offset = '9'): PredictionInput {
  return {
    review: r,
    prediction: pred,
    probs: sentimentProbs(pred, ['negative', 'neutral', 'positive']),
    features: computeFeatures(r.text),
    partition: 2,
    offset,
    topics,
    textHash: 'h',
    appVersion: boundAppVersion(r.app_version),
  };
}

/** Row i of a column batch, as an object. */
function rowOf(columns: Record<string, readonly unknown[]>, i = 0): Record<string, unknown> {
  return Object.fromEntries(Object.entries(columns).map(([k, v]) => [k, v[i]]));
}

describe('scoring handler', () => {
  it('maps label probabilities to sentiments through the package mapping', () => {
    const p = sentimentProbs(pred, ['positive', 'neutral', 'negative']);
    expect(p).toEqual({ positive: 0.1, neutral: 0.2, negative: 0.7 });
    expect(topSentiment(p)).toBe('negative');
  });

  it('builds the prediction row, feature row and ScoredReview with the model version', () => {
    const scoredAt = Date.UTC(2026, 0, 2);
    const rows = new PredictionColumns(scoredAt, 1.5);
    const features = new FeatureColumns(0);
    const x = inputOf(review);
    rows.push(x);
    features.push(review, x.features);
    // What the prediction row and the ScoredReview share, written out once.
    const shared = {
      review_id: 'r1',
      app_id: 'app',
      source: 'play',
      label: 'positive',
      prob_negative: 0.1,
      prob_neutral: 0.2,
      prob_positive: 0.7,
      model_name: 'm',
      model_version: '3',
      feature_set_version: 'fs-1',
      app_version: null,
      topics: [],
    };
    expect(rowOf(rows.batch())).toEqual({
      ...shared,
      confidence: 0.7,
      created_at: Date.UTC(2026, 0, 2, 3, 4, 5, 6),
      scored_at: scoredAt,
      latency_ms: 1.5,
      kafka_partition: 2,
      kafka_offset: '9',
      text_hash: 'h',
    });
    // "Bagus BGT!!": 2 words, 11 characters, 4 of 8 letters upper case, slang mapped in the clean text.
    expect(rowOf(features.batch())).toEqual({
      review_id: 'r1',
      app_id: 'app',
      feature_set_version: 'fs-1',
      clean_text: 'bagus banget ! !',
      created_at: Date.UTC(2026, 0, 2, 3, 4, 5, 6),
      computed_at: 0,
      word_count: 2,
      char_count: 11,
      mean_word_length: 4,
      exclamation_count: 2,
      question_count: 0,
      uppercase_ratio: 0.5,
      emoji_count: 0,
      url_count: 0,
      mention_count: 0,
      hashtag_count: 0,
      digit_ratio: 0,
      stopword_ratio: 0,
      elongated_word_count: 0,
    });
    const { clean_text: _clean, feature_set_version: _set, ...numeric } = x.features;
    expect(scoredMessageOf(x, 5, true)).toEqual({
      ...shared,
      shadow: true,
      rating: 5,
      features: numeric,
      created_at: Date.UTC(2026, 0, 2, 3, 4, 5, 6),
      scored_at: 5,
      origin_partition: 2,
      origin_offset: 9,
    });
    expect(Object.keys(numeric)).toHaveLength(13);
  });

  it('puts the topics and the bounded app version on the prediction row and the ScoredReview', () => {
    const r: Review = { ...review, text: 'gk bisa login, saldo kepotong', app_version: '3.2.1' };
    const topics = defaultTagger().tagClean(computeFeatures(r.text).clean_text);
    expect(topics).toEqual(['login', 'payment']);
    const rows = new PredictionColumns(0, 1);
    rows.push(inputOf(r, topics));
    expect(rowOf(rows.batch())).toMatchObject({ app_version: '3.2.1', topics });
    expect(scoredMessageOf(inputOf(r, topics), 0, false)).toMatchObject({ app_version: '3.2.1', topics });
    expect(scoredMessageOf(inputOf(review), 0, false)).toMatchObject({ app_version: null, topics: [] });
    const hostile = { ...r, app_version: 'x'.repeat(1 << 20) };
    expect(scoredMessageOf(inputOf(hostile, topics), 0, false).app_version).toBe('x'.repeat(64));
    const hostileRows = new PredictionColumns(0, 1);
    hostileRows.push(inputOf(hostile, topics));
    expect(rowOf(hostileRows.batch()).app_version).toBe('x'.repeat(64));
  });

  it('picks the top sentiment with ties going to the earlier of negative, neutral, positive', () => {
    expect(topSentiment({ negative: 0.2, neutral: 0.5, positive: 0.3 })).toBe('neutral');
    expect(topSentiment({ negative: 0.1, neutral: 0.2, positive: 0.7 })).toBe('positive');
    expect(topSentiment({ negative: 0.4, neutral: 0.4, positive: 0.2 })).toBe('negative');
    expect(topSentiment({ negative: 0.2, neutral: 0.4, positive: 0.4 })).toBe('neutral');
    expect(topSentiment({ negative: 0.4, neutral: 0.2, positive: 0.4 })).toBe('negative');
    expect(topSentiment({ negative: 0.3, neutral: 0.3, positive: 0.4 })).toBe('positive');
  });

  it('formats DateTime64 literals, the same time twice and then another', () => {
    expect(toDateTime64(Date.UTC(2026, 0, 2, 3, 4, 5, 6))).toBe('2026-01-02 03:04:05.006');
    expect(toDateTime64(Date.UTC(2026, 0, 2, 3, 4, 5, 6))).toBe('2026-01-02 03:04:05.006');
    expect(toDateTime64(0)).toBe('1970-01-01 00:00:00.000');
  });

  it('chunks produce requests by key + value bytes, never splitting a message', () => {
    const msg = (n: number) => ({ key: 'k', value: Buffer.alloc(n) });
    const chunks = chunkBySize([msg(399), msg(399), msg(399), msg(2000), msg(1)], 1000);
    expect(chunks.map((c) => c.map((m) => m.value.length))).toEqual([[399, 399], [399], [2000], [1]]);
    expect(chunkBySize([], 1000)).toEqual([]);
    const many = Array.from({ length: 5000 }, () => msg(300));
    const sizes = chunkBySize(many, 512 * 1024).map((c) => c.reduce((a, m) => a + 1 + m.value.length, 0));
    expect(Math.max(...sizes)).toBeLessThanOrEqual(512 * 1024);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(5000 * 301);
  });

  it('samples shadow reviews deterministically at about the configured rate', () => {
    const ids = Array.from({ length: 10_000 }, (_, i) => `id-${i}`);
    const share = ids.filter((id) => inShadowSample(id, 0.1)).length / ids.length;
    expect(share).toBeGreaterThan(0.08);
    expect(share).toBeLessThan(0.12);
    expect(ids.filter((id) => inShadowSample(id, 0.1))).toEqual(ids.filter((id) => inShadowSample(id, 0.1)));
    expect(inShadowSample('x', 0)).toBe(false);
    expect(inShadowSample('x', 1)).toBe(true);
  });
});

describe('inference in slices between heartbeats', () => {
  it('keeps each slice of a slow model near the heartbeat interval, in input order', async () => {
    const slices: { n: number; ms: number }[] = [];
    const slow = {
      async predict(texts: readonly string[]) {
        const started = Date.now();
        await new Promise((r) => setTimeout(r, 2 * texts.length)); // 2 ms a text, like a transformer
        slices.push({ n: texts.length, ms: Date.now() - started });
        return texts.map((t) => ({ label: t }) as unknown as Prediction);
      },
    };
    let beats = 0;
    const texts = Array.from({ length: 356 }, (_, i) => `t${i}`);
    const preds = await predictSliced(slow, texts, undefined, async () => void (beats += 1), 50);
    expect(preds.map((p) => p.label)).toEqual(texts);
    expect(slices[0]!.n).toBe(256);
    expect(slices.length).toBeGreaterThanOrEqual(4);
    expect(beats).toBe(slices.length - 1);
    for (const s of slices.slice(1)) expect(s.ms).toBeLessThan(150);
  });

  it('does the rest of a batch in one call when the model is fast', async () => {
    const calls: number[] = [];
    const fast = {
      async predict(texts: readonly string[]) {
        calls.push(texts.length);
        return texts.map(() => ({}) as Prediction);
      },
    };
    await predictSliced(
      fast,
      Array.from({ length: 5000 }, () => 'x'),
      undefined,
      async () => undefined,
    );
    expect(calls).toEqual([256, 4744]);
  });
});
