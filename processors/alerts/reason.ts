// The human reason of an alert, pure: "negative 14 % → 52 % over 1 day (312 reviews), 61 % of them
// about payment: *saldo terpotong*, *pembayaran gagal*". Quoted terms come from a TermMatcher run
// over a few sampled reviews' texts: the complaint taxonomy's tagger (models/topics/tagger.ts,
// which returns the matched terms per topic) plugs in here through `matcherFromTagger`; until it
// is on this branch, DEFAULT_TERMS is a small built-in list of the same topic ids.
import type { AlertDraft } from './detector.js';

/** Matched terms per topic id in one text. */
export interface TermMatcher {
  matches(text: string): Record<string, string[]>;
}

/** Only the start of a text is scanned, and a quote is at most this long: hostile texts stay bounded. */
export const MAX_SCANNED_CHARS = 2000;
export const MAX_TERM_CHARS = 40;
export const MAX_QUOTES = 3;
/** The reason is stored and sent: bounded whatever the topics and terms. */
export const MAX_REASON_CHARS = 600;

/** A matcher from patterns per topic (each a RegExp source, matched case-insensitively on word edges). */
export function patternMatcher(terms: Record<string, readonly string[]>): TermMatcher {
  const compiled = Object.entries(terms).map(
    ([topic, ps]) =>
      [topic, ps.map((p) => new RegExp(`(?<![\\p{L}\\p{N}])(?:${p})(?![\\p{L}\\p{N}])`, 'giu'))] as const,
  );
  return {
    matches(text) {
      const t = text.slice(0, MAX_SCANNED_CHARS).toLowerCase();
      const out: Record<string, string[]> = {};
      for (const [topic, res] of compiled) {
        const found = res.flatMap((re) => [...t.matchAll(re)].map((m) => m[0]));
        if (found.length) out[topic] = found;
      }
      return out;
    },
  };
}

/**
 * The tagger's helper, adapted: `fn(text)` returning matched terms per topic (the shape
 * models/topics/tagger.ts exports). Plug-in point: `new AlertsProcessor({ matcher: matcherFromTagger(...) })`
 * in main.ts once the tagger is on main.
 */
export function matcherFromTagger(fn: (text: string) => Record<string, string[]>): TermMatcher {
  return { matches: (text) => fn(text.slice(0, MAX_SCANNED_CHARS)) };
}

/** A few Indonesian and English terms per taxonomy topic id: enough to quote until the tagger is wired. */
export const DEFAULT_TERMS: Record<string, readonly string[]> = {
  account: ['akun (?:saya |aku )?(?:hilang|diblokir|terblokir|dibanned)', 'account (?:banned|blocked)'],
  login: ['(?:gk|gak|ga|tidak|nggak|enggak) bisa (?:login|masuk)', 'gagal login', 'login gagal', "can'?t log ?in"],
  crash: ['force close', 'forceclose', 'crash', 'keluar sendiri', 'error terus', 'not responding'],
  slow: ['lemot', 'lambat', 'lelet', 'loading (?:terus|lama)', 'slow'],
  connection: ['(?:tidak ada|gak ada|no) (?:koneksi|connection)', 'koneksi (?:error|terputus|gagal)', 'jaringan error'],
  payment: [
    'saldo (?:terpotong|kepotong|berkurang)',
    'pembayaran gagal',
    'gagal bayar',
    'payment failed',
    'top ?up gagal',
  ],
  refund: ['refund', 'pengembalian dana', 'dana (?:belum|tidak) kembali', 'uang (?:belum|tidak) kembali'],
  delivery: ['ongkir', 'paket (?:belum|tidak) (?:sampai|datang)', 'pengiriman lama', 'kurir'],
  price: ['mahal', 'harga naik', 'kemahalan', 'expensive'],
  ads: ['iklan', 'ads', 'advertisement'],
  customer_service: ['(?:cs|customer service) (?:lambat|tidak respon|gak respon|lama)', 'tidak ada respon', 'komplain'],
  feature_request: ['tolong tambahkan', 'mohon ditambahkan', 'fitur baru', 'please add'],
  fraud: ['penipuan', 'penipu', 'scam', 'tipu'],
};

/** The most frequent matched terms of `topic` over the texts, most frequent first. */
export function quotes(matcher: TermMatcher, topic: string, texts: readonly string[]): string[] {
  const freq = new Map<string, number>();
  for (const text of texts) {
    const seen = new Set((matcher.matches(text)[topic] ?? []).map((t) => t.trim().slice(0, MAX_TERM_CHARS)));
    for (const t of seen) if (t) freq.set(t, (freq.get(t) ?? 0) + 1);
  }
  return [...freq]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, MAX_QUOTES)
    .map(([t]) => t);
}

const pct = (x: number): string => `${Math.round(x * 100)} %`;
const italic = (terms: string[]): string => terms.map((t) => `*${t.replace(/\*/g, '')}*`).join(', ');

function span(ms: number): string {
  const days = ms / 86_400_000;
  if (days >= 1 && Number.isInteger(days)) return days === 1 ? '1 day' : `${days} days`;
  return `${Math.round(ms / 3_600_000)} h`;
}

function topicClause(topic: string, terms: string[] | undefined): string {
  return terms && terms.length ? `${topic}: ${italic(terms)}` : topic;
}

/** The reason sentence; `terms` are the quoted terms per topic (empty when no text was found). */
export function reasonOf(d: AlertDraft, terms: Record<string, string[]>): string {
  let s: string;
  if (d.status === 'resolved') {
    const was = d.detail.openedShare !== undefined ? ` (opened at ${pct(d.detail.openedShare)})` : '';
    const what = d.kind === 'version_regression' ? `version ${d.version} ${d.detail.measure}` : measureName(d);
    s = `resolved: ${what} back to ${pct(d.currentShare)} over ${span(d.detail.windowMs)}${was}`;
  } else if (d.kind === 'sentiment_turn') {
    const about = d.detail.topicShares.map(
      (x) => `${pct(x.share)} of them about ${topicClause(x.topic, terms[x.topic])}`,
    );
    s =
      `negative ${pct(d.baselineShare)} → ${pct(d.currentShare)} ` +
      `over ${span(d.detail.windowMs)} (${d.reviews} reviews)`;
    if (about.length) s += `, ${about.join('; ')}`;
  } else if (d.kind === 'complaint_surge') {
    const [lead, ...rest] = d.topics;
    s =
      `${topicClause(lead!, terms[lead!])}: ${pct(d.baselineShare)} → ${pct(d.currentShare)} of reviews ` +
      `over ${span(d.detail.windowMs)} (${d.reviews} reviews)`;
    if (rest.length) s += `; also rising: ${rest.join(', ')}`;
  } else {
    const n = d.detail.negative!;
    const c = d.detail.crash!;
    const vs = `vs ${d.detail.previousVersion} (${d.reviews} vs ${d.detail.previousReviews} reviews)`;
    const crashTerms = terms.crash?.length ? ` (${italic(terms.crash)})` : '';
    const crash = `crash ${pct(c.baseline)} → ${pct(c.current)}${crashTerms}`;
    s = `version ${d.version}: ${crash}, negative ${pct(n.baseline)} → ${pct(n.current)} ${vs}`;
  }
  return boundedReason(s);
}

export function boundedReason(s: string): string {
  return s.length <= MAX_REASON_CHARS ? s : `${s.slice(0, MAX_REASON_CHARS - 1)}…`;
}

function measureName(d: AlertDraft): string {
  return d.kind === 'sentiment_turn' ? 'negative' : `${d.topics[0]} share`;
}
