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

interface WordCounts {
  words: number;
  /** Code points in the words (mean_word_length's numerator). */
  chars: number;
  stop: number;
  elongated: number;
}

// Stopword look-ups without a string per word: a word's lower-cased FNV-1a hash is computed while it
// is scanned and checked against a bit set of the stopwords' hashes; only a set bit (every stopword,
// plus ~5 % of other words) builds the word's string for the Set.
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const STOP_FILTER_BITS = 1 << 14;
const STOP_FILTER = new Uint32Array(STOP_FILTER_BITS / 32);
for (const w of STOPWORDS) {
  let h = FNV_OFFSET;
  for (let i = 0; i < w.length; i++) h = Math.imul(h ^ w.charCodeAt(i), FNV_PRIME);
  const bit = h & (STOP_FILTER_BITS - 1);
  STOP_FILTER[bit >>> 5]! |= 1 << (bit & 31);
}
const maybeStopword = (h: number): boolean => {
  const bit = h & (STOP_FILTER_BITS - 1);
  return (STOP_FILTER[bit >>> 5]! & (1 << (bit & 31))) !== 0;
};

const isAsciiAlnum = (c: number): boolean => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57);
const HYPHEN = 45;
const APOSTROPHE = 39;

/**
 * WORD's matches in an ASCII text, counted in one pass over its char codes: a word is a run of
 * letters and digits, continued by a - or ' only when a letter or digit follows (what the regex's
 * (?:[-'][\p{L}\p{N}]+)* matches in ASCII); elongated = the same letter three times in a row.
 */
function asciiWordCounts(s: string): WordCounts {
  const out: WordCounts = { words: 0, chars: 0, stop: 0, elongated: 0 };
  const n = s.length;
  let i = 0;
  while (i < n) {
    if (!isAsciiAlnum(s.charCodeAt(i))) {
      i++;
      continue;
    }
    const start = i;
    let h = FNV_OFFSET;
    let prev = -1;
    let run = 0;
    let elongated = false;
    for (;;) {
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (!isAsciiAlnum(c)) break;
        run = c === prev ? run + 1 : 1;
        if (run >= 3 && c >= 65) elongated = true; // letters are >= 65, digits below
        prev = c;
        h = Math.imul(h ^ (c >= 65 && c <= 90 ? c | 32 : c), FNV_PRIME);
      }
      const j = i < n ? s.charCodeAt(i) : -1;
      if ((j !== HYPHEN && j !== APOSTROPHE) || i + 1 >= n || !isAsciiAlnum(s.charCodeAt(i + 1))) break;
      h = Math.imul(h ^ j, FNV_PRIME);
      prev = j;
      run = 1;
      i++;
    }
    out.words += 1;
    out.chars += i - start;
    if (elongated) out.elongated += 1;
    if (maybeStopword(h >>> 0) && STOPWORDS.has(s.slice(start, i).toLowerCase())) out.stop += 1;
  }
  return out;
}

/** The same counts for any text, with the Unicode property regexes. */
function unicodeWordCounts(s: string): WordCounts {
  const out: WordCounts = { words: 0, chars: 0, stop: 0, elongated: 0 };
  for (const w of s.match(WORD) ?? []) {
    out.words += 1;
    out.chars += countMatches(w, CODE_POINT);
    if (STOPWORDS.has(w.toLowerCase())) out.stop += 1;
    if (ELONGATED_WORD.test(w)) out.elongated += 1;
  }
  return out;
}

export function computeFeatures(text: string, cleaned?: string): Features {
  const n = charCounts(text);
  const urls = mayHaveUrl(text) ? countMatches(text, URL_RE) : 0;
  const withoutUrls = urls ? text.replace(URL_RE, ' ') : text;
  const w = n.ascii ? asciiWordCounts(withoutUrls) : unicodeWordCounts(withoutUrls);
  return {
    feature_set_version: FEATURE_SET_VERSION,
    clean_text: cleaned ?? cleanText(text, EMOJI_FOR_CLEAN),
    word_count: w.words,
    char_count: n.codePoints, // code points, so an emoji counts once
    mean_word_length: w.words ? round(w.chars / w.words) : 0,
    exclamation_count: n.exclamations,
    question_count: n.questions,
    uppercase_ratio: n.letters ? round(n.upper / n.letters) : 0,
    // emoji-regex matches nothing made only of ASCII (keycaps need U+20E3): skip the big regex.
    emoji_count: n.ascii ? 0 : countMatches(text, EMOJI),
    url_count: urls,
    mention_count: text.includes('@') ? countMatches(text, MENTION_RE) : 0,
    hashtag_count: text.includes('#') ? countMatches(text, HASHTAG_RE) : 0,
    digit_ratio: n.nonSpace ? round(n.digits / n.nonSpace) : 0,
    stopword_ratio: w.words ? round(w.stop / w.words) : 0,
    elongated_word_count: w.elongated,
  };
}

/** The text the compact model is trained on and served with (same function on both sides). */
export function modelInputText(text: string): string {
  return cleanText(text, EMOJI_FOR_CLEAN);
}
