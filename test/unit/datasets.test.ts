import { describe, expect, it } from 'vitest';
import { parseCsv, parseJsonl, parseTsv, starsToSentiment } from '../../platform/datasets.js';
import { rowToReview, stableReviewId } from '../../processors/producer/handler.js';

describe('dataset readers', () => {
  it('parses SmSA TSV without a header', () => {
    const rows = parseTsv('enak sekali .\tpositive\ntidak suka\tnegative\n');
    expect(rows).toEqual([
      { index: 0, text: 'enak sekali .', label: 'positive', rating: null },
      { index: 1, text: 'tidak suka', label: 'negative', rating: null },
    ]);
  });

  it('parses CSV with quoted newlines and derives sentiment from stars', () => {
    const rows = parseCsv('text,label,stars\n" Halo\n blibli, mantap",neg,4\n jelek,neg,1\n biasa,neg,3\n');
    expect(rows.map((r) => [r.text, r.label, r.rating])).toEqual([
      ['Halo\n blibli, mantap', 'positive', 4],
      ['jelek', 'negative', 1],
      ['biasa', 'neutral', 3],
    ]);
  });

  it('parses JSONL and keeps extra fields', () => {
    const rows = parseJsonl('{"text":"oke","stars":2,"review_id":"x1"}\n');
    expect(rows[0]).toMatchObject({ text: 'oke', label: 'negative', rating: 2 });
    expect(rows[0]!.extra!.review_id).toBe('x1');
  });

  it('maps stars to three classes', () => {
    expect([1, 2, 3, 4, 5].map(starsToSentiment)).toEqual(['negative', 'negative', 'neutral', 'positive', 'positive']);
  });
});

describe('producer rows', () => {
  const row = { index: 7, text: 'bagus', label: 'positive' as const, rating: 5 };
  it('gives a stable review_id per row and source', () => {
    expect(stableReviewId('play', 'app', row)).toBe(stableReviewId('play', 'app', row));
    expect(stableReviewId('play', 'app', row)).not.toBe(stableReviewId('play', 'app', { ...row, index: 8 }));
  });
  it('spaces synthetic event times by row', () => {
    const r = rowToReview(row, { appId: 'app', source: 'play', startMs: 1000, spacingMs: 10, now: 5000 });
    expect(r).toMatchObject({ app_id: 'app', created_at: 1070, ingested_at: 5000, rating: 5, lang: 'id' });
  });
});
