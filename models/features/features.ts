// The feature store's one definition: 14 features of a review text (the cleaned text plus 13
// numeric ones), computed the same way by serving (the scoring processor) and by training.
// Pure: no I/O. Bump FEATURE_SET_VERSION whenever any definition or table changes.
import emojiRegex from 'emoji-regex';
import { ind as INDONESIAN_STOPWORDS } from 'stopword';
import { HASHTAG_RE, MENTION_RE, URL_RE, cleanText } from './normalize.js';

export const FEATURE_SET_VERSION = 'fs-1';

export const NUMERIC_FEATURES = [
  'word_count',
  'char_count',
  'mean_word_length',
  'exclamation_count',
  'question_count',
  'uppercase_ratio',
  'emoji_count',
  'url_count',
  'mention_count',
  'hashtag_count',
  'digit_ratio',
  'stopword_ratio',
  'elongated_word_count',
] as const;
export type NumericFeature = (typeof NUMERIC_FEATURES)[number];

/** All 14 feature names, in storage order. */
export const FEATURE_NAMES = ['clean_text', ...NUMERIC_FEATURES] as const;

export type Features = { feature_set_version: string; clean_text: string } & Record<NumericFeature, number>;

const STOPWORDS = new Set(INDONESIAN_STOPWORDS);
const EMOJI = emojiRegex();
const WORD = /[\p{L}\p{N}]+(?:[-'][\p{L}\p{N}]+)*/gu;
const ELONGATED_WORD = /(\p{L})\1{2,}/u;

const round = (x: number): number => Math.round(x * 1e4) / 1e4;
const countMatches = (text: string, re: RegExp): number => (text.match(re) ?? []).length;

export function computeFeatures(text: string): Features {
  const chars = [...text]; // code points, so an emoji counts once
  const letters = chars.filter((c) => /\p{L}/u.test(c));
  const upper = letters.filter((c) => c !== c.toLowerCase() && c === c.toUpperCase()).length;
  const withoutUrls = text.replace(URL_RE, ' ');
  const words = withoutUrls.match(WORD) ?? [];
  const lowerWords = words.map((w) => w.toLowerCase());
  const digits = chars.filter((c) => /\p{Nd}/u.test(c)).length;
  const nonSpace = chars.filter((c) => !/\s/u.test(c)).length;
  return {
    feature_set_version: FEATURE_SET_VERSION,
    clean_text: cleanText(text, emojiRegex()),
    word_count: words.length,
    char_count: chars.length,
    mean_word_length: words.length ? round(words.reduce((s, w) => s + [...w].length, 0) / words.length) : 0,
    exclamation_count: countMatches(text, /!/g),
    question_count: countMatches(text, /\?/g),
    uppercase_ratio: letters.length ? round(upper / letters.length) : 0,
    emoji_count: countMatches(text, EMOJI),
    url_count: countMatches(text, URL_RE),
    mention_count: countMatches(text, MENTION_RE),
    hashtag_count: countMatches(text, HASHTAG_RE),
    digit_ratio: nonSpace ? round(digits / nonSpace) : 0,
    stopword_ratio: lowerWords.length ? round(lowerWords.filter((w) => STOPWORDS.has(w)).length / lowerWords.length) : 0,
    elongated_word_count: words.filter((w) => ELONGATED_WORD.test(w)).length,
  };
}

/** The text the compact model is trained on and served with (same function on both sides). */
export function modelInputText(text: string): string {
  return cleanText(text, emojiRegex());
}
