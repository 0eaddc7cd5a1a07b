// The optimised feature and clean-text code must give exactly what the plain-regex definitions give
// (features-reference.ts), on every text of the shared data and on hostile input.
import path from 'node:path';
import emojiRegex from 'emoji-regex';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { computeFeatures, modelInputText } from '../../../models/features/features.js';
import { readLabelledFile } from '../../../platform/datasets.js';
import { DATA } from './fixtures.js';
import { referenceCleanText, referenceFeatures } from './features-reference.js';

const texts = [
  ...readLabelledFile(path.join(DATA, 'app-reviews/train.csv')),
  ...readLabelledFile(path.join(DATA, 'smsa/train_preprocess.tsv')),
  ...readLabelledFile(path.join(DATA, 'smsa/valid_preprocess.tsv')),
].map((r) => r.text);
const ascii = Array.from({ length: 128 }, (_, i) => String.fromCharCode(i)).join('');
const hostile = [
  '',
  ' ',
  ascii,
  ascii.toUpperCase().repeat(3),
  'Gak BAGUSSS bgt https://t.co/x @cs_blibli #kecewa',
  'HTTPS://X.ID www.A.com httpſ://kelvin',
  '😀😀👍 mantap👍❤️ 1️⃣ #️⃣ ©®',
  'rusak \uD83D teks \uDC00 akhir \uD83D',
  'Café NAÏVE ÀÉÎ ÅNGSTRÖM ﬁ ①② Ａｐｌｉｋａｓｉ',
  'これは日本語です and 中文',
  'nol\u0000kontrol\u0007 tab\tbaris\nbaru\r\n nbsp\u00a0em\u2003 \u200b\u200d\ufeff',
  'ÉÉÉ ééé aaa AAa 111 --- ßßß',
  '١٢٣ ๑๒๓ arab digits',
  `${'a'.repeat(150)} panjang`,
  'kata '.repeat(300),
  "don't co-op x-y-z '' --",
  '@@ ## #tag@x a@b @a.b.c #',
];

describe('optimised features equal the reference definitions', () => {
  it('emoji-regex matches nothing made only of ASCII (the fast path relies on it)', () => {
    expect(ascii.match(emojiRegex())).toBeNull();
    expect(`${ascii}${ascii}`.match(emojiRegex())).toBeNull();
  });

  it('computeFeatures, on every shared text and the hostile cases', () => {
    const all = [...texts, ...hostile];
    expect(all.length).toBeGreaterThan(18_000);
    const bad = all.filter((t) => JSON.stringify(computeFeatures(t)) !== JSON.stringify(referenceFeatures(t)));
    expect(bad).toEqual([]);
  });

  it('computeFeatures, on generated edge strings (word joiners, case, stopwords, elongation, unicode, emoji, long)', () => {
    // Pieces that sit on the fast paths' boundaries: ASCII word joiners and runs, stopwords in any case
    // (hyphenated ones too), URLs, mentions, hashtags, non-ASCII letters/digits, emoji, lone surrogates.
    const piece = fc.constantFrom(
      ...['a', 'A', 'z', 'Z', '0', '9', '-', "'", ' ', '\t', '\n', '!', '?', '.', '@', '#', '_', '/', ':'],
      ...['aaa', 'AAA', 'aAa', '111', "a'b", 'x-y', '--', "''", '-a', "a'", 'yang', 'YANG', 'Dan', 'kira-kira'],
      ...['Masing-Masing', 'sama-sama-', 'bagusss', 'https://t.co/x', 'www.a.id', '@cs_x', '#promo', 'é', 'É'],
      ...['ß', 'ﬁ', 'Ａ', '①', '٣', '😀', '👍🏽', '❤️', '1️⃣', '\uD83D', '\uDC00', '\u00a0', '\u200b', 'ééé'],
    );
    const edgeText = fc.oneof(
      fc.array(piece, { maxLength: 40 }).map((a) => a.join('')),
      fc.array(fc.oneof(piece, fc.string({ unit: 'binary', maxLength: 3 })), { maxLength: 30 }).map((a) => a.join('')),
      fc.string({ unit: 'grapheme', maxLength: 60 }),
      fc.tuple(piece, fc.integer({ min: 100, max: 2000 })).map(([p, n]) => `${p} `.repeat(n)),
    );
    fc.assert(
      fc.property(edgeText, (t) => {
        expect(computeFeatures(t)).toEqual(referenceFeatures(t));
      }),
      { numRuns: 3000 },
    );
  });

  it('cleanText, on generated ASCII strings (the one-pass path: runs, punctuation, whitespace, slang)', () => {
    const re = emojiRegex();
    const unit = fc.constantFrom(
      ...'aAbBzZ019_-@#/:'.split(''),
      ...'!?.,;:()"\''.split(''),
      ...[' ', '  ', '\t', '\n', '\r', '\v', '\f'],
      ...['aaa', 'AAAA', 'aAa', 'bbbbb', '111', '!!!', 'gak', 'GAK', 'tdk', 'bgtt', 'gaada', 'constructor'],
      ...['__proto__', 'toString', 'www.', 'http://x.id', '@user', '#tag'],
    );
    const ascii = fc.array(unit, { maxLength: 40 }).map((a) => a.join(''));
    fc.assert(
      fc.property(ascii, (t) => {
        expect(modelInputText(t)).toBe(referenceCleanText(t, re));
      }),
      { numRuns: 5000 },
    );
  });

  it('cleanText, on every shared text and the hostile cases', () => {
    const re = emojiRegex();
    const bad = [...texts, ...hostile].filter((t) => modelInputText(t) !== referenceCleanText(t, re));
    expect(bad).toEqual([]);
  });
});
