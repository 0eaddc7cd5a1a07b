// The word forms a taxonomy pattern word also matches, generated once when a tagger is compiled, so
// tagging a review is one Map lookup per token (no stemming on the hot path). Indonesian: the
// prefixes di-/ter-/ke-/se-/ber-/per- as they are, me-/pe- with their nasal assimilation
// (bayar -> membayar/pembayaran, kirim -> mengirim/pengiriman, potong -> memotong, sambung ->
// menyambung, terima -> menerima), the colloquial nasal forms (ngirim, nyambung, ngelag), the
// suffixes -nya/-kan/-in/-an/-i/-lah/-ku/-mu and their pairs (-kannya, -annya, -innya), and every
// prefix with every suffix. English: -s/-es/-ed/-ing with the usual spelling changes.

const ID_SUFFIXES = ['', 'nya', 'kan', 'in', 'an', 'i', 'lah', 'ku', 'mu', 'kannya', 'annya', 'innya', 'inya'];
const PLAIN_PREFIXES = ['', 'di', 'ter', 'ke', 'se', 'ber', 'per', 'diper', 'keter'];
const VOWEL = /^[aiueo]/;

/** me-/pe- with the nasal the first letter takes, and the dropped first letter of k/p/s/t. */
function nasalStems(b: string): string[] {
  const c = b[0] ?? '';
  if (/[lmnrwy]/.test(c)) return [b];
  if (/[bfv]/.test(c)) return [`m${b}`];
  if (c === 'p') return [`m${b.slice(1)}`, `m${b}`];
  if (/[dcjz]/.test(c)) return [`n${b}`];
  if (c === 't') return [`n${b.slice(1)}`, `n${b}`];
  if (c === 's') return [`ny${b.slice(1)}`, `n${b}`];
  if (c === 'k') return [`ng${b.slice(1)}`, `ng${b}`];
  return [`ng${b}`]; // g, h and vowels
}

/** Spoken Jakarta forms: ngirim, nyambung, motong, ngelag/ngebug (nge- before any word). */
function colloquial(b: string): string[] {
  const c = b[0] ?? '';
  const out = [`nge${b}`];
  if (VOWEL.test(b) || c === 'k') out.push(`ng${c === 'k' ? b.slice(1) : b}`);
  if (c === 's') out.push(`ny${b.slice(1)}`);
  if (c === 'p') out.push(`m${b.slice(1)}`);
  return out;
}

/** Every prefixed and suffixed form of an Indonesian word (the word itself included). */
export function indonesianForms(base: string): string[] {
  const stems = new Set<string>();
  for (const p of PLAIN_PREFIXES) stems.add(p + base);
  for (const nasal of nasalStems(base)) {
    stems.add(`me${nasal}`);
    stems.add(`pe${nasal}`);
  }
  for (const c of colloquial(base)) stems.add(c);
  const out = new Set<string>();
  for (const s of stems) for (const suffix of ID_SUFFIXES) out.add(s + suffix);
  return [...out];
}

const CVC = /[^aeiou][aeiou][^aeiouwxy]$/;

/** The base and its -s/-es/-ed/-ing forms (crash -> crashes/crashed/crashing, log -> logging, verify -> verified). */
export function englishForms(base: string): string[] {
  const out = new Set([base, `${base}s`, `${base}es`, `${base}ed`, `${base}ing`]);
  if (base.endsWith('e')) {
    out.add(`${base}d`);
    out.add(`${base.slice(0, -1)}ing`);
  }
  if (base.endsWith('y') && base.length > 2) {
    out.add(`${base.slice(0, -1)}ies`);
    out.add(`${base.slice(0, -1)}ied`);
  }
  if (base.length <= 4 && CVC.test(base)) {
    const last = base[base.length - 1];
    out.add(`${base}${last}ing`);
    out.add(`${base}${last}ed`);
  }
  return [...out];
}

/** A word with every run of a doubled letter written once ("lemott" -> "lemot"), a common misspelling. */
export function collapseDoubles(word: string): string {
  let out = '';
  for (let i = 0; i < word.length; i++) if (word[i] !== word[i - 1]) out += word[i];
  return out;
}

/** Whether a word holds a doubled letter (cheap pre-check before collapseDoubles on the hot path). */
export function hasDouble(word: string): boolean {
  for (let i = 1; i < word.length; i++) if (word.charCodeAt(i) === word.charCodeAt(i - 1)) return true;
  return false;
}
