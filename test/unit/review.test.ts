import { describe, expect, it } from 'vitest';
import { validateReview } from '../../processors/shared/review.js';
import { deadLetter } from '../../processors/shared/dead-letter.js';

const NOW = Date.UTC(2026, 10, 1);
const good = { review_id: 'play-1', app_id: 'blibli', source: 'play', text: 'aplikasinya bagus', rating: 5, created_at: NOW - 1000, ingested_at: NOW };

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
    const dl = deadLetter({ topic: 'ulasan.reviews', partition: 2, offset: '41', key: Buffer.from('k'), value: Buffer.from([1, 2]) }, 'NOT_AVRO', 'bad magic', 'scoring', 5);
    expect(dl.value).toMatchObject({ error_code: 'NOT_AVRO', origin_topic: 'ulasan.reviews', origin_partition: 2, origin_offset: 41, failed_at: 5 });
    expect(dl.value.original_value).toEqual(Buffer.from([1, 2]));
    expect(dl.headers['x-origin-offset']).toBe('41');
    expect(dl.headers['x-ulasan-reason']).toBe('bad magic');
  });
});
