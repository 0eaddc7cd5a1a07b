import { describe, expect, it } from 'vitest';
import { validateReview } from '../../processors/kit/review.js';
import { deadLetter } from '../../processors/kit/dead-letter.js';

const NOW = Date.UTC(2026, 10, 1);
const good = {
  review_id: 'play-1',
  app_id: 'blibli',
  source: 'play',
  text: 'aplikasinya bagus',
  rating: 5,
  created_at: NOW - 1000,
  ingested_at: NOW,
};

describe('validateReview', () => {
  it('accepts a well-formed review', () => {
    expect(validateReview(good, NOW)).toEqual({ ok: true, review: good });
  });

  const cases: [string, Record<string, unknown>, string][] = [
    ['missing text', { ...good, text: undefined }, 'MISSING_FIELD'],
    ['empty text', { ...good, text: '' }, 'EMPTY_TEXT'],
    ['whitespace text', { ...good, text: ' \n\t ' }, 'EMPTY_TEXT'],
    ['1 MB text', { ...good, text: 'a'.repeat(1024 * 1024) }, 'TEXT_TOO_LARGE'],
    ['control characters', { ...good, text: 'halo\u0000dunia' }, 'CONTROL_CHARACTERS'],
    ['lone surrogate', { ...good, text: 'rusak \uD83D teks' }, 'INVALID_UNICODE'],
    ['replacement char from bad UTF-8', { ...good, text: 'rusak \uFFFD' }, 'INVALID_UNICODE'],
    ['rating 0', { ...good, rating: 0 }, 'BAD_RATING'],
    ['rating 6', { ...good, rating: 6 }, 'BAD_RATING'],
    ['future timestamp', { ...good, created_at: NOW + 7 * 86_400_000 }, 'BAD_TIMESTAMP'],
    ['ancient timestamp', { ...good, created_at: 0 }, 'BAD_TIMESTAMP'],
    ['bad id', { ...good, review_id: 'has space' }, 'BAD_ID'],
    ['empty app', { ...good, app_id: '' }, 'BAD_ID'],
  ];
  for (const [name, value, code] of cases) {
    it(`rejects ${name} as ${code}`, () => {
      const v = validateReview(value, NOW);
      expect(v.ok).toBe(false);
      if (!v.ok) {
        expect(v.code).toBe(code);
        expect(v.reason.length).toBeGreaterThan(0);
      }
    });
  }

  it('keeps emoji and newlines (valid text)', () => {
    expect(validateReview({ ...good, text: 'mantap 👍\nterima kasih' }, NOW).ok).toBe(true);
  });
});

describe('deadLetter', () => {
  it('keeps the original bytes and origin as fields and headers', () => {
    const dl = deadLetter(
      { topic: 'ulasan.reviews', partition: 2, offset: '41', key: Buffer.from('k'), value: Buffer.from([1, 2]) },
      'NOT_AVRO',
      'bad magic',
      'scoring',
      5,
    );
    expect(dl.value).toMatchObject({
      error_code: 'NOT_AVRO',
      origin_topic: 'ulasan.reviews',
      origin_partition: 2,
      origin_offset: 41,
      failed_at: 5,
    });
    expect(dl.value.original_value).toEqual(Buffer.from([1, 2]));
    expect(dl.headers['x-origin-offset']).toBe('41');
    expect(dl.headers['x-ulasan-reason']).toBe('bad magic');
  });
});

describe('producer row checks', () => {
  it('names every bad row before anything is sent (a 4.5-star rating, a year-10000 date)', async () => {
    const { rowProblems, rowToReview } = await import('../../processors/producer/handler.js');
    const now = Date.UTC(2026, 0, 1);
    const rows = [
      { index: 0, text: 'bagus', label: null, rating: 5 },
      { index: 1, text: 'jelek', label: null, rating: 4.5 },
      { index: 2, text: 'biasa', label: null, rating: 3, extra: { created_at: Date.UTC(10000, 0, 1) } },
    ];
    const reviews = rows.map((r) =>
      rowToReview(r, { appId: 'a', source: 's', startMs: now - 10_000, spacingMs: 1000, now }),
    );
    expect(rowProblems(rows, reviews, now)).toEqual([
      expect.stringMatching(/^row 2: BAD_RATING/),
      expect.stringMatching(/^row 3: BAD_TIMESTAMP/),
    ]);
  });
});

describe('slang lookup', () => {
  it('maps only its own words: "constructor" and "toString" stay words', async () => {
    const { cleanText } = await import('../../models/features/normalize.js');
    expect(cleanText('constructor toString gak', /(?!)/gu)).toBe('constructor tostring tidak');
  });
});

describe('dead letters that always fit', () => {
  it('truncate the original value to the budget and keep its size and sha256', async () => {
    const { createHash } = await import('node:crypto');
    const { DEAD_LETTER_VALUE_BYTES } = await import('../../processors/kit/dead-letter.js');
    const value = Buffer.alloc(1_048_000, 7);
    const dl = deadLetter(
      { topic: 't', partition: 0, offset: '1', key: Buffer.alloc(10_000, 1), value },
      'TEXT_TOO_LARGE',
      'x'.repeat(10_000),
      'scoring',
      5,
    );
    expect(dl.value.original_value!.length).toBe(DEAD_LETTER_VALUE_BYTES);
    expect(dl.value.original_key!.length).toBe(4096);
    expect(dl.value.original_size).toBe(1_048_000);
    expect(dl.value.original_truncated).toBe(true);
    expect(dl.value.original_sha256).toBe(createHash('sha256').update(value).digest('hex'));
    expect(dl.value.reason.length).toBe(4000);
  });
});

describe('review identity', () => {
  it('classifies a known id: edit, repeat, conflict, superseded', async () => {
    const { classify, textHash } = await import('../../processors/kit/review-identity.js');
    const r = { review_id: 'r', app_id: 'a', source: 's', text: 'bagus', created_at: 2000, ingested_at: 2000 };
    const h = textHash('bagus');
    expect(classify(r, h, undefined)).toBe('new');
    expect(classify(r, h, { createdAt: 1000, textHash: 'x' })).toBe('edit');
    expect(classify(r, h, { createdAt: 2000, textHash: h })).toBe('repeat');
    expect(classify(r, h, { createdAt: 2000, textHash: '' })).toBe('repeat');
    expect(classify(r, h, { createdAt: 2000, textHash: textHash('jelek') })).toBe('conflict');
    expect(classify(r, h, { createdAt: 3000, textHash: h })).toBe('superseded');
  });
});
