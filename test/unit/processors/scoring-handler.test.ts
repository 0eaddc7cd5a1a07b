import { describe, expect, it } from 'vitest';
import { featureRow, inShadowSample, predictionRow, scoredMessage } from '../../../processors/scoring/handler.js';
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

describe('scoring handler', () => {
  it('maps label probabilities to sentiments through the package mapping', () => {
    const p = sentimentProbs(pred, ['positive', 'neutral', 'negative']);
    expect(p).toEqual({ positive: 0.1, neutral: 0.2, negative: 0.7 });
    expect(topSentiment(p)).toBe('negative');
  });

  it('builds the prediction row, feature row and ScoredReview with the model version', () => {
    const f = computeFeatures(review.text);
    const probs = sentimentProbs(pred, ['negative', 'neutral', 'positive']);
    const row = predictionRow(review, pred, probs, f, { partition: 2, offset: '9' }, Date.UTC(2026, 0, 2), 1.5, []);
    expect(row).toMatchObject({
      label: 'positive',
      model_version: '3',
      confidence: 0.7,
      created_at: '2026-01-02 03:04:05.006',
      kafka_offset: '9',
      feature_set_version: 'fs-1',
    });
    expect(featureRow(review, f, 0)).toMatchObject({
      review_id: 'r1',
      exclamation_count: 2,
      clean_text: 'bagus banget ! !',
    });
    expect(scoredMessage(review, pred, probs, f, { partition: 2, offset: '9' }, 5, true, [])).toMatchObject({
      shadow: true,
      origin_offset: 9,
      label: 'positive',
    });
  });

  it('puts the topics and the bounded app version on the prediction row and the ScoredReview', () => {
    const r: Review = { ...review, text: 'gk bisa login, saldo kepotong', app_version: '3.2.1' };
    const f = computeFeatures(r.text);
    const topics = defaultTagger().tagClean(f.clean_text);
    expect(topics).toEqual(['login', 'payment']);
    const probs = sentimentProbs(pred, ['negative', 'neutral', 'positive']);
    const pos = { partition: 0, offset: '1' };
    expect(predictionRow(r, pred, probs, f, pos, 0, 1, topics)).toMatchObject({ app_version: '3.2.1', topics });
    expect(scoredMessage(r, pred, probs, f, pos, 0, false, topics)).toMatchObject({ app_version: '3.2.1', topics });
    const noVersion = scoredMessage(review, pred, probs, computeFeatures(review.text), pos, 0, false, []);
    expect(noVersion).toMatchObject({ app_version: null, topics: [] });
    const hostile = { ...r, app_version: 'x'.repeat(1 << 20) };
    expect(scoredMessage(hostile, pred, probs, f, pos, 0, false, topics).app_version).toBe('x'.repeat(64));
    expect(predictionRow(hostile, pred, probs, f, pos, 0, 1, topics).app_version).toBe('x'.repeat(64));
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
