// Out-of-fold predictions read back as verdicts, shared by model:cv's report (cv.ts) and its paired
// comparison of two recipes (cv-compare.ts): the decision offsets applied as the package applies them,
// and the rows of a star-rated file matched to the distinct text each was trained and scored as.
import { labelOf, normaliseFor, readSet, type Manifest } from './manifest.js';

/** Log-probabilities plus the decision offsets: the scores the package's top label is taken from. */
export const shift = (p: ArrayLike<number>, o: readonly number[]): number[] =>
  Array.from(p, (v, c) => Math.log(Math.max(v, 1e-12)) + o[c]!);

/** The top label after the offsets. */
export function verdictOf(p: ArrayLike<number>, offsets: readonly number[]): number {
  const s = shift(p, offsets);
  let best = 0;
  for (let c = 1; c < s.length; c++) if (s[c]! > s[best]!) best = c;
  return best;
}

export interface StarFileRow {
  source: string;
  text: string;
  label: string;
  /** The index of the row's distinct text in the assembled data. */
  index: number;
}

/**
 * Every row of each star-rated file, duplicates included, with its own stars as the label and the index
 * of its distinct text. A row whose text left the training data (a dropped conflict, a leaked text) or
 * has no out-of-fold prediction (`has`) is left out.
 */
export function starFileRows(
  rows: readonly { key: string }[],
  m: Manifest,
  dataDir: string,
  has: (index: number) => boolean,
): StarFileRow[] {
  const byKey = new Map(rows.map((r, i) => [r.key, i]));
  const norm = normaliseFor(m);
  const out: StarFileRow[] = [];
  for (const src of m.sources.filter((s) => s.path && s.label_from === 'stars')) {
    for (const row of readSet(src.path!, dataDir, src.name).rows) {
      const label = labelOf(row, src);
      const index = label ? byKey.get(norm(row.text)) : undefined;
      if (index !== undefined && has(index)) out.push({ source: src.name, text: row.text, label: label!, index });
    }
  }
  return out;
}
