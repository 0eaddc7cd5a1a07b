// Drift statistics. Pure. Defaults follow Evidently's: with a reference of <= 1,000 rows, numeric
// features use the two-sample KS test and categorical ones chi-square (p < 0.05 = drift); with a
// larger reference, numeric features use the Wasserstein distance normed by the reference's
// standard deviation and categorical ones the Jensen-Shannon distance (>= 0.1 = drift). PSI is
// reported for every feature. Benjamini-Hochberg controls the false discovery rate across the
// p-value tests of one window.
import jstatModule from 'jstat';

const jStat = jstatModule;

/** Kolmogorov distribution tail Q(lambda) = 2 sum (-1)^(k-1) exp(-2 k^2 lambda^2). */
function kolmogorovQ(lambda: number): number {
  if (lambda < 1e-3) return 1;
  let sum = 0;
  for (let k = 1; k <= 100; k++) {
    const term = 2 * (k % 2 ? 1 : -1) * Math.exp(-2 * k * k * lambda * lambda);
    sum += term;
    if (Math.abs(term) < 1e-12) break;
  }
  return Math.min(1, Math.max(0, sum));
}

/**
 * Two-sample Kolmogorov-Smirnov: statistic D and asymptotic p-value (Stephens' small-sample
 * correction). `sizes` overrides the sample sizes in the p-value when a side is a quantile sample
 * standing in for more rows (a sketch's window).
 */
export function ksTest(
  a: readonly number[],
  b: readonly number[],
  sizes: { na?: number; nb?: number } = {},
): { statistic: number; pValue: number } {
  if (a.length === 0 || b.length === 0) return { statistic: 0, pValue: 1 };
  const x = [...a].sort((p, q) => p - q);
  const y = [...b].sort((p, q) => p - q);
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < x.length && j < y.length) {
    const v = Math.min(x[i]!, y[j]!);
    while (i < x.length && x[i]! <= v) i++;
    while (j < y.length && y[j]! <= v) j++;
    d = Math.max(d, Math.abs(i / x.length - j / y.length));
  }
  const na = sizes.na ?? x.length;
  const nb = sizes.nb ?? y.length;
  const ne = (na * nb) / (na + nb);
  const sq = Math.sqrt(ne);
  return { statistic: d, pValue: kolmogorovQ((sq + 0.12 + 0.11 / sq) * d) };
}

export type Counts = Record<string, number>;

export function countValues(values: readonly string[]): Counts {
  const c: Counts = {};
  for (const v of values) c[v] = (c[v] ?? 0) + 1;
  return c;
}

/** Chi-square test of homogeneity between reference and current category counts. */
export function chiSquareTest(ref: Counts, cur: Counts): { statistic: number; pValue: number; dof: number } {
  const cats = [...new Set([...Object.keys(ref), ...Object.keys(cur)])];
  const nr = cats.reduce((s, c) => s + (ref[c] ?? 0), 0);
  const nc = cats.reduce((s, c) => s + (cur[c] ?? 0), 0);
  if (cats.length < 2 || nr === 0 || nc === 0) return { statistic: 0, pValue: 1, dof: 0 };
  const n = nr + nc;
  let chi = 0;
  for (const c of cats) {
    const total = (ref[c] ?? 0) + (cur[c] ?? 0);
    for (const [obs, rowTotal] of [
      [ref[c] ?? 0, nr],
      [cur[c] ?? 0, nc],
    ] as const) {
      const exp = (rowTotal * total) / n;
      if (exp > 0) chi += ((obs - exp) * (obs - exp)) / exp;
    }
  }
  const dof = cats.length - 1;
  return { statistic: chi, pValue: 1 - jStat.chisquare.cdf(chi, dof), dof };
}

function proportions(counts: Counts, cats: string[], eps = 1e-4): number[] {
  const n = cats.reduce((s, c) => s + (counts[c] ?? 0), 0) || 1;
  return cats.map((c) => Math.max(eps, (counts[c] ?? 0) / n));
}

/** Population stability index over shared categories (or bins). */
export function psiCounts(ref: Counts, cur: Counts): number {
  const cats = [...new Set([...Object.keys(ref), ...Object.keys(cur)])];
  const p = proportions(ref, cats);
  const q = proportions(cur, cats);
  return p.reduce((s, pi, i) => s + (q[i]! - pi) * Math.log(q[i]! / pi), 0);
}

/** Decile edges of the reference: numeric values are binned the same way for PSI. */
export function quantileEdges(ref: readonly number[], bins = 10): number[] {
  const s = [...ref].sort((a, b) => a - b);
  const edges: number[] = [];
  for (let k = 1; k < bins; k++) edges.push(s[Math.min(s.length - 1, Math.floor((k / bins) * s.length))]!);
  return [...new Set(edges)];
}

export function binCounts(values: readonly number[], edges: readonly number[]): Counts {
  const c: Counts = {};
  for (const v of values) {
    let b = 0;
    while (b < edges.length && v > edges[b]!) b++;
    c[`b${b}`] = (c[`b${b}`] ?? 0) + 1;
  }
  return c;
}

/** 1-D Wasserstein distance between two empirical distributions, normed by the reference std. */
export function wassersteinNormed(ref: readonly number[], cur: readonly number[]): number {
  if (ref.length === 0 || cur.length === 0) return 0;
  const a = [...ref].sort((p, q) => p - q);
  const b = [...cur].sort((p, q) => p - q);
  const all = [...new Set([...a, ...b])].sort((p, q) => p - q);
  let ia = 0;
  let ib = 0;
  let w = 0;
  for (let k = 0; k < all.length - 1; k++) {
    while (ia < a.length && a[ia]! <= all[k]!) ia++;
    while (ib < b.length && b[ib]! <= all[k]!) ib++;
    w += Math.abs(ia / a.length - ib / b.length) * (all[k + 1]! - all[k]!);
  }
  const mean = a.reduce((s, v) => s + v, 0) / a.length;
  const std = Math.sqrt(a.reduce((s, v) => s + (v - mean) ** 2, 0) / a.length);
  return std > 0 ? w / std : w;
}

/** Jensen-Shannon distance (base 2, in [0, 1]) between category distributions. */
export function jensenShannon(ref: Counts, cur: Counts): number {
  const cats = [...new Set([...Object.keys(ref), ...Object.keys(cur)])];
  const p = proportions(ref, cats, 0);
  const q = proportions(cur, cats, 0);
  const kl = (x: number[], y: number[]): number =>
    x.reduce((s, xi, i) => (xi > 0 ? s + xi * Math.log2(xi / y[i]!) : s), 0);
  const m = p.map((pi, i) => (pi + q[i]!) / 2);
  return Math.sqrt(Math.max(0, (kl(p, m) + kl(q, m)) / 2));
}

/** Benjamini-Hochberg: which of the p-values are discoveries at false discovery rate alpha. */
export function benjaminiHochberg(pValues: readonly number[], alpha: number): boolean[] {
  const order = pValues.map((p, i) => ({ p, i })).sort((x, y) => x.p - y.p);
  let cutoff = -1;
  order.forEach(({ p }, k) => {
    if (p <= ((k + 1) / order.length) * alpha) cutoff = k;
  });
  const out = new Array<boolean>(pValues.length).fill(false);
  for (let k = 0; k <= cutoff; k++) out[order[k]!.i] = true;
  return out;
}
