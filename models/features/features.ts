// The feature store's one definition: 14 features of a review text (the cleaned text plus 13
// numeric ones), computed the same way by serving (the scoring processor) and by training.
// Pure: no I/O. Bump FEATURE_SET_VERSION whenever any definition or table changes.
import emojiRegex from 'emoji-regex';
import { ind as INDONESIAN_STOPWORDS } from 'stopword';
import { HASHTAG_RE, MENTION_RE, URL_RE, cleanText, mayHaveUrl } from './normalize.js';

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

// One character loop with an ASCII fast path (98 % of the shared data is pure ASCII); other code
// points fall back to the Unicode property regexes. Exact parity with the plain-regex definitions
// (kept in test/unit/models/features-reference.ts) is tested on every text of the shared data.
const LETTER1 = /^\p{L}$/u;
const UPPER1 = /^\p{Lu}$/u;
const DIGIT1 = /^\p{Nd}$/u;
const SPACE1 = /^\s$/u;
const CODE_POINT = /[\s\S]/gu;

interface CharCounts {
  letters: number;
  upper: number;
  digits: number;
  nonSpace: number;
  codePoints: number;
  exclamations: number;
  questions: number;
  ascii: boolean;
}

function charCounts(text: string): CharCounts {
  const n: CharCounts = {
    letters: 0,
    upper: 0,
    digits: 0,
    nonSpace: 0,
    codePoints: 0,
    exclamations: 0,
    questions: 0,
    ascii: true,
  };
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    n.codePoints += 1;
    if (c < 128) {
      if (c >= 97 && c <= 122) n.letters += 1;
      else if (c >= 65 && c <= 90) {
        n.letters += 1;
        n.upper += 1;
      } else if (c >= 48 && c <= 57) n.digits += 1;
      else if (c === 33) n.exclamations += 1;
      else if (c === 63) n.questions += 1;
      if (c !== 32 && (c < 9 || c > 13)) n.nonSpace += 1;
      continue;
    }
    n.ascii = false;
    let ch = text[i]!;
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        ch = text.slice(i, i + 2);
        i += 1;
      }
    }
    if (LETTER1.test(ch)) {
      n.letters += 1;
      if (UPPER1.test(ch)) n.upper += 1;
    } else if (DIGIT1.test(ch)) n.digits += 1;
    if (!SPACE1.test(ch)) n.nonSpace += 1;
  }
  return n;
}

/** Three equal letters in a row, checked cheaply before the (slower) Unicode regex. */
function elongated(w: string, ascii: boolean): boolean {
  if (ascii) {
    for (let i = 2; i < w.length; i++) {
      const c = w.charCodeAt(i);
      if (c === w.charCodeAt(i - 1) && c === w.charCodeAt(i - 2) && (c | 32) >= 97 && (c | 32) <= 122) return true;
    }
    return false;
  }
  return ELONGATED_WORD.test(w);
}

export function computeFeatures(text: string, cleaned?: string): Features {
  const n = charCounts(text);
  const urls = mayHaveUrl(text) ? countMatches(text, URL_RE) : 0;
  const words = (urls ? text.replace(URL_RE, ' ') : text).match(WORD) ?? [];
  let wordChars = 0;
  let stop = 0;
  let elongatedWords = 0;
  for (const w of words) {
    wordChars += n.ascii ? w.length : countMatches(w, CODE_POINT);
    if (STOPWORDS.has(w.toLowerCase())) stop += 1;
    if (elongated(w, n.ascii)) elongatedWords += 1;
  }
  return {
    feature_set_version: FEATURE_SET_VERSION,
    clean_text: cleaned ?? cleanText(text, EMOJI_FOR_CLEAN),
    word_count: words.length,
    char_count: n.codePoints, // code points, so an emoji counts once
    mean_word_length: words.length ? round(wordChars / words.length) : 0,
    exclamation_count: n.exclamations,
    question_count: n.questions,
    uppercase_ratio: n.letters ? round(n.upper / n.letters) : 0,
    // emoji-regex matches nothing made only of ASCII (keycaps need U+20E3): skip the big regex.
    emoji_count: n.ascii ? 0 : countMatches(text, EMOJI),
    url_count: urls,
    mention_count: text.includes('@') ? countMatches(text, MENTION_RE) : 0,
    hashtag_count: text.includes('#') ? countMatches(text, HASHTAG_RE) : 0,
    digit_ratio: n.nonSpace ? round(n.digits / n.nonSpace) : 0,
    stopword_ratio: words.length ? round(stop / words.length) : 0,
    elongated_word_count: elongatedWords,
  };
}

/** The text the compact model is trained on and served with (same function on both sides). */
export function modelInputText(text: string): string {
  return cleanText(text, EMOJI_FOR_CLEAN);
}
