// Complaint-topic tagger: which topics of the taxonomy (models/topics/taxonomy.json, docs/topics.md)
// a review's text is about. Pure. A taxonomy is compiled once into one Map from every word form its
// patterns match (affixed, English-inflected, doubled letters collapsed) to the topics and phrase
// words it stands for; tagging is then: the review's normalised text (the scorer's clean_text, so
// the same slang map and elongation undoing as the features), split into at most max_tokens tokens,
// one Map lookup per token, and a look-ahead only from tokens that start a phrase. No regex per
// pattern, no backtracking: the work on a review is bounded by max_tokens whatever its length.
import { readFileSync } from 'node:fs';
import emojiRegex from 'emoji-regex';
import { z } from 'zod';
import { cleanText } from '../features/normalize.js';
import { collapseDoubles, englishForms, hasDouble, indonesianForms } from './affixes.js';

export const DEFAULT_TAXONOMY_FILE = new URL('./taxonomy.json', import.meta.url);

const topicShape = z
  .object({
    id: z.string().regex(/^[a-z][a-z0-9_]{0,39}$/, 'a topic id is lower-case letters, digits and _'),
    name: z.string().min(1),
    description: z.string().default(''),
    indonesian: z.array(z.string().min(1)).default([]),
    english: z.array(z.string().min(1)).default([]),
  })
  .refine((t) => t.indonesian.length + t.english.length > 0, { message: 'a topic needs at least one pattern' });

const taxonomyShape = z
  .object({
    version: z.string().min(1),
    doc: z.string().optional(),
    max_tokens: z.number().int().min(8).max(4096).default(256),
    exclude_forms: z.array(z.string()).default([]),
    /** Spellings the normaliser does not know, token -> its standard word(s) ("ngak" -> "tidak"). */
    slang: z.record(z.string(), z.string().regex(/^\S+$/, 'a slang value is one word')).default({}),
    topics: z.array(topicShape).min(1),
  })
  .refine((t) => new Set(t.topics.map((x) => x.id)).size === t.topics.length, { message: 'topic ids must be unique' });

export type Taxonomy = z.infer<typeof taxonomyShape>;

/** A taxonomy from parsed JSON; a bad one fails with the path of what is wrong. */
export function parseTaxonomy(value: unknown, source = 'taxonomy'): Taxonomy {
  const r = taxonomyShape.safeParse(value);
  if (r.success) return r.data;
  const why = r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
  throw new Error(`${source} is not a valid topic taxonomy: ${why}`);
}

export function loadTaxonomy(file: string | URL = DEFAULT_TAXONOMY_FILE): Taxonomy {
  return parseTaxonomy(JSON.parse(readFileSync(file, 'utf8')), String(file));
}

/** Tokens: the clean text's words, hyphens and slashes split too (force-close, top-up, log/in). */
const TOKEN_SPLIT = /[\s\-/]+/;
// The clean text is single-space joined (normalize.ts), so the hot path splits on ' ', '-' and '/' only.
/** Phrase words may have up to this many other tokens between them ("uang saya belum kembali"). */
const PHRASE_GAP = 2;
const EMOJI = emojiRegex();

interface Phrase {
  topic: number;
  words: number[];
}

interface Entry {
  topics: number[];
  words: number[];
}

export type TopicMatches = Record<string, string[]>;

export interface TopicTagger {
  readonly version: string;
  readonly topicIds: readonly string[];
  readonly maxTokens: number;
  /** Topic ids of an already normalised text (the scorer's clean_text), in taxonomy order. */
  tagClean(clean: string): string[];
  /** Topic ids of a raw review text, in taxonomy order. */
  tag(text: string): string[];
  /** The matched words or phrases (as written in the normalised text) per topic of a raw text. */
  matches(text: string): TopicMatches;
  /** How many tokens of a normalised text the tagger looks at (at most maxTokens). */
  tokensConsidered(clean: string): number;
}

interface Compiled {
  forms: Map<string, Entry>;
  starts: Map<number, Phrase[]>;
}

/** A pattern as normalised words, each with whether it matches its own form only (=word). */
function patternWords(pattern: string): { word: string; exact: boolean }[] {
  return pattern
    .split(/\s+/)
    .filter(Boolean)
    .flatMap((raw) => {
      const exact = raw.startsWith('=');
      const words = cleanText(exact ? raw.slice(1) : raw, EMOJI)
        .split(TOKEN_SPLIT)
        .filter(Boolean);
      return words.map((word) => ({ word, exact }));
    });
}

class Builder {
  readonly forms = new Map<string, { topics: Set<number>; words: Set<number> }>();
  readonly wordIds = new Map<string, number>();
  readonly starts = new Map<number, Phrase[]>();
  /** Standard word -> the slang spellings that stand for it (one-word slang values only). */
  private readonly aliases = new Map<string, string[]>();
  constructor(
    private readonly exclude: Set<string>,
    slang: Record<string, string>,
  ) {
    for (const [from, to] of Object.entries(slang)) {
      const key = to.trim().toLowerCase();
      this.aliases.set(key, [...(this.aliases.get(key) ?? []), from.toLowerCase()]);
    }
  }

  private entry(form: string) {
    let e = this.forms.get(form);
    if (!e) this.forms.set(form, (e = { topics: new Set(), words: new Set() }));
    return e;
  }

  private variants(word: string, exact: boolean, english: boolean): string[] {
    const spellings = [word, ...(this.aliases.get(word) ?? [])];
    if (exact) return spellings;
    const all = spellings.flatMap((w) => (english ? englishForms(w) : indonesianForms(w)));
    return all.filter((f) => spellings.includes(f) || !this.exclude.has(f));
  }

  /** Registers every form of a word, calling `add` on each entry. */
  private each(word: string, exact: boolean, english: boolean, add: (e: ReturnType<Builder['entry']>) => void) {
    for (const f of this.variants(word, exact, english)) {
      add(this.entry(f));
      const c = collapseDoubles(f);
      // A collapsed misspelling never overrides a real form.
      if (c !== f && !this.forms.has(c)) add(this.entry(c));
    }
  }

  addPattern(topic: number, pattern: string, english: boolean): void {
    const words = patternWords(pattern);
    if (words.length === 0) return;
    if (words.length === 1) {
      this.each(words[0]!.word, words[0]!.exact, english, (e) => e.topics.add(topic));
      return;
    }
    // A phrase written as one word too: "top up" -> "topup", "force close" -> "forceclose".
    this.each(words.map((w) => w.word).join(''), true, english, (e) => e.topics.add(topic));
    const ids = words.map(({ word, exact }) => {
      const key = `${exact ? '=' : ''}${english ? 'en' : 'id'}:${word}`;
      let id = this.wordIds.get(key);
      if (id === undefined) {
        this.wordIds.set(key, (id = this.wordIds.size));
        this.each(word, exact, english, (e) => e.words.add(id!));
      }
      return id;
    });
    const list = this.starts.get(ids[0]!) ?? [];
    list.push({ topic, words: ids });
    this.starts.set(ids[0]!, list);
  }

  build(): Compiled {
    const forms = new Map<string, Entry>();
    for (const [f, e] of this.forms) forms.set(f, { topics: [...e.topics], words: [...e.words] });
    return { forms, starts: this.starts };
  }
}

function compile(t: Taxonomy): Compiled {
  const b = new Builder(new Set(t.exclude_forms.map((f) => f.toLowerCase())), t.slang);
  t.topics.forEach((topic, i) => {
    for (const p of topic.indonesian) b.addPattern(i, p, false);
    for (const p of topic.english) b.addPattern(i, p, true);
  });
  return b.build();
}

// ---- the hot path -------------------------------------------------------------------------------
// Tokens are scanned as character codes and hashed on the way (FNV-1a); a bit set of every form's
// hash answers "certainly not a form" without building the token's string, so the ~90 % of tokens
// that are no pattern word cost a few nanoseconds and allocate nothing. A set bit is confirmed
// with the Map (false positives ~4 %).
const FILTER_BITS = 1 << 21;
const SPACE = 32;
const HYPHEN = 45;
const SLASH = 47;
const TWO = 50;

function fnv(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

function formFilter(forms: Map<string, Entry>): Uint32Array {
  const bits = new Uint32Array(FILTER_BITS / 32);
  for (const f of forms.keys()) {
    const h = fnv(f) & (FILTER_BITS - 1);
    bits[h >>> 5]! |= 1 << (h & 31);
  }
  return bits;
}

/** The taxonomy's entries of a clean text's first maxTokens tokens, and where each token is. */
interface Scanned {
  n: number;
  ents: (Entry | undefined)[];
  starts: number[];
  ends: number[];
  anyPhraseWord: boolean;
  anyEntry: boolean;
}

function scanner(forms: Map<string, Entry>, maxTokens: number) {
  const bits = formFilter(forms);
  const has = (h: number): boolean => (bits[(h & (FILTER_BITS - 1)) >>> 5]! & (1 << (h & 31))) !== 0;
  // Misspellings, tried only on a miss: a reduplication digit ("promo2"), doubled letters ("lemott").
  const fallback = (tok: string): Entry | undefined => {
    if (tok.length < 4) return undefined;
    if (tok.charCodeAt(tok.length - 1) === TWO) {
      const bare = tok.slice(0, -1);
      return forms.get(bare) ?? fallback(bare);
    }
    return hasDouble(tok) ? forms.get(collapseDoubles(tok)) : undefined;
  };
  const out: Scanned = { n: 0, ents: [], starts: [], ends: [], anyPhraseWord: false, anyEntry: false };
  const push = (clean: string, from: number, to: number, h: number, odd: boolean): void => {
    let e: Entry | undefined;
    if (has(h >>> 0)) e = forms.get(clean.slice(from, to));
    if (!e && odd) e = fallback(clean.slice(from, to));
    const k = out.n++;
    out.ents[k] = e;
    out.starts[k] = from;
    out.ends[k] = to;
    if (e) {
      out.anyEntry = true;
      if (e.words.length) out.anyPhraseWord = true;
    }
  };
  /** Scans a clean text (reusing one result object: callers read it before the next scan). */
  return (clean: string): Scanned => {
    out.n = 0;
    out.anyPhraseWord = false;
    out.anyEntry = false;
    let from = -1;
    let h = 0x811c9dc5;
    let odd = false; // a doubled letter or a trailing 2: worth the misspelling fallback
    let prev = -1;
    for (let i = 0; i < clean.length && out.n < maxTokens; i++) {
      const c = clean.charCodeAt(i);
      if (c === SPACE || c === HYPHEN || c === SLASH) {
        if (from >= 0) push(clean, from, i, h, odd || prev === TWO);
        from = -1;
        continue;
      }
      if (from < 0) {
        from = i;
        h = 0x811c9dc5;
        odd = false;
      } else if (c === prev) odd = true;
      h = Math.imul(h ^ c, 0x01000193);
      prev = c;
    }
    if (from >= 0 && out.n < maxTokens) push(clean, from, clean.length, h, odd || prev === TWO);
    return out;
  };
}

/** The end of a phrase starting at token i (the index of its last word), or -1. */
function phraseEnd(ents: (Entry | undefined)[], i: number, n: number, words: number[]): number {
  let pos = i;
  for (let k = 1; k < words.length; k++) {
    let found = -1;
    for (let j = pos + 1; j < n && j <= pos + 1 + PHRASE_GAP; j++) {
      if (ents[j]?.words.includes(words[k]!)) {
        found = j;
        break;
      }
    }
    if (found < 0) return -1;
    pos = found;
  }
  return pos;
}

type Hit = (topic: number, from: number, to: number) => void;

/**
 * Calls hit(topic, first token, last token) for every phrase found, then for every term on a token
 * no gapless phrase covers: "virtual account" is payment, not also account; "paket data" not delivery.
 */
function visit(sc: Scanned, starts: Map<number, Phrase[]>, hit: Hit): void {
  const { n, ents } = sc;
  let covered: Uint8Array | undefined;
  if (sc.anyPhraseWord) {
    for (let i = 0; i < n; i++) {
      const e = ents[i];
      if (!e) continue;
      for (const w of e.words) {
        for (const ph of starts.get(w) ?? []) {
          const end = phraseEnd(ents, i, n, ph.words);
          if (end < 0) continue;
          hit(ph.topic, i, end);
          if (end - i + 1 === ph.words.length) (covered ??= new Uint8Array(n)).fill(1, i, end + 1);
        }
      }
    }
  }
  for (let i = 0; i < n; i++) {
    const e = ents[i];
    if (e && !covered?.[i]) for (const topic of e.topics) hit(topic, i, i);
  }
}

/** Compiles a taxonomy once; the tagger it returns is pure (same text, same answer). */
export function compileTagger(t: Taxonomy): TopicTagger {
  const { forms, starts } = compile(t);
  const ids = t.topics.map((x) => x.id);
  const maxTokens = t.max_tokens;
  const scan = scanner(forms, maxTokens);
  const seen = new Uint8Array(ids.length);
  let hits = 0;
  const mark: Hit = (topic) => {
    if (!seen[topic]) hits++;
    seen[topic] = 1;
  };

  const tagClean = (clean: string): string[] => {
    const sc = scan(clean);
    if (!sc.anyEntry) return [];
    seen.fill(0);
    hits = 0;
    visit(sc, starts, mark);
    if (hits === 0) return [];
    const out: string[] = [];
    for (let i = 0; i < ids.length; i++) if (seen[i]) out.push(ids[i]!);
    return out;
  };

  return {
    version: t.version,
    topicIds: ids,
    maxTokens,
    tagClean,
    tag: (text) => tagClean(cleanText(text, EMOJI)),
    matches(text) {
      const clean = cleanText(text, EMOJI);
      const sc = scan(clean);
      const found = new Map<number, Set<string>>();
      visit(sc, starts, (topic, from, to) => {
        if (!found.has(topic)) found.set(topic, new Set());
        found.get(topic)!.add(clean.slice(sc.starts[from], sc.ends[to]));
      });
      const out: TopicMatches = {};
      ids.forEach((id, i) => {
        if (found.has(i)) out[id] = [...found.get(i)!];
      });
      return out;
    },
    tokensConsidered: (clean) => scan(clean).n,
  };
}

let shipped: TopicTagger | undefined;

/** The tagger of the shipped taxonomy (models/topics/taxonomy.json), compiled on first use. */
export function defaultTagger(): TopicTagger {
  return (shipped ??= compileTagger(loadTaxonomy()));
}

/** The shipped taxonomy's topic ids, in taxonomy order (the contract of ScoredReview.topics); read, not compiled. */
export const TOPIC_IDS: readonly string[] = loadTaxonomy().topics.map((t) => t.id);

/** Topic ids of a raw review text under the shipped taxonomy. */
export const tagTopics = (text: string): string[] => defaultTagger().tag(text);

/** The matched words/phrases per topic of a raw review text under the shipped taxonomy (for alert reasons). */
export const matchedTerms = (text: string): TopicMatches => defaultTagger().matches(text);
