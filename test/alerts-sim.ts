// A seeded simulator of scored app reviews in event time, for the alert tests: steady traffic with
// day-to-day variation wider than binomial (volume and negative share wobble every day), releases
// every few days that behave like the last one, and the two things alerts must catch: a complaint
// burst about one topic, and a release whose reviews crash. Texts are synthetic (a few taxonomy
// terms and filler), so quoted terms can be checked.
import { rng } from '../models/trainer/fasttext.js';
import type { ScoredReview } from '../schemas/types.generated.js';

export const DAY = 86_400_000;
export const HOUR = 3_600_000;

export interface SimReview {
  review_id: string;
  app_id: string;
  created_at: number;
  label: 'negative' | 'neutral' | 'positive';
  app_version: string | null;
  topics: string[];
  text: string;
}

export interface AppProfile {
  appId: string;
  perDay: number;
  negShare: number;
  /** A new version every this many days (adopted by 70 % of the next days' reviews). */
  releaseEvery: number;
}

export interface Burst {
  appId: string;
  from: number;
  to: number;
  topic: string;
  /** Share of the burst's reviews that are complaints about the topic (on top of the usual mix). */
  intensity: number;
}

export interface Release {
  appId: string;
  version: string;
  from: number;
  /** Share of this version's reviews that are crash complaints. */
  crashShare: number;
}

export interface Simulation {
  apps: AppProfile[];
  start: number;
  days: number;
  seed: number;
  bursts?: Burst[];
  releases?: Release[];
}

const NEGATIVE_TOPICS = ['payment', 'login', 'slow', 'crash', 'ads', 'customer_service', 'delivery'];
export const TERMS: Record<string, string[]> = {
  payment: ['saldo terpotong', 'pembayaran gagal', 'gagal bayar'],
  login: ['gak bisa login', 'gagal login'],
  slow: ['lemot', 'lambat'],
  crash: ['force close', 'keluar sendiri', 'crash'],
  ads: ['iklan'],
  customer_service: ['komplain'],
  delivery: ['ongkir', 'kurir'],
};

function complaint(r: () => number, topic: string): string {
  const terms = TERMS[topic] ?? [topic];
  return `aplikasi ini ${terms[Math.floor(r() * terms.length)]} terus, tolong diperbaiki`;
}

function versionOf(p: AppProfile, day: number, r: () => number, releases: Release[]): string {
  const mine = releases.filter((x) => x.appId === p.appId && x.from <= day * DAY);
  const latest = Math.floor(day / p.releaseEvery);
  const regular = (k: number) => `1.${Math.max(0, k)}.0`;
  const special = mine.at(-1);
  if (special && r() < 0.7) return special.version;
  return r() < 0.7 || latest === 0 ? regular(latest) : regular(latest - 1);
}

function review(s: Simulation, p: AppProfile, day: number, k: number, r: () => number): SimReview {
  const created = s.start + day * DAY + Math.floor(r() * DAY);
  const version = versionOf(p, day, r, s.releases ?? []);
  const t = created - s.start;
  const burst = (s.bursts ?? []).find((b) => b.appId === p.appId && t >= b.from && t < b.to);
  const release = (s.releases ?? []).find((x) => x.appId === p.appId && x.version === version);
  const base = { review_id: `${p.appId}/${day}/${k}`, app_id: p.appId, created_at: created, app_version: version };
  if (burst && r() < burst.intensity)
    return { ...base, label: 'negative', topics: [burst.topic], text: complaint(r, burst.topic) };
  if (release && r() < release.crashShare)
    return { ...base, label: 'negative', topics: ['crash'], text: complaint(r, 'crash') };
  return { ...base, ...usual(p, day, r) };
}

/** The app's usual mix: its negative share wobbles by day (overdispersion), most complaints name a topic. */
const wobble = new Map<string, number>();
function usual(p: AppProfile, day: number, r: () => number): Pick<SimReview, 'label' | 'topics' | 'text'> {
  const key = `${p.appId}/${day}`;
  if (!wobble.has(key)) wobble.set(key, 0.75 + 0.5 * r());
  if (r() < p.negShare * wobble.get(key)!) {
    if (r() < 0.4) return { label: 'negative', topics: [], text: 'jelek sekali, kecewa' };
    const topic = NEGATIVE_TOPICS[Math.floor(r() * NEGATIVE_TOPICS.length)]!;
    return { label: 'negative', topics: [topic], text: complaint(r, topic) };
  }
  const label = r() < 0.25 ? 'neutral' : 'positive';
  const topics = r() < 0.05 ? ['feature_request'] : [];
  return { label, topics, text: topics.length ? 'bagus, tolong tambahkan mode gelap' : 'mantap, sangat membantu' };
}

/** Every review of the simulation, in event-time order. */
export function simulate(s: Simulation): SimReview[] {
  const r = rng(s.seed);
  wobble.clear();
  const out: SimReview[] = [];
  for (let day = 0; day < s.days; day++) {
    for (const p of s.apps) {
      const volume = Math.round(p.perDay * (0.6 + 0.8 * r()));
      for (let k = 0; k < volume; k++) out.push(review(s, p, day, k, r));
    }
  }
  return out.sort((a, b) => a.created_at - b.created_at || (a.review_id < b.review_id ? -1 : 1));
}

/** A few steady apps of different sizes and moods. */
export function steadyApps(n: number, seed: number): AppProfile[] {
  const r = rng(seed);
  return Array.from({ length: n }, (_, i) => ({
    appId: `app.${seed}.${i}`,
    perDay: Math.round(40 + 260 * r()),
    negShare: 0.1 + 0.3 * r(),
    releaseEvery: 5 + Math.floor(10 * r()),
  }));
}

/** A simulated review as the scoring processor would put it on the scored topic. */
export function scored(r: SimReview): ScoredReview {
  const p = r.label === 'negative' ? [0.8, 0.1, 0.1] : r.label === 'neutral' ? [0.1, 0.8, 0.1] : [0.1, 0.1, 0.8];
  return {
    review_id: r.review_id,
    app_id: r.app_id,
    source: 'google_play',
    label: r.label,
    prob_negative: p[0]!,
    prob_neutral: p[1]!,
    prob_positive: p[2]!,
    model_name: 'ulasan-compact',
    model_version: '1',
    feature_set_version: 'fs',
    shadow: false,
    created_at: r.created_at,
    scored_at: r.created_at,
    origin_partition: null,
    origin_offset: null,
    rating: null,
    features: {},
    app_version: r.app_version,
    topics: r.topics,
  };
}

/**
 * The acceptance history (integration test and its pure twin): four apps over four weeks; a payment
 * burst in app.burst from day 20 09:00 for three days, a crashing release 3.0.0 of app.release from
 * day 16, and two quiet apps. Every app also ships an ordinary release every 9 days.
 */
export const ACCEPTANCE_START = Date.UTC(2026, 9, 5);
export const BURST_FROM = 20 * DAY + 9 * HOUR;
export const RELEASE_FROM = 16 * DAY;
export const ACCEPTANCE: Simulation = {
  apps: ['app.burst', 'app.release', 'app.quiet.1', 'app.quiet.2'].map((appId) => ({
    appId,
    perDay: 150,
    negShare: 0.15,
    releaseEvery: 9,
  })),
  start: ACCEPTANCE_START,
  days: 28,
  seed: 2027,
  bursts: [{ appId: 'app.burst', from: BURST_FROM, to: BURST_FROM + 3 * DAY, topic: 'payment', intensity: 0.4 }],
  releases: [{ appId: 'app.release', version: '3.0.0', from: RELEASE_FROM, crashShare: 0.3 }],
};
