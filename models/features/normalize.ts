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
