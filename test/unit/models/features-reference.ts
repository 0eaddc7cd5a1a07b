// The first, plain-regex definitions of computeFeatures and cleanText, kept verbatim as the reference
// the optimised ones must match exactly (features-parity.test.ts). Test code only.
import emojiRegex from 'emoji-regex';
import { ind as INDONESIAN_STOPWORDS } from 'stopword';
import {
  ELONGATION_RE,
  EMOJI_WORDS,
  HASHTAG_RE,
  MENTION_RE,
  SLANG,
  URL_RE,
} from '../../../models/features/normalize.js';
import { FEATURE_SET_VERSION, type Features } from '../../../models/features/features.js';

const STOPWORDS = new Set(INDONESIAN_STOPWORDS);
const EMOJI = emojiRegex();
const EMOJI_FOR_CLEAN = emojiRegex();
const WORD = /[\p{L}\p{N}]+(?:[-'][\p{L}\p{N}]+)*/gu;
const ELONGATED_WORD = /(\p{L})\1{2,}/u;
const LETTER = /\p{L}/gu;
const UPPER = /\p{Lu}/gu;
const DIGIT = /\p{Nd}/gu;
const NON_SPACE = /\S/gu;
const CODE_POINT = /[\s\S]/gu;

/** Lower-case, drop URLs and mentions, keep hashtag words, undo elongation, map slang and emoji. */
export function referenceCleanText(text: string, emojiRe: RegExp): string {
  let t = text.normalize('NFKC').toLowerCase();
  t = t.replace(URL_RE, ' ').replace(MENTION_RE, ' ').replace(HASHTAG_RE, ' $1 ');
  t = t.replace(emojiRe, (e) => ` ${EMOJI_WORDS[e] ?? EMOJI_WORDS[e.replace(/\uFE0F/g, '')] ?? ' '} `);
  t = t.replace(ELONGATION_RE, '$1');
  // Separate punctuation from words (as SmSA is preprocessed) so slang lookup sees bare words.
  t = t.replace(/([!?.,;:()"'])/g, ' $1 ');
  return t
    .split(/\s+/u)
    .filter(Boolean)
    .map((w) => (Object.hasOwn(SLANG, w) ? SLANG[w]! : w)) // own keys only, as normalize.ts: "__proto__" is a word
    .join(' ')
    .replace(/\s+/gu, ' ')
    .trim();
}

const round = (x: number): number => Math.round(x * 1e4) / 1e4;
const countMatches = (text: string, re: RegExp): number => (text.match(re) ?? []).length;

export function referenceFeatures(text: string, cleaned?: string): Features {
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
    clean_text: cleaned ?? referenceCleanText(text, EMOJI_FOR_CLEAN),
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
