// Name invariance (CheckList's INV test, Ribeiro et al. 2020): every text is scored once with a
// neutral prefix (`aplikasi ini`) and once per name with `aplikasi <name>`; a model whose verdict does
// not depend on the app or brand a review names moves neither the label shares nor the accuracy.
// Pure: the predictions come from the caller (the serving engine, or a cross-validation fold model).
import { SENTIMENTS } from '../core/package.js';

/**
 * Probabilities per text (in `labels` order) for prefixed copies of the rows. `rowIndex[i]` is the row
 * texts[i] was made from, so a caller that holds one model per row (cross-validation folds) can pick it.
 */
export type InvariancePredict = (
  texts: readonly string[],
  rowIndex: readonly number[],
  /** The prefix every one of these texts starts with (then one space, then the row's text). */
  prefix: string,
) => Promise<ArrayLike<number>[]> | ArrayLike<number>[];

export interface InvarianceOptions {
  /** The neutral prefix the names are compared with (default `aplikasi ini`). */
  neutral?: string;
  /** How a name becomes a prefix (default `aplikasi <name>`). */
  prefix?: (name: string) => string;
  /** Label names in probability order (default negative, neutral, positive). */
  labels?: readonly string[];
  /** Rows predicted per call (bounds memory: rows x names texts would not fit at once). */
  chunk?: number;
}

export interface PrefixScore {
  prefix: string;
  accuracy: number;
  /** Share of rows predicted as each label. */
  shares: Record<string, number>;
}

export interface NameShift extends PrefixScore {
  name: string;
  /** Per label: this name's share minus the neutral prefix's. */
  share_shift: Record<string, number>;
  /** The largest |share shift| over the labels. */
  max_share_shift: number;
  /** Neutral accuracy minus this name's (positive: the name made the model worse). */
  accuracy_drop: number;
}

export interface InvarianceReport {
  rows: number;
  neutral: PrefixScore;
  names: NameShift[];
  worst_share_shift: { name: string; value: number };
  /** The largest accuracy drop, 0 when no name lowers the accuracy. */
  worst_accuracy_drop: { name: string; value: number };
}

export const NEUTRAL_PREFIX = 'aplikasi ini';

/** The names the model card's table and `npm run evaluate -- --invariance` report by default. */
export const REPORT_NAMES: readonly string[] = [
  'shopee',
  'tokopedia',
  'lazada',
  'blibli',
  'bukalapak',
  'traveloka',
  'tiket.com',
  'gojek',
  'grab',
  'ovo',
  'dana',
  'gopay',
  'livin by mandiri',
  'bca mobile',
  'brimo',
  'telkomsel',
  'indosat',
  'xl',
  'smartfren',
  'indihome',
  'by.u',
  'google play',
  'app store',
  'netflix',
  'mobile legends',
];
export const namePrefix = (name: string): string => `aplikasi ${name}`;

function argmax(p: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < p.length; i++) if (p[i]! > p[best]!) best = i;
  return best;
}

async function scorePrefix(
  predict: InvariancePredict,
  rows: readonly { text: string; label: string }[],
  prefix: string,
  labels: readonly string[],
  chunk: number,
): Promise<PrefixScore> {
  const counts = new Array<number>(labels.length).fill(0);
  let correct = 0;
  for (let at = 0; at < rows.length; at += chunk) {
    const idx = Array.from({ length: Math.min(chunk, rows.length - at) }, (_, k) => at + k);
    const probs = await predict(
      idx.map((i) => `${prefix} ${rows[i]!.text}`),
      idx,
      prefix,
    );
    probs.forEach((p, k) => {
      const best = argmax(p);
      counts[best]! += 1;
      if (labels[best] === rows[idx[k]!]!.label) correct += 1;
    });
  }
  const n = Math.max(1, rows.length);
  return {
    prefix,
    accuracy: correct / n,
    shares: Object.fromEntries(labels.map((l, c) => [l, counts[c]! / n])),
  };
}

/** Scores the rows under the neutral prefix and under each name's; the per-name shifts and the worst. */
export async function measureInvariance(
  predict: InvariancePredict,
  rows: readonly { text: string; label: string }[],
  names: readonly string[],
  opts: InvarianceOptions = {},
): Promise<InvarianceReport> {
  const labels = opts.labels ?? SENTIMENTS;
  const chunk = opts.chunk ?? 2048;
  const prefix = opts.prefix ?? namePrefix;
  const neutral = await scorePrefix(predict, rows, opts.neutral ?? NEUTRAL_PREFIX, labels, chunk);
  const scores: { name: string; score: PrefixScore }[] = [];
  for (const name of names) scores.push({ name, score: await scorePrefix(predict, rows, prefix(name), labels, chunk) });
  return compare(rows.length, neutral, scores);
}

function compare(rows: number, neutral: PrefixScore, scores: { name: string; score: PrefixScore }[]): InvarianceReport {
  const out: NameShift[] = scores.map(({ name, score }) => {
    const shift = Object.fromEntries(
      Object.keys(neutral.shares).map((l) => [l, score.shares[l]! - neutral.shares[l]!]),
    );
    return {
      name,
      ...score,
      share_shift: shift,
      max_share_shift: Math.max(...Object.values(shift).map(Math.abs)),
      accuracy_drop: neutral.accuracy - score.accuracy,
    };
  });
  const worstShift = out.reduce<NameShift | null>(
    (w, s) => (!w || s.max_share_shift > w.max_share_shift ? s : w),
    null,
  );
  const worstDrop = out.reduce<NameShift | null>((w, s) => (!w || s.accuracy_drop > w.accuracy_drop ? s : w), null);
  return {
    rows,
    neutral,
    names: out,
    worst_share_shift: { name: worstShift?.name ?? '', value: worstShift?.max_share_shift ?? 0 },
    worst_accuracy_drop: { name: worstDrop?.name ?? '', value: Math.max(0, worstDrop?.accuracy_drop ?? 0) },
  };
}

/**
 * Reports over disjoint rows with the same names (cross-validation folds) as one: shares and
 * accuracies are row-weighted means, then the shifts and the worst are computed again.
 */
export function poolInvariance(reports: readonly InvarianceReport[]): InvarianceReport {
  const rows = reports.reduce((n, r) => n + r.rows, 0);
  const mean = (pick: (r: InvarianceReport) => PrefixScore): PrefixScore => {
    const first = pick(reports[0]!);
    const w = (r: InvarianceReport): number => r.rows / Math.max(1, rows);
    return {
      prefix: first.prefix,
      accuracy: reports.reduce((a, r) => a + pick(r).accuracy * w(r), 0),
      shares: Object.fromEntries(
        Object.keys(first.shares).map((l) => [l, reports.reduce((a, r) => a + pick(r).shares[l]! * w(r), 0)]),
      ),
    };
  };
  if (!reports.length) throw new Error('poolInvariance needs at least one report');
  const names = reports[0]!.names.map((n, k) => ({ name: n.name, score: mean((r) => r.names[k]!) }));
  return compare(
    rows,
    mean((r) => r.neutral),
    names,
  );
}

/** One line per name, then the worst of each (what `npm run evaluate -- --invariance` prints). */
export function formatInvariance(r: InvarianceReport, title: string): string {
  const pct = (x: number): string => `${(x * 100).toFixed(1)}`.padStart(5);
  const signed = (x: number): string => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}`.padStart(6);
  const labels = Object.keys(r.neutral.shares);
  const shares = (of: Record<string, number>): string => labels.map((l) => pct(of[l]!).padStart(6)).join(' ');
  const head = `${'prefix'.padEnd(24)} acc %  ${labels.map((l) => `${l.slice(0, 3)} %`.padStart(6)).join(' ')}`;
  const lines = [
    `\n${title}: ${r.rows} rows, each prefixed with "aplikasi <name>" vs "${r.neutral.prefix}"`,
    `${head}   shift in points (${labels.map((l) => l.slice(0, 3)).join('/')}), accuracy drop`,
    `${r.neutral.prefix.padEnd(24)} ${pct(r.neutral.accuracy)}  ${shares(r.neutral.shares)}`,
  ];
  for (const n of r.names) {
    const shifts = labels.map((l) => signed(n.share_shift[l]!)).join(' ');
    lines.push(
      `${n.prefix.slice(0, 24).padEnd(24)} ${pct(n.accuracy)}  ${shares(n.shares)}   ${shifts}  ` +
        `${signed(n.accuracy_drop)}`,
    );
  }
  lines.push(
    `worst share shift ${(r.worst_share_shift.value * 100).toFixed(2)} points (${r.worst_share_shift.name}); ` +
      `worst accuracy drop ${(r.worst_accuracy_drop.value * 100).toFixed(2)} points ` +
      `(${r.worst_accuracy_drop.name || 'none'})`,
  );
  return lines.join('\n');
}
