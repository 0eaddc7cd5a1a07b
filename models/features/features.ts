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
const EMOJI_FOR_CLEAN = emojiRegex();
const WORD = /[\p{L}\p{N}]+(?:[-'][\p{L}\p{N}]+)*/gu;
const ELONGATED_WORD = /(\p{L})\1{2,}/u;

const round = (x: number): number => Math.round(x * 1e4) / 1e4;
const countMatches = (text: string, re: RegExp): number => (text.match(re) ?? []).length;

// Global regexes count in one native pass each; testing characters one by one was the slow part.
const LETTER = /\p{L}/gu;
const UPPER = /\p{Lu}/gu;
const DIGIT = /\p{Nd}/gu;
const NON_SPACE = /\S/gu;
const CODE_POINT = /[\s\S]/gu;

export function computeFeatures(text: string, cleaned?: string): Features {
  const letters = countMatches(text, LETTER);
  const upper = countMatches(text, UPPER);
  const withoutUrls = text.replace(URL_RE, ' ');
  const words = withoutUrls.match(WORD) ?? [];
  const digits = countMatches(text, DIGIT);
  const nonSpace = countMatches(text, NON_SPACE);
  let wordChars = 0;
  let stop = 0;
  let elongated = 0;
  for (const w of words) {
    wordChars += countMatches(w, CODE_POINT);
    if (STOPWORDS.has(w.toLowerCase())) stop += 1;
    if (ELONGATED_WORD.test(w)) elongated += 1;
  }
  return {
    feature_set_version: FEATURE_SET_VERSION,
    clean_text: cleaned ?? cleanText(text, EMOJI_FOR_CLEAN),
    word_count: words.length,
    char_count: countMatches(text, CODE_POINT), // code points, so an emoji counts once
    mean_word_length: words.length ? round(wordChars / words.length) : 0,
    exclamation_count: countMatches(text, /!/g),
    question_count: countMatches(text, /\?/g),
    uppercase_ratio: letters ? round(upper / letters) : 0,
    emoji_count: countMatches(text, EMOJI),
    url_count: countMatches(text, URL_RE),
    mention_count: countMatches(text, MENTION_RE),
    hashtag_count: countMatches(text, HASHTAG_RE),
    digit_ratio: nonSpace ? round(digits / nonSpace) : 0,
    stopword_ratio: words.length ? round(stop / words.length) : 0,
    elongated_word_count: elongated,
  };
}

/** The text the compact model is trained on and served with (same function on both sides). */
export function modelInputText(text: string): string {
  return cleanText(text, EMOJI_FOR_CLEAN);
}
