// Detection power and false-alarm rate of the drift detector on real data: the reference is a
// random half of SmSA train scored by the default model; stationary windows are resampled from the
// other half; shifted windows are app-review text, or SmSA with a different label mix.
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { InferenceEngine } from '../../../models/core/engine.js';
import { computeFeatures } from '../../../models/features/features.js';
import { rng } from '../../../models/trainer/fasttext.js';
import { readLabelledFile, type LabelledRow } from '../../../platform/datasets.js';
import {
  buildReference,
  detect,
  DEFAULT_DETECTOR,
  type MonitoredRecord,
  type ReferenceProfile,
} from '../../../processors/drift/detector.js';
import { monitoredRecord } from '../../../models/features/monitored.js';
import { FeatureSummary, quantize } from '../../../processors/drift/summary.js';
import {
  benjaminiHochberg,
  chiSquareTest,
  jensenShannon,
  ksTest,
  psiCounts,
  wassersteinNormed,
} from '../../../processors/drift/stats.js';
import { ensureDefaultModel } from '../../../scripts/model-build.js';
import { DATA } from '../models/fixtures.js';

const WINDOW = 200;
let engine: InferenceEngine;
let reference: ReferenceProfile;
let pool: (MonitoredRecord & { truth: string })[];
let appReviews: MonitoredRecord[];

async function score(rows: LabelledRow[]): Promise<(MonitoredRecord & { truth: string })[]> {
  const preds = await engine.predict(rows.map((r) => r.text));
  return rows.map((r, i) => ({
    ...monitoredRecord({
      features: computeFeatures(r.text),
      confidence: preds[i]!.confidence,
      label: preds[i]!.sentiment ?? preds[i]!.label,
    }),
    truth: r.label ?? '',
  }));
}

function summarise(records: readonly MonitoredRecord[]): FeatureSummary {
  const s = new FeatureSummary();
  for (const r of records) s.add(r);
  return s;
}

function sample<T>(xs: T[], n: number, r: () => number): T[] {
  return Array.from({ length: n }, () => xs[Math.floor(r() * xs.length)]!);
}

beforeAll(async () => {
  engine = await InferenceEngine.load(await ensureDefaultModel(), { maxBatch: 256 });
  const smsa = readLabelledFile(path.join(DATA, 'smsa/train_preprocess.tsv'));
  const r = rng(11);
  const shuffled = smsa
    .map((x) => ({ x, k: r() }))
    .sort((a, b) => a.k - b.k)
    .map((p) => p.x);
  const half = Math.floor(shuffled.length / 2);
  reference = buildReference(await score(shuffled.slice(0, half)));
  pool = await score(shuffled.slice(half));
  appReviews = await score(
    readLabelledFile(path.join(DATA, 'app-reviews/train.csv')).filter((x) => x.text.trim() !== ''),
  );
}, 120_000);

describe('drift statistics', () => {
  it('KS: identical samples give D=0, p=1; disjoint ones D=1, p~0', () => {
    expect(ksTest([1, 2, 3], [1, 2, 3])).toEqual({ statistic: 0, pValue: 1 });
    const far = ksTest(
      Array.from({ length: 100 }, (_, i) => i),
      Array.from({ length: 100 }, (_, i) => i + 1000),
    );
    expect(far.statistic).toBe(1);
    expect(far.pValue).toBeLessThan(1e-10);
  });
  it('chi-square matches the textbook 2x2 value', () => {
    const c = chiSquareTest({ a: 50, b: 50 }, { a: 60, b: 40 });
    expect(c.statistic).toBeCloseTo(2.0202, 3);
    expect(c.pValue).toBeCloseTo(0.1552, 3);
  });
  it('PSI, Wasserstein and Jensen-Shannon are 0 for identical distributions and grow with shift', () => {
    expect(psiCounts({ a: 5, b: 5 }, { a: 5, b: 5 })).toBeCloseTo(0);
    expect(psiCounts({ a: 5, b: 5 }, { a: 9, b: 1 })).toBeGreaterThan(0.5);
    expect(wassersteinNormed([1, 2, 3, 4], [1, 2, 3, 4])).toBe(0);
    expect(wassersteinNormed([1, 2, 3, 4], [11, 12, 13, 14])).toBeGreaterThan(5);
    expect(jensenShannon({ a: 1 }, { a: 1 })).toBe(0);
    expect(jensenShannon({ a: 1 }, { b: 1 })).toBeCloseTo(1);
  });
  it('Benjamini-Hochberg rejects the step-up set', () => {
    expect(benjaminiHochberg([0.01, 0.04, 0.03, 0.5], 0.05)).toEqual([true, false, false, false]);
    expect(benjaminiHochberg([0.01, 0.02, 0.03, 0.04], 0.05)).toEqual([true, true, true, true]);
  });
});

describe('detector on real data', () => {
  it('flags at most alpha of 300 stationary windows', () => {
    const r = rng(2026);
    const windows = 300;
    let flagged = 0;
    for (let w = 0; w < windows; w++) if (detect(reference, summarise(sample(pool, WINDOW, r))).drifted) flagged += 1;
    const rate = flagged / windows;
    console.log(
      `false alarms: ${flagged} of ${windows} stationary windows of ${WINDOW} = ${rate.toFixed(3)} (alpha ${DEFAULT_DETECTOR.alpha})`,
    );
    expect(rate).toBeLessThanOrEqual(DEFAULT_DETECTOR.alpha);
  });

  it('flags a switch from SmSA-like text to app-review text in the first window', () => {
    const r = rng(7);
    let hits = 0;
    for (let w = 0; w < 50; w++) if (detect(reference, summarise(sample(appReviews, WINDOW, r))).drifted) hits += 1;
    console.log(`app-review windows flagged: ${hits} of 50`);
    expect(hits).toBe(50);
  });

  it('flags a label-mix shift (SmSA with 80 % negative reviews) in the first window', () => {
    const r = rng(8);
    const neg = pool.filter((x) => x.truth === 'negative');
    const rest = pool.filter((x) => x.truth !== 'negative');
    let hits = 0;
    for (let w = 0; w < 50; w++) {
      const win = [...sample(neg, WINDOW * 0.8, r), ...sample(rest, WINDOW * 0.2, r)];
      const d = detect(reference, summarise(win));
      if (d.results.find((x) => x.feature === 'predicted_label')!.drifted) hits += 1;
    }
    console.log(`label-mix windows flagged on predicted_label: ${hits} of 50`);
    expect(hits).toBe(50);
  });

  it('the sketch-based KS statistic stays within 0.03 of the exact one on real windows', () => {
    const r = rng(9);
    let worst = 0;
    for (let w = 0; w < 20; w++) {
      const win = sample(w % 2 ? pool : appReviews, 2000, r);
      const summary = summarise(win);
      for (const f of ['char_count', 'word_count', 'confidence']) {
        const exact = ksTest(
          reference.numeric[f]!,
          win.map((x) => x.numeric[f]!),
        ).statistic;
        const q = reference.numeric[f]!.map((v) => quantize(f, v));
        const sketched = ksTest(q, summary.sample(f), { nb: summary.size(f) }).statistic;
        worst = Math.max(worst, Math.abs(exact - sketched));
      }
    }
    console.log(`largest |D(sketch) - D(exact)| over 60 feature windows of 2,000 rows: ${worst.toFixed(4)}`);
    expect(worst).toBeLessThan(0.03);
  });
});
