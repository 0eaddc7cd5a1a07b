// Words for the status page, both from the weighted log-odds ratio with an informative Dirichlet
// prior (Monroe, Colaresi & Quinn, 2008, "Fightin' Words"): it ranks words by how much more often
// they appear in one corpus than in another, shrunk toward the pooled rate, so a word seen twice
// does not outrank one seen a thousand times, and it gives each word a z-score.
// - distinctiveTerms: each predicted sentiment against the other two (the whole range).
// - emergingTerms: one app's recent negative reviews against its own trailing baseline, so a
//   complaint that no topic taxonomy foresaw still surfaces ("saldo", "terpotong" in a payment outage).
// Indonesian and English stopwords (the `stopword` package's lists) are left out.
import { eng as ENGLISH_STOPWORDS, ind as INDONESIAN_STOPWORDS } from 'stopword';
import { SENTIMENTS } from '../models/core/package.js';
import type { Sentiment } from '../schemas/types.generated.js';
import type { TermCount } from './dashboard-queries.js';

const STOP = new Set([...INDONESIAN_STOPWORDS, ...ENGLISH_STOPWORDS, 'nya', 'yang', 'aja', 'sih', 'dan']);

export const isStopword = (term: string): boolean => STOP.has(term);

export interface DistinctiveTerm {
  term: string;
  /** Reviews with this label that contain the term. */
  n: number;
  /** z-score of the log-odds ratio against the other labels. */
  z: number;
}

/**
 * The z-score of the log-odds ratio of a word between corpus i (yI of nI words) and corpus j (yJ of
 * nJ), with a Dirichlet prior of total mass `priorMass` spread by the word's pooled share `pooled`.
 */
export function logOddsZ(yI: number, nI: number, yJ: number, nJ: number, pooled: number, priorMass: number): number {
  const a = priorMass * pooled;
  const delta = Math.log((yI + a) / (nI + priorMass - yI - a)) - Math.log((yJ + a) / (nJ + priorMass - yJ - a));
  return delta / Math.sqrt(1 / (yI + a) + 1 / (yJ + a));
}

export function distinctiveTerms(counts: TermCount[], top = 10, priorMass = 500): Record<Sentiment, DistinctiveTerm[]> {
  const kept = counts.filter((c) => !STOP.has(c.term));
  const byTerm = new Map<string, Record<Sentiment, number>>();
  const totals: Record<Sentiment, number> = { negative: 0, neutral: 0, positive: 0 };
  for (const c of kept) {
    const row = byTerm.get(c.term) ?? { negative: 0, neutral: 0, positive: 0 };
    row[c.label] += c.n;
    totals[c.label] += c.n;
    byTerm.set(c.term, row);
  }
  const all = totals.negative + totals.neutral + totals.positive;
  const out = { negative: [], neutral: [], positive: [] } as Record<Sentiment, DistinctiveTerm[]>;
  if (all === 0) return out;
  for (const label of SENTIMENTS) {
    const nL = totals[label];
    const scored: DistinctiveTerm[] = [];
    for (const [term, row] of byTerm) {
      const yL = row[label];
      if (yL === 0) continue;
      const yR = row.negative + row.neutral + row.positive - yL;
      scored.push({ term, n: yL, z: logOddsZ(yL, nL, yR, all - nL, (yL + yR) / all, priorMass) });
    }
    out[label] = scored.sort((x, y) => y.z - x.z || y.n - x.n).slice(0, top);
  }
  return out;
}

/** How many of one app's negative reviews in one period contain a word (one count per review). */
export interface PeriodTermCount {
  app_id: string;
  recent: boolean;
  term: string;
  n: number;
}

/** How many negative reviews one app has in each period. */
export interface PeriodTotal {
  app_id: string;
  recent: boolean;
  reviews: number;
}

export interface EmergingTerm {
  term: string;
  /** Recent negative reviews that contain the term, and the same in the baseline. */
  recent: number;
  baseline: number;
  /** Share of the period's negative reviews that contain the term (0-1). */
  recent_share: number;
  baseline_share: number;
  /** z-score of the recent-vs-baseline log-odds ratio. */
  z: number;
}

export interface AppEmergingTerms {
  app_id: string;
  recent_reviews: number;
  baseline_reviews: number;
  terms: EmergingTerm[];
}

export interface EmergingOptions {
  /**
   * One-sided z threshold: 3.5 is p = 0.00023 for one word, so an app's few hundred words a period
   * raise none on steady traffic (measured in test/unit/gateway/terms.test.ts: 0 over 30,000 tests).
   */
  minZ: number;
  /** Recent negative reviews that must contain the word: a burst of two is not a complaint. */
  minCount: number;
  /** The recent share must be at least this multiple of the baseline share (a real rise, not noise on a big app). */
  minLift: number;
  /** Negative reviews the baseline needs before anything can be said to rise above it. */
  minBaselineReviews: number;
  /**
   * The prior's weight as a share of the app's negative reviews (both periods): words shrink toward
   * the app's pooled rate by a tenth of its data, so a small app's burst still shows and a big app's
   * one-off word does not.
   */
  priorShare: number;
  top: number;
}

export const EMERGING_DEFAULTS: EmergingOptions = {
  minZ: 3.5,
  minCount: 5,
  minLift: 2,
  minBaselineReviews: 20,
  priorShare: 0.1,
  top: 10,
};

interface AppCounts {
  recent: Map<string, number>;
  baseline: Map<string, number>;
  totals: { recent: number; baseline: number };
}

function groupByApp(counts: PeriodTermCount[], totals: PeriodTotal[]): Map<string, AppCounts> {
  const apps = new Map<string, AppCounts>();
  const of = (app: string): AppCounts => {
    let a = apps.get(app);
    if (!a) apps.set(app, (a = { recent: new Map(), baseline: new Map(), totals: { recent: 0, baseline: 0 } }));
    return a;
  };
  for (const t of totals) of(t.app_id).totals[t.recent ? 'recent' : 'baseline'] += t.reviews;
  for (const c of counts) {
    if (STOP.has(c.term)) continue;
    const side = of(c.app_id)[c.recent ? 'recent' : 'baseline'];
    side.set(c.term, (side.get(c.term) ?? 0) + c.n);
  }
  return apps;
}

/** One app's emerging words: the log-odds z of each word's document share, recent against baseline. */
function appEmerging(app: AppCounts, o: EmergingOptions): EmergingTerm[] {
  const { recent: nR, baseline: nB } = app.totals;
  if (nR === 0 || nB < o.minBaselineReviews) return [];
  const priorMass = o.priorShare * (nR + nB);
  const out: EmergingTerm[] = [];
  for (const [term, yR] of app.recent) {
    if (yR < o.minCount) continue;
    const yB = app.baseline.get(term) ?? 0;
    const recentShare = yR / nR;
    const baselineShare = yB / nB;
    if (recentShare < o.minLift * baselineShare) continue;
    const z = logOddsZ(yR, nR, yB, nB, (yR + yB) / (nR + nB), priorMass);
    if (z < o.minZ) continue;
    out.push({ term, recent: yR, baseline: yB, recent_share: recentShare, baseline_share: baselineShare, z });
  }
  return out.sort((x, y) => y.z - x.z || y.recent - x.recent).slice(0, o.top);
}

/**
 * Words whose share of each app's recent negative reviews rises significantly above that app's own
 * trailing baseline. Shares are per review (a word counts once per review), so the binomial form of
 * the log-odds applies: n is the number of negative reviews in the period. Apps are returned with
 * their counts even when nothing emerges, so "nothing new" is visible as such.
 */
export function emergingTerms(
  counts: PeriodTermCount[],
  totals: PeriodTotal[],
  options: Partial<EmergingOptions> = {},
): AppEmergingTerms[] {
  const o = { ...EMERGING_DEFAULTS, ...options };
  return [...groupByApp(counts, totals).entries()]
    .map(([app_id, app]) => ({
      app_id,
      recent_reviews: app.totals.recent,
      baseline_reviews: app.totals.baseline,
      terms: appEmerging(app, o),
    }))
    .sort((a, b) => b.terms.length - a.terms.length || b.recent_reviews - a.recent_reviews);
}
