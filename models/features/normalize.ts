// Indonesian text normalisation for reviews: the "clean text" feature and the compact model's input.
// Pure and versioned with the feature set: changing any table here means a new FEATURE_SET_VERSION.

/** Informal spellings common in Indonesian app reviews -> standard forms. */
export const SLANG: Readonly<Record<string, string>> = {
  gak: 'tidak', ga: 'tidak', gk: 'tidak', g: 'tidak', nggak: 'tidak', ngga: 'tidak', enggak: 'tidak', engga: 'tidak',
  tdk: 'tidak', tak: 'tidak', kagak: 'tidak', ndak: 'tidak', gaada: 'tidak ada', gada: 'tidak ada',
  bgt: 'banget', bngt: 'banget', bgtt: 'banget', yg: 'yang', dgn: 'dengan', dg: 'dengan', utk: 'untuk', untk: 'untuk',
  krn: 'karena', karna: 'karena', sdh: 'sudah', udh: 'sudah', udah: 'sudah', dah: 'sudah', blm: 'belum', blum: 'belum',
  aja: 'saja', aj: 'saja', tp: 'tapi', tpi: 'tapi', jd: 'jadi', jdi: 'jadi', bs: 'bisa', bisa2: 'bisa', trs: 'terus',
  dr: 'dari', dri: 'dari', sm: 'sama', kalo: 'kalau', klo: 'kalau', kl: 'kalau', gmn: 'bagaimana', gimana: 'bagaimana',
  knp: 'kenapa', napa: 'kenapa', lg: 'lagi', lgi: 'lagi', msh: 'masih', masi: 'masih', skrg: 'sekarang', skrng: 'sekarang',
  bgs: 'bagus', bgus: 'bagus', mantab: 'mantap', mantul: 'mantap', ok: 'oke', okey: 'oke', okay: 'oke',
  thx: 'terima kasih', tq: 'terima kasih', makasih: 'terima kasih', mksh: 'terima kasih', makasi: 'terima kasih', trims: 'terima kasih',
  apk: 'aplikasi', app: 'aplikasi', apps: 'aplikasi', aplikasinya: 'aplikasi nya', hp: 'handphone', sy: 'saya', gw: 'saya', gue: 'saya',
  tolong: 'tolong', plis: 'tolong', pls: 'tolong', please: 'tolong', jg: 'juga', jga: 'juga', emg: 'memang', emang: 'memang',
  bkn: 'bukan', sbg: 'sebagai', stlh: 'setelah', sblm: 'sebelum', dpt: 'dapat', dapet: 'dapat', pake: 'pakai', pakek: 'pakai',
  bnyk: 'banyak', byk: 'banyak', sgt: 'sangat', bener: 'benar', bnr: 'benar', kecewa2: 'kecewa', lemot: 'lambat', lelet: 'lambat',
};

/** A few emoji carry most of the sentiment in short reviews; map them to words the vocabulary knows. */
export const EMOJI_WORDS: Readonly<Record<string, string>> = {
  '👍': 'bagus', '👌': 'bagus', '💯': 'bagus', '🔥': 'keren', '❤': 'suka', '❤️': 'suka', '😍': 'suka', '🥰': 'suka', '😊': 'senang',
  '🙂': 'senang', '😁': 'senang', '😀': 'senang', '😃': 'senang', '😄': 'senang', '🤩': 'keren', '⭐': 'bintang', '🙏': 'tolong',
  '👎': 'jelek', '😡': 'marah', '😠': 'marah', '🤬': 'marah', '😤': 'kesal', '😒': 'kesal', '😞': 'kecewa', '😔': 'kecewa',
  '😢': 'sedih', '😭': 'sedih', '💩': 'jelek', '🤮': 'jelek', '😩': 'kesal', '😫': 'kesal', '🙄': 'kesal', '😐': 'biasa',
};

export const URL_RE = /\b(?:https?:\/\/|www\.)\S+/giu;
export const MENTION_RE = /(?<![\w@])@[\w.]+/gu;
export const HASHTAG_RE = /(?<![\w#])#(\w+)/gu;
// A letter repeated three or more times ("bagusss", "mantappp") is an elongation, not spelling.
export const ELONGATION_RE = /(\p{L})\1{2,}/gu;

/** Lower-case, drop URLs and mentions, keep hashtag words, undo elongation, map slang and emoji. */
export function cleanText(text: string, emojiRe: RegExp): string {
  let t = text.normalize('NFKC').toLowerCase();
  t = t.replace(URL_RE, ' ').replace(MENTION_RE, ' ').replace(HASHTAG_RE, ' $1 ');
  t = t.replace(emojiRe, (e) => ` ${EMOJI_WORDS[e] ?? EMOJI_WORDS[e.replace(/\uFE0F/g, '')] ?? ' '} `);
  t = t.replace(ELONGATION_RE, '$1');
  // Separate punctuation from words (as SmSA is preprocessed) so slang lookup sees bare words.
  t = t.replace(/([!?.,;:()"'])/g, ' $1 ');
  return t
    .split(/\s+/u)
    .filter(Boolean)
    .map((w) => SLANG[w] ?? w)
    .join(' ')
    .replace(/\s+/gu, ' ')
    .trim();
}
