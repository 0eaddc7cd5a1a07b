// The optimised feature and clean-text code must give exactly what the plain-regex definitions give
// (features-reference.ts), on every text of the shared data and on hostile input.
import path from 'node:path';
import emojiRegex from 'emoji-regex';
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

  it('cleanText, on every shared text and the hostile cases', () => {
    const re = emojiRegex();
    const bad = [...texts, ...hostile].filter((t) => modelInputText(t) !== referenceCleanText(t, re));
    expect(bad).toEqual([]);
  });
});
