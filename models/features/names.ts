// Name masking: app, brand, bank, operator, e-wallet, marketplace and store names become one
// placeholder token before the compact model tokenizes, at training and at serving time (or, with a
// manifest's `name_masking.at: "serve"`, at serving time only), so a review's verdict does not depend
// on which app it names (an invariance the per-app status page relies on).
// The masker runs on the model's clean text (lower-case, punctuation split off, slang mapped, single
// spaces), so names are normalised the same way once, when the list is compiled, and matched as word
// sequences in a trie: one Map lookup per word of the review whatever the list's size, multi-word
// names ("livin by mandiri", "tiket.com" -> "tiket . com") take the longest match, case cannot differ.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { UlasanError } from '../../platform/errors.js';
import { modelInputText } from './features.js';

/**
 * Every name becomes the demonstrative `ini` ("this"): `aplikasi shopee` reads as `aplikasi ini`.
 * A dedicated token (the vocabulary's [MASK]) was measured first and kept a 3.4-3.9 point shift in
 * label shares against `aplikasi ini`, with or without counterfactual copies (docs/model-card.md):
 * a token seen only where names stood learns the mood of those reviews, and the phrase
 * `aplikasi ini` leans positive from thousands of app reviews. `ini` has that support already.
 */
export const NAME_PLACEHOLDER = 'ini';
/**
 * Version of the masking rules below (a package records it; a package that lacks it is not masked).
 * 2: a list's `in_context` names are masked only after one of its `after` words (a v1 list has none).
 * 3: a name's web-address tail (`shopee.co.id`, `traveloka.com`) and a trailing `indonesia` go with
 *    it, and a hyphenated word is matched by its parts (`bca-mobile`, `ovo-nya`, `gopay-nya`).
 */
export const NAME_MASKING_VERSION = 3;
/** Web-address endings the clean text writes as `. com`, `. co . id`: part of the name before them. */
const ADDRESS_ENDINGS = new Set(['com', 'id', 'co', 'net', 'org', 'app', 'io']);
/** The country word that app names carry (`shopee indonesia`): part of the name. */
const COUNTRY_WORD = 'indonesia';
/** The shipped list (models/features/names.json). */
export const SHIPPED_NAMES_FILE = path.join(import.meta.dirname, 'names.json');

export interface NameList {
  version: number;
  description?: string;
  /** Names by category (the categories only document the list). */
  names: Record<string, string[]>;
  /**
   * One-word names that are also ordinary words (`dana` is "funds", `airy` an English adjective):
   * masked only right after one of `after` (`aplikasi dana`, `pakai dana`) or as the review's own app.
   */
  in_context?: { names: string[]; after: string[] };
}

interface TrieNode {
  next: Map<string, TrieNode>;
  /** A name ends at this word. */
  end: boolean;
}

const node = (): TrieNode => ({ next: new Map(), end: false });

// Indonesian's possessive/definite suffix is written onto the word ("shopeenya", "bliblinya").
const SUFFIX = 'nya';

/** A compiled name list. */
export class NameMasker {
  private readonly root = node();
  readonly size: number;
  private readonly inContext: ReadonlySet<string>;
  private readonly after: ReadonlySet<string>;

  constructor(
    names: Iterable<string>,
    readonly placeholder = NAME_PLACEHOLDER,
    inContext?: NameList['in_context'],
    /** The rules version (a package's `name_masking.version`): a package masks as it was trained. */
    readonly rules = NAME_MASKING_VERSION,
  ) {
    const words = (list: string[] = []) => new Set(list.map((w) => modelInputText(w)).filter(Boolean));
    this.inContext = words(inContext?.names);
    this.after = words(inContext?.after);
    let size = 0;
    for (const name of names) {
      const words = modelInputText(name).split(' ').filter(Boolean);
      if (!words.length) continue;
      let at = this.root;
      for (const w of words) {
        let next = at.next.get(w);
        if (!next) at.next.set(w, (next = node()));
        at = next;
      }
      if (!at.end) size += 1;
      at.end = true;
    }
    this.size = size;
  }

  /** Words matched by the longest name starting at words[i] (0: none). */
  matchAt(words: readonly string[], i: number): number {
    let at: TrieNode | undefined = this.root;
    let best = 0;
    for (let k = i; k < words.length; k++) {
      at = at.next.get(words[k]!);
      if (!at) break;
      if (at.end) best = k - i + 1;
    }
    return best;
  }

  /** Whether `word` is a one-word name with the `-nya` suffix written on. */
  suffixed(word: string): boolean {
    if (word.length <= SUFFIX.length + 2 || !word.endsWith(SUFFIX)) return false;
    return this.root.next.get(word.slice(0, -SUFFIX.length))?.end === true;
  }

  /** An `in_context` name (bare or with `-nya`) at words[i] that no `after` word precedes: left as it is. */
  private outOfContext(words: readonly string[], i: number, matched: number): boolean {
    if (matched > 1 || !this.inContext.size) return false;
    const w = words[i]!;
    const bare = matched === 1 ? w : w.slice(0, -SUFFIX.length);
    return this.inContext.has(bare) && !(i > 0 && this.after.has(words[i - 1]!));
  }

  private matchHere(words: readonly string[], i: number): number {
    const n = this.matchAt(words, i);
    return n > 0 && this.outOfContext(words, i, n) ? 0 : n;
  }

  private suffixedHere(words: readonly string[], i: number): boolean {
    return this.suffixed(words[i]!) && !this.outOfContext(words, i, 0);
  }

  /** Words after a name at `end` that belong to it (rules 3): `. co . id`, `. com`, `indonesia`. */
  private tailAt(words: readonly string[], end: number): number {
    if (this.rules < 3) return 0;
    let k = end;
    while (words[k] === '.' && ADDRESS_ENDINGS.has(words[k + 1]!)) k += 2;
    if (words[k] === COUNTRY_WORD) k += 1;
    return k - end;
  }

  /**
   * A hyphenated word whose parts start with a name (rules 3): `bca-mobile` -> [placeholder],
   * `ovo-nya` -> [placeholder, nya], `lazada-kurir` -> [placeholder, kurir]; null when they do not.
   */
  private hyphenated(words: readonly string[], i: number, extra?: NameMasker | null): string[] | null {
    const w = words[i]!;
    if (this.rules < 3 || !w.includes('-')) return null;
    const parts = [...(i > 0 ? [words[i - 1]!] : []), ...w.split('-').filter(Boolean)];
    const at = i > 0 ? 1 : 0;
    const n = Math.max(this.matchHere(parts, at), extra ? extra.matchAt(parts, at) : 0);
    if (n === 0) return null;
    return [this.placeholder, ...parts.slice(at + n)];
  }

  /**
   * The clean text with every listed name (and every name of `extra`, e.g. the review's own app)
   * replaced by the placeholder; `shopeenya` becomes `ini nya`, as `aplikasinya` is `aplikasi nya`.
   */
  mask(cleaned: string, extra?: NameMasker | null): string {
    const words = cleaned.split(' ');
    const out: string[] = [];
    let changed = false;
    for (let i = 0; i < words.length;) {
      const n = Math.max(this.matchHere(words, i), extra ? extra.matchAt(words, i) : 0);
      const parts = n > 0 ? null : this.hyphenated(words, i, extra);
      if (n > 0) {
        out.push(this.placeholder);
        i += n;
        i += this.tailAt(words, i);
        changed = true;
      } else if (parts) {
        out.push(...parts);
        i += 1;
        changed = true;
      } else if (this.suffixedHere(words, i) || extra?.suffixed(words[i]!)) {
        out.push(this.placeholder, SUFFIX);
        i += 1;
        changed = true;
      } else out.push(words[i++]!);
    }
    return changed ? out.join(' ') : cleaned;
  }
}

/** The compact model's input text: clean-text, then (when the package masks names) the names masked. */
export function maskedModelText(text: string, masker: NameMasker | null, extra?: NameMasker | null): string {
  const clean = modelInputText(text);
  return masker ? masker.mask(clean, extra) : clean;
}

/** A list compiled with its `in_context` rule. */
export function nameMaskerOf(list: NameList, placeholder = NAME_PLACEHOLDER, rules = NAME_MASKING_VERSION): NameMasker {
  return new NameMasker(flattenNames(list), placeholder, list.in_context, rules);
}

/** Every name of a list, in file order. */
export function flattenNames(list: NameList): string[] {
  return Object.values(list.names).flat();
}

export function readNameList(file: string): NameList {
  let list: NameList;
  try {
    list = JSON.parse(readFileSync(file, 'utf8')) as NameList;
  } catch (err) {
    throw new UlasanError('DATA_INVALID', `cannot read the name list ${file}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const ok =
    list !== null &&
    typeof list === 'object' &&
    typeof list.names === 'object' &&
    Object.values(list.names).every((v) => Array.isArray(v) && v.every((n) => typeof n === 'string')) &&
    (list.in_context === undefined ||
      [list.in_context.names, list.in_context.after].every(
        (v) => Array.isArray(v) && v.every((n) => typeof n === 'string'),
      ));
  if (!ok)
    throw new UlasanError(
      'DATA_INVALID',
      `${file}: expected {"version", "names": {category: [name, ...]}, ` +
        '"in_context"?: {"names": [...], "after": [...]}}',
    );
  return list;
}

/**
 * A list to train with: its in-context names must be listed names too. The rule only narrows where a
 * listed name is masked, so one missing from `names` would never be masked, and nothing would say so.
 * (Checked when a package is built, not when one is loaded: a package masks as it was trained.)
 */
export function readTrainingNameList(file: string): NameList {
  const list = readNameList(file);
  const listed = new Set(flattenNames(list));
  const unlisted = (list.in_context?.names ?? []).filter((n) => !listed.has(n));
  if (unlisted.length)
    throw new UlasanError('DATA_INVALID', `${file}: in_context names missing from "names": ${unlisted.join(', ')}`);
  return list;
}

// Package-id segments that name no app: store/country prefixes and build words.
const GENERIC_SEGMENTS = new Set(
  [
    'com',
    'co',
    'id',
    'net',
    'org',
    'io',
    'app',
    'apps',
    'android',
    'mobile',
    'official',
    'prod',
    'release',
    'client',
    'main',
    'lite',
    'go',
    'www',
    'google_play',
    'app_store',
  ].map((s) => s.toLowerCase()),
);

/**
 * Names a review's own app id gives (`com.shopee.id` -> `shopee`, `id.co.bri.brimo` -> `bri`, `brimo`,
 * `google_play:com.tokopedia.tkpd` -> `tokopedia`, `tkpd`): the id's segments of 3+ letters that are
 * not a store or build word. A numeric App Store id names nothing.
 */
export function namesFromAppId(appId: string | null | undefined): string[] {
  if (!appId) return [];
  const id = appId.includes(':') ? appId.slice(appId.lastIndexOf(':') + 1) : appId;
  return [
    ...new Set(
      id
        .toLowerCase()
        .split(/[._\-/]+/)
        .filter((s) => s.length >= 3 && /^[a-z][a-z0-9]*$/.test(s) && !GENERIC_SEGMENTS.has(s)),
    ),
  ];
}

/** Maskers of app ids' own names, compiled once per id (a scorer sees a handful of apps). */
export class AppNameCache {
  private readonly byApp = new Map<string, NameMasker | null>();

  constructor(private readonly max = 10_000) {}

  get(appId: string | null | undefined): NameMasker | null {
    if (!appId) return null;
    let m = this.byApp.get(appId);
    if (m === undefined) {
      const names = namesFromAppId(appId);
      m = names.length ? new NameMasker(names) : null;
      if (this.byApp.size >= this.max) this.byApp.clear();
      this.byApp.set(appId, m);
    }
    return m;
  }
}
