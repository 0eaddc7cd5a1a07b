import { describe, expect, it } from 'vitest';
import {
  FEATURE_NAMES,
  FEATURE_SET_VERSION,
  NUMERIC_FEATURES,
  computeFeatures,
  modelInputText,
} from '../../../models/features/features.js';

const f = (t: string) => computeFeatures(t);

describe('the 14 features', () => {
  it('names 14 features and stamps the feature set version', () => {
    expect(FEATURE_NAMES).toHaveLength(14);
    expect(NUMERIC_FEATURES).toHaveLength(13);
    expect(f('bagus').feature_set_version).toBe(FEATURE_SET_VERSION);
    expect(Object.keys(f('bagus')).sort()).toEqual([...FEATURE_NAMES, 'feature_set_version'].sort());
  });

  it('clean_text: lower-case, URLs and mentions dropped, slang normalised, elongation undone', () => {
    expect(f('Gak BAGUSSS bgt https://t.co/x @cs_blibli #kecewa').clean_text).toBe('tidak bagus banget kecewa');
    expect(f('udh lemot, ga bisa login!!').clean_text).toBe('sudah lambat , tidak bisa login ! !');
    expect(f('mantap 👍').clean_text).toBe('mantap bagus');
  });
  it('word_count and char_count (emoji count as one character)', () => {
    expect(f('aplikasi ini bagus').word_count).toBe(3);
    expect(f('ok 👍').char_count).toBe(4);
  });
  it('mean_word_length', () => expect(f('ab abcd').mean_word_length).toBe(3));
  it('exclamation_count and question_count', () => {
    expect(f('kenapa?? error!!!').exclamation_count).toBe(3);
    expect(f('kenapa?? error!!!').question_count).toBe(2);
  });
  it('uppercase_ratio over letters', () => expect(f('ABcd 12').uppercase_ratio).toBe(0.5));
  it('emoji_count', () => expect(f('😀 bagus 👍👍').emoji_count).toBe(3));
  it('url_count, mention_count, hashtag_count', () => {
    const x = f('lihat https://a.id dan www.b.com @admin @cs #promo #diskon #murah');
    expect([x.url_count, x.mention_count, x.hashtag_count]).toEqual([2, 2, 3]);
  });
  it('digit_ratio over non-space characters', () => expect(f('ab 12').digit_ratio).toBe(0.5));
  it('stopword_ratio from the stopword package Indonesian list', () =>
    expect(f('saya suka aplikasi ini').stopword_ratio).toBe(0.5));
  it('elongated_word_count', () => expect(f('bagusss bangettt oke').elongated_word_count).toBe(2));

  it('gives zeros, not NaN, for empty text', () => {
    const x = f('');
    for (const k of NUMERIC_FEATURES) expect(x[k]).toBe(0);
  });

  it('feeds the compact model the same cleaned text', () => {
    expect(modelInputText('Gak BAGUSSS')).toBe(f('Gak BAGUSSS').clean_text);
  });
});
