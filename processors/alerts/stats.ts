// The alert test, pure. A share (negative reviews, reviews about one topic, crash reviews of one
// version) in a current window against a baseline, at low counts: the beta-binomial predictive
// tail. The baseline's share is uncertain (Beta(k0 + 1/2, n0 - k0 + 1/2), Jeffreys' prior), so
// under "nothing changed" the current count is beta-binomial, and the p-value is the exact upper
// tail P(X >= k1). It is exact for 3 reviews as for 3,000 (no normal approximation), honest about
// a thin baseline (a 2-review baseline cannot make 3 of 5 significant), and its log-pmf uses jStat.
//
// Daily shares vary more than binomially (weekdays, a sale, a viral post), so the baseline is
// capped at `maxBaseline` effective reviews: a 50,000-review baseline would claim a precision the
// day-to-day variation never has, and alarm on every wobble.
import jstatModule from 'jstat';

const jStat = jstatModule;

export interface Proportion {
  /** Reviews with the property (negative, about the topic, ...). */
  k: number;
  /** Reviews in all. */
  n: number;
}

export interface ShareTest {
  baselineShare: number;
  currentShare: number;
  /** One-sided p-value: the current share is not above the baseline's. */
  pValue: number;
  /** -log10(pValue), capped at 300. */
  statistic: number;
}

/** log P(X = k), X ~ BetaBinomial(n, a, b). */
function logPmf(k: number, n: number, a: number, b: number): number {
  return jStat.combinationln(n, k) + jStat.betaln(k + a, n - k + b) - jStat.betaln(a, b);
}

/**
 * P(X >= k) for X ~ BetaBinomial(n, a, b). Summed from k upwards while terms matter (past the mode
 * they only shrink); below the mean it is computed as 1 - P(X < k) the same way downwards.
 */
export function betaBinomialUpperTail(k: number, n: number, a: number, b: number): number {
  if (k <= 0) return 1;
  if (k > n) return 0;
  const mean = (n * a) / (a + b);
  const sumFrom = (from: number, to: number, step: 1 | -1): number => {
    let s = 0;
    for (let x = from; step > 0 ? x <= to : x >= to; x += step) {
      const t = Math.exp(logPmf(x, n, a, b));
      s += t;
      const pastMode = step > 0 ? x > mean : x < mean;
      if (pastMode && t < s * 1e-12) break;
    }
    return s;
  };
  if (k >= mean) return Math.min(1, sumFrom(k, n, 1));
  return Math.max(0, 1 - sumFrom(k - 1, 0, -1));
}

/** The current share against the baseline's, with the baseline capped at `maxBaseline` reviews. */
export function shareTest(current: Proportion, baseline: Proportion, maxBaseline = 400): ShareTest {
  const scale = baseline.n > maxBaseline ? maxBaseline / baseline.n : 1;
  const k0 = baseline.k * scale;
  const n0 = baseline.n * scale;
  const pValue = betaBinomialUpperTail(current.k, current.n, k0 + 0.5, n0 - k0 + 0.5);
  return {
    baselineShare: baseline.n > 0 ? baseline.k / baseline.n : 0,
    currentShare: current.n > 0 ? current.k / current.n : 0,
    pValue,
    statistic: Math.min(300, -Math.log10(Math.max(pValue, 1e-300))),
  };
}

export interface Thresholds {
  /** One-sided significance of each test. */
  alpha: number;
  /** The current share must exceed the baseline's by at least this (absolute, 0-1). */
  minEffect: number;
  /** Fewer reviews than this in the current window: no verdict. */
  minReviews: number;
  /** Fewer matching reviews than this in the current window: no verdict. */
  minCount: number;
  /** Fewer reviews than this in the baseline: no verdict (nothing to compare with yet). */
  minBaseline: number;
  maxBaseline: number;
}

/** The test result when it is a finding (significant, large enough, enough volume), else null. */
export function finding(current: Proportion, baseline: Proportion, t: Thresholds): ShareTest | null {
  if (current.n < t.minReviews || current.k < t.minCount || baseline.n < t.minBaseline) return null;
  const b = baseline.n > 0 ? baseline.k / baseline.n : 0;
  if (current.k / current.n - b < t.minEffect) return null;
  const r = shareTest(current, baseline, t.maxBaseline);
  return r.pValue < t.alpha ? r : null;
}
