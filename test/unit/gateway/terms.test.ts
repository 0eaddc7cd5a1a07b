// Emerging words: a planted complaint in one app's recent negative reviews surfaces, a steady app
// (same vocabulary, same rates) surfaces nothing, over many seeds.
import { describe, expect, it } from 'vitest';
import { emergingTerms, logOddsZ, type PeriodTermCount, type PeriodTotal } from '../../../gateway/terms.js';

/** mulberry32: a small seeded generator, so every run sees the same reviews. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** 300 words with Zipf-like per-review rates (the most common in 30 % of reviews). */
const VOCAB = Array.from({ length: 300 }, (_, i) => ({ term: `kata${i}`, rate: Math.min(0.3, 0.6 / (i + 2)) }));

/** Word counts of `reviews` negative reviews of one app in one period, each word at most once a review. */
function period(
  app: string,
  recent: boolean,
  reviews: number,
  random: () => number,
  planted: { term: string; rate: number }[] = [],
): { counts: PeriodTermCount[]; total: PeriodTotal } {
  const n = new Map<string, number>();
  for (let r = 0; r < reviews; r++)
    for (const w of [...VOCAB, ...planted]) if (random() < w.rate) n.set(w.term, (n.get(w.term) ?? 0) + 1);
  return {
    counts: [...n.entries()].map(([term, c]) => ({ app_id: app, recent, term, n: c })),
    total: { app_id: app, recent, reviews },
  };
}

function history(seed: number, plant: boolean) {
  const random = rng(seed);
  const parts = [
    period('id.co.bayar', false, 1500, random, [{ term: 'saldo', rate: 0.01 }]),
    period(
      'id.co.bayar',
      true,
      250,
      random,
      plant
        ? [
            { term: 'saldo', rate: 0.2 },
            { term: 'terpotong', rate: 0.15 },
          ]
        : [{ term: 'saldo', rate: 0.01 }],
    ),
    period('id.co.steady', false, 1500, random),
    period('id.co.steady', true, 250, random),
  ];
  return { counts: parts.flatMap((p) => p.counts), totals: parts.map((p) => p.total) };
}

describe('emerging terms', () => {
  it('surfaces a planted complaint in one app, with its shares, and nothing in the steady app', () => {
    const { counts, totals } = history(7, true);
    const apps = emergingTerms(counts, totals);
    const bayar = apps.find((a) => a.app_id === 'id.co.bayar')!;
    expect(bayar.terms.map((t) => t.term).sort()).toEqual(['saldo', 'terpotong']);
    const saldo = bayar.terms.find((t) => t.term === 'saldo')!;
    expect(saldo.recent_share).toBeGreaterThan(0.15);
    expect(saldo.baseline_share).toBeLessThan(0.02);
    expect(saldo.z).toBeGreaterThan(3.09);
    // A word the baseline never had is still scored (the prior keeps it finite).
    expect(bayar.terms.find((t) => t.term === 'terpotong')!.baseline).toBe(0);
    const steady = apps.find((a) => a.app_id === 'id.co.steady')!;
    expect(steady).toMatchObject({ recent_reviews: 250, baseline_reviews: 1500, terms: [] });
  });

  it('raises no word on steady traffic over 50 seeds (both apps, 300 words each)', () => {
    let raised = 0;
    for (let seed = 1; seed <= 50; seed++) {
      const { counts, totals } = history(seed, false);
      raised += emergingTerms(counts, totals).reduce((s, a) => s + a.terms.length, 0);
    }
    // 50 seeds x 2 apps x 300 words = 30,000 word tests at one-sided p = 0.001, with the lift and
    // count floors on top: none rises (deterministic seeds, so this is exact, not a tolerance).
    expect(raised).toBe(0);
  });

  it('needs the minimum count and a baseline before anything emerges', () => {
    const totals: PeriodTotal[] = [
      { app_id: 'a', recent: true, reviews: 10 },
      { app_id: 'a', recent: false, reviews: 400 },
      { app_id: 'b', recent: true, reviews: 50 },
      { app_id: 'b', recent: false, reviews: 5 },
    ];
    const counts: PeriodTermCount[] = [
      { app_id: 'a', recent: true, term: 'gagal', n: 4 },
      { app_id: 'b', recent: true, term: 'gagal', n: 40 },
    ];
    const out = emergingTerms(counts, totals);
    expect(out.find((a) => a.app_id === 'a')!.terms).toEqual([]); // 4 < minCount
    expect(out.find((a) => a.app_id === 'b')!.terms).toEqual([]); // a baseline of 5 reviews says nothing
    // 4 of 10 against none of 400 is z = 2.1 under the prior: past a lowered floor, not the default one.
    const lowered = emergingTerms(counts, totals, { minCount: 4, minZ: 2 }).find((a) => a.app_id === 'a')!;
    expect(lowered.terms.map((t) => t.term)).toEqual(['gagal']);
  });

  it('leaves stopwords out and scores the log-odds symmetrically', () => {
    const totals: PeriodTotal[] = [
      { app_id: 'a', recent: true, reviews: 100 },
      { app_id: 'a', recent: false, reviews: 1000 },
    ];
    const counts: PeriodTermCount[] = [{ app_id: 'a', recent: true, term: 'yang', n: 90 }];
    expect(emergingTerms(counts, totals)[0]!.terms).toEqual([]);
    expect(logOddsZ(30, 100, 10, 1000, 40 / 1100, 500)).toBeCloseTo(-logOddsZ(10, 1000, 30, 100, 40 / 1100, 500), 9);
  });
});
