// Indonesian text normalisation for reviews: the "clean text" feature and the compact model's input.
// Pure and versioned with the feature set: changing any table here means a new FEATURE_SET_VERSION.

/** Informal spellings common in Indonesian app reviews -> standard forms. */
export const SLANG: Readonly<Record<string, string>> = {
  gak: 'tidak',
  ga: 'tidak',
  gk: 'tidak',
  g: 'tidak',
  nggak: 'tidak',
  ngga: 'tidak',
  enggak: 'tidak',
  engga: 'tidak',
  tdk: 'tidak',
  tak: 'tidak',
  kagak: 'tidak',
  ndak: 'tidak',
  gaada: 'tidak ada',
  gada: 'tidak ada',
  bgt: 'banget',
  bngt: 'banget',
  bgtt: 'banget',
  yg: 'yang',
  dgn: 'dengan',
  dg: 'dengan',
  utk: 'untuk',
  untk: 'untuk',
  krn: 'karena',
  karna: 'karena',
  sdh: 'sudah',
  udh: 'sudah',
  udah: 'sudah',
  dah: 'sudah',
  blm: 'belum',
  blum: 'belum',
  aja: 'saja',
  aj: 'saja',
  tp: 'tapi',
  tpi: 'tapi',
  jd: 'jadi',
  jdi: 'jadi',
  bs: 'bisa',
  bisa2: 'bisa',
  trs: 'terus',
  dr: 'dari',
  dri: 'dari',
  sm: 'sama',
  kalo: 'kalau',
  klo: 'kalau',
  kl: 'kalau',
  gmn: 'bagaimana',
  gimana: 'bagaimana',
  knp: 'kenapa',
  napa: 'kenapa',
  lg: 'lagi',
  lgi: 'lagi',
  msh: 'masih',
  masi: 'masih',
  skrg: 'sekarang',
  skrng: 'sekarang',
  bgs: 'bagus',
  bgus: 'bagus',
  mantab: 'mantap',
  mantul: 'mantap',
  ok: 'oke',
  okey: 'oke',
  okay: 'oke',
  thx: 'terima kasih',
  tq: 'terima kasih',
  makasih: 'terima kasih',
  mksh: 'terima kasih',
  makasi: 'terima kasih',
  trims: 'terima kasih',
  apk: 'aplikasi',
  app: 'aplikasi',
  apps: 'aplikasi',
  aplikasinya: 'aplikasi nya',
  hp: 'handphone',
  sy: 'saya',
  gw: 'saya',
  gue: 'saya',
  tolong: 'tolong',
  plis: 'tolong',
  pls: 'tolong',
  please: 'tolong',
  jg: 'juga',
  jga: 'juga',
  emg: 'memang',
  emang: 'memang',
  bkn: 'bukan',
  sbg: 'sebagai',
  stlh: 'setelah',
  sblm: 'sebelum',
  dpt: 'dapat',
  dapet: 'dapat',
  pake: 'pakai',
  pakek: 'pakai',
  bnyk: 'banyak',
  byk: 'banyak',
  sgt: 'sangat',
  bener: 'benar',
  bnr: 'benar',
  kecewa2: 'kecewa',
  lemot: 'lambat',
  lelet: 'lambat',
};

/** A few emoji carry most of the sentiment in short reviews; map them to words the vocabulary knows. */
export const EMOJI_WORDS: Readonly<Record<string, string>> = {
  '👍': 'bagus',
  '👌': 'bagus',
  '💯': 'bagus',
  '🔥': 'keren',
  '❤': 'suka',
  '❤️': 'suka',
  '😍': 'suka',
  '🥰': 'suka',
  '😊': 'senang',
  '🙂': 'senang',
  '😁': 'senang',
  '😀': 'senang',
  '😃': 'senang',
  '😄': 'senang',
  '🤩': 'keren',
  '⭐': 'bintang',
  '🙏': 'tolong',
  '👎': 'jelek',
  '😡': 'marah',
  '😠': 'marah',
  '🤬': 'marah',
  '😤': 'kesal',
  '😒': 'kesal',
  '😞': 'kecewa',
  '😔': 'kecewa',
  '😢': 'sedih',
  '😭': 'sedih',
  '💩': 'jelek',
  '🤮': 'jelek',
  '😩': 'kesal',
  '😫': 'kesal',
  '🙄': 'kesal',
  '😐': 'biasa',
};

export const URL_RE = /\b(?:https?:\/\/|www\.)\S+/giu;
// Every URL_RE match contains one of these (same flags, so the same case folding): a cheap pre-check.
const URL_HINT = /https?:\/\/|www\./iu;
// eslint-disable-next-line no-control-regex -- the ASCII range starts at NUL on purpose
const NON_ASCII = /[^\x00-\x7f]/;
export const mayHaveUrl = (text: string): boolean => URL_HINT.test(text);
export const MENTION_RE = /(?<![\w@])@[\w.]+/gu;
export const HASHTAG_RE = /(?<![\w#])#(\w+)/gu;
// A letter repeated three or more times ("bagusss", "mantappp") is an elongation, not spelling.
export const ELONGATION_RE = /(\p{L})\1{2,}/gu;

/** Lower-case, drop URLs and mentions, keep hashtag words, undo elongation, map slang and emoji. */
export function cleanText(text: string, emojiRe: RegExp): string {
  // Each step is skipped when it cannot change the text (NFKC and emoji need a non-ASCII character,
  // mentions an @, hashtags a #): same result, most reviews take the short path.
  const ascii = !NON_ASCII.test(text);
  let t = (ascii ? text : text.normalize('NFKC')).toLowerCase();
  if (mayHaveUrl(t)) t = t.replace(URL_RE, ' ');
  if (t.includes('@')) t = t.replace(MENTION_RE, ' ');
  if (t.includes('#')) t = t.replace(HASHTAG_RE, ' $1 ');
  if (!ascii) t = t.replace(emojiRe, (e) => ` ${EMOJI_WORDS[e] ?? EMOJI_WORDS[e.replace(/\uFE0F/g, '')] ?? ' '} `);
  if (ascii) return asciiWords(t);
  t = t.replace(ELONGATION_RE, '$1');
  // Separate punctuation from words (as SmSA is preprocessed) so slang lookup sees bare words.
  t = t.replace(/([!?.,;:()"'])/g, ' $1 ');
  // Words joined by single spaces (slang values hold single spaces only), so no whitespace runs remain.
  return t
    .split(/\s+/u)
    .filter(Boolean)
    .map((w) => (Object.hasOwn(SLANG, w) ? SLANG[w]! : w)) // own keys only: "constructor" is a word, not Object()
    .join(' ');
}

// The ASCII path (most reviews): the elongation, punctuation, split and slang steps above in one pass
// over the char codes, with a string built per word only (issue 31). Same output as the regex steps:
// test/unit/models/features-parity.test.ts checks it against the first definitions.
const PUNCTUATION = new Uint8Array(128);
for (const ch of '!?.,;:()"\'') PUNCTUATION[ch.charCodeAt(0)] = 1;
const SLANG_WORDS = new Map(Object.entries(SLANG)); // own keys only, like Object.hasOwn above

function appendWord(out: string, word: string): string {
  const w = SLANG_WORDS.get(word) ?? word;
  return out === '' ? w : `${out} ${w}`;
}

const isAsciiLetter = (c: number): boolean => (c >= 97 && c <= 122) || (c >= 65 && c <= 90);

/** Lower-cased ASCII text -> its words, punctuation apart, letter runs of 3+ cut to 1, slang mapped. */
function asciiWords(t: string): string {
  let out = '';
  let built = ''; // the word's kept text before an elongated run
  let seg = -1; // start of the word's segment not yet copied; -1 between words
  let skipping = false; // inside an elongated run, past its first letter
  let prev = -1;
  let run = 0;
  for (let i = 0, n = t.length; i <= n; i++) {
    const c = i < n ? t.charCodeAt(i) : 32;
    const space = c === 32 || (c >= 9 && c <= 13);
    if (space || PUNCTUATION[c] === 1) {
      if (seg >= 0) out = appendWord(out, skipping ? built : built + t.slice(seg, i));
      if (!space) out = appendWord(out, t[i]!);
      built = '';
      seg = -1;
      skipping = false;
      prev = -1;
      run = 0;
      continue;
    }
    const letter = isAsciiLetter(c);
    if (letter && c === prev) run++;
    else {
      run = 1;
      prev = letter ? c : -1;
    }
    if (skipping) {
      if (run >= 3) continue;
      skipping = false;
      seg = i;
    } else if (seg < 0) seg = i;
    if (run === 3) {
      // "aaa" -> "a": keep the run's first letter (already in the segment), drop the rest.
      built += t.slice(seg, i - 1);
      skipping = true;
    }
  }
  return out;
}
