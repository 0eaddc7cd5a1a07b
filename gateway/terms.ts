// The most distinctive words of each predicted sentiment, for the status page: the weighted
// log-odds ratio with an informative Dirichlet prior (Monroe, Colaresi & Quinn, 2008), each label
// against the other two. It ranks words by how much more often they appear with one label than the
// others, shrunk toward the overall rate, so a word seen twice does not outrank one seen a thousand
// times. Indonesian and English stopwords (the `stopword` package's lists) are left out.
import { eng as ENGLISH_STOPWORDS, ind as INDONESIAN_STOPWORDS } from 'stopword';
import { SENTIMENTS } from '../models/core/package.js';
import type { Sentiment } from '../schemas/types.generated.js';
import type { TermCount } from './dashboard-queries.js';

const STOP = new Set([...INDONESIAN_STOPWORDS, ...ENGLISH_STOPWORDS, 'nya', 'yang', 'aja', 'sih', 'dan']);

export interface DistinctiveTerm {
  term: string;
  /** Reviews with this label that contain the term. */
  n: number;
  /** z-score of the log-odds ratio against the other labels. */
  z: number;
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
    const nR = all - nL;
    const scored: DistinctiveTerm[] = [];
    for (const [term, row] of byTerm) {
      const yL = row[label];
      if (yL === 0) continue;
      const yR = row.negative + row.neutral + row.positive - yL;
      const a = (priorMass * (yL + yR)) / all;
      const delta = Math.log((yL + a) / (nL + priorMass - yL - a)) - Math.log((yR + a) / (nR + priorMass - yR - a));
      scored.push({ term, n: yL, z: delta / Math.sqrt(1 / (yL + a) + 1 / (yR + a)) });
    }
    out[label] = scored.sort((x, y) => y.z - x.z || y.n - x.n).slice(0, top);
  }
  return out;
}
