// model:cv --against <manifest>: two recipes' out-of-fold predictions on the same rows and the same
// folds, compared row by row. Pure: it reads what crossValidate returned for each.
// Why paired: fold draws move the three-source mean by about 0.01 (model card, "Refit with the 5-epoch
// schedule"), more than most changes a manifest makes, so two separate runs compared by eye say little.
// On the same folds every row is scored by both recipes, and the rows only one gets right (McNemar)
// show whether a difference is more than a few reviews. Held-out (valid) figures are left out on
// purpose: a choice made from this output stays blind to the sets the package reports.
import { UlasanError } from '../../platform/errors.js';
import { starFileRows, verdictOf } from './cv-rows.js';
import type { Manifest } from './manifest.js';
import { SENTIMENTS } from '../core/package.js';
import { evaluate, mcnemarExactP } from './metrics.js';

/** What the comparison reads of one cross-validation run (crossValidate's result). */
export interface CvRun {
  data: { rows: readonly { key: string; source: string; text: string }[] };
  labels: readonly number[];
  fold: readonly number[];
  result: { oof: readonly (ArrayLike<number> | undefined)[] };
}

export interface PairedRows {
  rows: number;
  /** Pooled over the folds (every row once), so the two figures and the counts below are of the same rows. */
  accuracy: { a: number; b: number };
  macro_f1: { a: number; b: number };
  /** Rows only recipe a gets right, and rows only recipe b gets right. */
  only_a: number;
  only_b: number;
  /** McNemar's exact p on those rows. */
  mcnemar_p: number;
}

export interface CvComparison {
  /** Distinct texts per training source. */
  per_source: Record<string, PairedRows>;
  /** Every row of each star-rated file; split by whether the review names a listed app when one recipe masks names. */
  star_sources_every_row: Record<string, { all: PairedRows; naming_an_app?: PairedRows; name_free?: PairedRows }>;
}

interface Verdicts {
  truth: number;
  a: number;
  b: number;
}

function paired(items: readonly Verdicts[]): PairedRows {
  let rightA = 0;
  let rightB = 0;
  let onlyA = 0;
  let onlyB = 0;
  for (const v of items) {
    const ra = v.a === v.truth;
    const rb = v.b === v.truth;
    rightA += ra ? 1 : 0;
    rightB += rb ? 1 : 0;
    if (ra && !rb) onlyA += 1;
    if (rb && !ra) onlyB += 1;
  }
  const n = Math.max(1, items.length);
  const truth = items.map((v) => v.truth);
  const oneHot = (c: number): number[] => SENTIMENTS.map((_, k) => (k === c ? 1 : 0));
  const f1 = (side: 'a' | 'b'): number =>
    evaluate(
      SENTIMENTS,
      truth,
      items.map((v) => oneHot(v[side])),
    ).macro_f1;
  return {
    rows: items.length,
    accuracy: { a: rightA / n, b: rightB / n },
    macro_f1: { a: f1('a'), b: f1('b') },
    only_a: onlyA,
    only_b: onlyB,
    mcnemar_p: mcnemarExactP(onlyA, onlyB),
  };
}

/** The two runs must have scored the same rows in the same folds, or nothing is paired. */
function assertSameRows(a: CvRun, b: CvRun): void {
  const differs =
    a.data.rows.length !== b.data.rows.length || a.data.rows.some((r, i) => r.key !== b.data.rows[i]!.key);
  if (differs || a.fold.some((f, i) => f !== b.fold[i])) {
    throw new UlasanError(
      'USAGE',
      `the two manifests assemble different rows (${a.data.rows.length} vs ${b.data.rows.length}) or folds: ` +
        'a paired comparison needs the same sources, de-duplication and leakage rules, and the same --seed',
    );
  }
}

export interface CompareOptions {
  manifest: Manifest;
  dataDir: string;
  offsetsA: readonly number[];
  offsetsB: readonly number[];
  /** Whether a text names a listed app (a masker changes it); absent: no split by names. */
  namesAnApp?: (text: string) => boolean;
}

export function compareCv(a: CvRun, b: CvRun, o: CompareOptions): CvComparison {
  assertSameRows(a, b);
  const scored = (i: number): boolean => a.result.oof[i] !== undefined && b.result.oof[i] !== undefined;
  const verdicts = (i: number, truth: number): Verdicts => ({
    truth,
    a: verdictOf(a.result.oof[i]!, o.offsetsA),
    b: verdictOf(b.result.oof[i]!, o.offsetsB),
  });
  const bySource: Record<string, Verdicts[]> = {};
  a.data.rows.forEach((r, i) => {
    if (scored(i)) (bySource[r.source] ??= []).push(verdicts(i, a.labels[i]!));
  });
  const everyRow: Record<string, { all: Verdicts[]; named: Verdicts[]; free: Verdicts[] }> = {};
  for (const row of starFileRows(a.data.rows, o.manifest, o.dataDir, scored)) {
    const group = (everyRow[row.source] ??= { all: [], named: [], free: [] });
    const v = verdicts(row.index, (SENTIMENTS as readonly string[]).indexOf(row.label));
    group.all.push(v);
    if (o.namesAnApp) (o.namesAnApp(row.text) ? group.named : group.free).push(v);
  }
  return {
    per_source: Object.fromEntries(Object.entries(bySource).map(([s, v]) => [s, paired(v)])),
    star_sources_every_row: Object.fromEntries(
      Object.entries(everyRow).map(([s, g]) => [
        s,
        { all: paired(g.all), ...(o.namesAnApp ? { naming_an_app: paired(g.named), name_free: paired(g.free) } : {}) },
      ]),
    ),
  };
}

const pairedLine = (label: string, p: PairedRows): string =>
  `${label.padEnd(30)} ${String(p.rows).padStart(6)} rows  ` +
  `macro-F1 ${p.macro_f1.a.toFixed(4)} vs ${p.macro_f1.b.toFixed(4)} (${signed(p.macro_f1.a - p.macro_f1.b)})  ` +
  `accuracy ${p.accuracy.a.toFixed(4)} vs ${p.accuracy.b.toFixed(4)} (${signed(p.accuracy.a - p.accuracy.b)})  ` +
  `right only a ${p.only_a} / only b ${p.only_b}, McNemar p ${p.mcnemar_p.toFixed(3)}`;

const signed = (x: number): string => `${x >= 0 ? '+' : ''}${x.toFixed(4)}`;

/** The comparison as text: one line per source, then every row of each star-rated file. */
export function formatComparison(c: CvComparison & { a: string; b: string; folds: number; seed: number }): string {
  const lines = [
    `a: ${c.a}\nb: ${c.b}\nout of fold, the same ${c.folds} folds (seed ${c.seed}), a vs b:`,
    ...Object.entries(c.per_source).map(([s, p]) => pairedLine(s, p)),
  ];
  for (const [s, g] of Object.entries(c.star_sources_every_row)) {
    lines.push(pairedLine(`${s} every row`, g.all));
    if (g.naming_an_app) lines.push(pairedLine('  naming a listed app', g.naming_an_app));
    if (g.name_free) lines.push(pairedLine('  name-free', g.name_free));
  }
  return lines.join('\n');
}
