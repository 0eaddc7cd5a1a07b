// The promotion gate on synthetic paired predictions: the bootstrap, each check, the decision, the
// ratchet over successive candidates, the flat metrics and the report table.
import { describe, expect, it } from 'vitest';
import { rng } from '../../../models/trainer/fasttext.js';
import { evaluate } from '../../../models/trainer/metrics.js';
import { ConfigError } from '../../../platform/errors.js';
import { RegistryState } from '../../../platform/registry/state.js';
import { parseLauncherConfig } from '../../../processors/training-launcher/config.js';
import {
  decidePromotion,
  gateMetrics,
  type GateInput,
  type GateSettings,
  type HistoryRef,
} from '../../../processors/training-launcher/gate.js';
import { lastProductionVersions } from '../../../processors/training-launcher/gate-scoring.js';
import {
  pairedAgreement,
  pairedBootstrap,
  scoredOf,
  statsOf,
  type Scored,
} from '../../../processors/training-launcher/gate-stats.js';
import { gateSvg, runReportMarkdown } from '../../../processors/training-launcher/report.js';
import type { ModelVersionEvent } from '../../../schemas/types.generated.js';

const N = 1500;
const settings: GateSettings = {
  registerAccuracy: 0.5,
  promoteAccuracy: 0.6,
  margin: 0.005,
  confidence: 0.95,
  resamples: 1000,
  seed: 7,
  segmentMargin: 0.05,
  segmentMinRows: 50,
  eceMargin: 0.02,
  invarianceMaxShift: 0.02,
  invarianceMaxDrop: 0.01,
};

/** Labels spread over three classes; a base model right on 88 % of rows (confidence 0.9 when right, 0.6 when wrong). */
function world(seed = 1) {
  const r = rng(seed);
  const truth = Int32Array.from({ length: N }, () => Math.floor(r() * 3));
  const pred = truth.map((y) => (r() < 0.88 ? y : (y + 1 + Math.floor(r() * 2)) % 3));
  const base: Scored = { pred: Int32Array.from(pred), conf: Float64Array.from(pred, (p, i) => confOf(p === truth[i])) };
  // Segments: 1300 rows of "big", 150 of "medium", 50 of "small" (at the minimum), in blocks.
  const segments = Array.from({ length: N }, (_, i) => [`source:${i < 1300 ? 'big' : i < 1450 ? 'medium' : 'small'}`]);
  return { truth, base, segments };
}

const confOf = (right: boolean): number => (right ? 0.9 : 0.6);
const copy = (s: Scored): Scored => ({ pred: Int32Array.from(s.pred), conf: Float64Array.from(s.conf) });

/** `s` made wrong on its first k right rows among `rows` (default: all), or right on its first k wrong rows. */
function shift(s: Scored, truth: Int32Array, k: number, dir: 'worse' | 'better', rows?: number[]): Scored {
  const out = copy(s);
  let left = k;
  for (const i of rows ?? Array.from({ length: N }, (_, j) => j)) {
    if (left === 0) break;
    const right = out.pred[i] === truth[i];
    if (dir === 'worse' && right) out.pred[i] = (truth[i]! + 1) % 3;
    else if (dir === 'better' && !right) out.pred[i] = truth[i]!;
    else continue;
    out.conf[i] = confOf(!right);
    left -= 1;
  }
  return out;
}

const all = Array.from({ length: N }, (_, i) => i);

/** The fewest flipped rows that make the candidate at least `delta` worse on macro-F1. */
function worseBy(s: Scored, truth: Int32Array, delta: number): Scored {
  const base = statsOf(truth, s, all).macro_f1;
  for (let k = 1; k < N; k++) {
    const c = shift(s, truth, k, 'worse');
    if (base - statsOf(truth, c, all).macro_f1 >= delta) return c;
  }
  throw new Error('unreachable');
}

const input = (
  w: ReturnType<typeof world>,
  candidate: Scored,
  prod: Scored | null,
  history: HistoryRef[] = [],
): GateInput => ({
  truth: w.truth,
  segments: w.segments,
  candidate,
  production: prod ? { version: 1, scored: prod } : null,
  history: history.length || !prod ? history : [{ version: 1, scored: prod }],
  invariance: { shareShift: null, accuracyDrop: null },
});

describe('gate statistics', () => {
  it('computes accuracy, macro-F1 and ECE exactly as the package metrics do', () => {
    const r = rng(3);
    const truth = Array.from({ length: 400 }, () => Math.floor(r() * 3));
    const probs = truth.map(() => {
      const p = [r(), r(), r()];
      const t = p[0]! + p[1]! + p[2]!;
      return p.map((v) => v / t);
    });
    const m = evaluate(['negative', 'neutral', 'positive'], truth, probs);
    const s = statsOf(
      truth,
      scoredOf(probs),
      truth.map((_, i) => i),
    );
    expect(s.accuracy).toBeCloseTo(m.accuracy, 12);
    expect(s.macro_f1).toBeCloseTo(m.macro_f1, 12);
    expect(s.ece).toBeCloseTo(m.ece, 12);
  });

  it('gives a zero-width interval for identical models and the same bounds for the same seed', () => {
    const w = world();
    const same = pairedBootstrap(w.truth, w.base, copy(w.base), all, settings);
    expect(same.macro_f1).toMatchObject({ estimate: 0, lower: 0, upper: 0 });
    const worse = shift(w.base, w.truth, 12, 'worse');
    const a = pairedBootstrap(w.truth, worse, w.base, all, settings);
    const b = pairedBootstrap(w.truth, worse, w.base, all, settings);
    expect(a).toEqual(b);
    expect(a.accuracy.estimate).toBeCloseTo(-12 / N, 12);
    // Only rows the candidate lost can move the difference: every resample is <= 0.
    expect(a.accuracy.upper).toBeLessThanOrEqual(0);
    expect(a.accuracy.lower).toBeLessThan(a.accuracy.estimate);
    expect(pairedBootstrap(w.truth, worse, w.base, all, { ...settings, seed: 8 })).not.toEqual(a);
  });

  it("counts the rows where two models differ and gives McNemar's exact p", () => {
    const truth = [0, 0, 0, 1, 1, 1, 2, 2, 2, 2];
    const scored = (pred: number[]): Scored => ({ pred: Int32Array.from(pred), conf: new Float64Array(pred.length) });
    // Row 0: only the candidate right; rows 3, 4: only the reference; row 6: both wrong, different verdicts.
    const candidate = scored([0, 0, 0, 2, 0, 1, 0, 2, 2, 2]);
    const reference = scored([1, 0, 0, 1, 1, 1, 1, 2, 2, 2]);
    const idx = truth.map((_, i) => i);
    const a = pairedAgreement(truth, candidate, reference, idx);
    // 2 * P(X <= 1), X ~ Binomial(3, 1/2) = 2 * 4 / 8
    expect(a).toEqual({ rows: 10, changed: 4, onlyCandidate: 1, onlyReference: 2, mcnemarP: 1 });
    expect(pairedAgreement(truth, candidate, candidate, idx)).toMatchObject({ changed: 0, mcnemarP: 1 });
    expect(pairedAgreement(truth, candidate, reference, [0, 6])).toMatchObject({
      rows: 2,
      changed: 2,
      onlyCandidate: 1,
    });
    // 10 rows against 2: 2 * (1 + 12 + 66) / 4096, the card's SmSA figure (p 0.039).
    const t12 = Array<number>(12).fill(0);
    const c12 = scored(t12.map((_, i) => (i < 10 ? 0 : 1)));
    const r12 = scored(t12.map((_, i) => (i < 10 ? 1 : 0)));
    const p = pairedAgreement(
      t12,
      c12,
      r12,
      t12.map((_, i) => i),
    ).mcnemarP;
    expect(p).toBeCloseTo((2 * 79) / 4096, 8); // jStat sums through the incomplete beta: 1e-10
  });
});

describe('promotion gate', () => {
  it('keeps a candidate 0.008 worse on macro-F1 in Staging, naming the test and its numbers', () => {
    const w = world();
    const cand = worseBy(w.base, w.truth, 0.008);
    const d = decidePromotion(input(w, cand, w.base), settings);
    expect(d.register).toBe(true);
    expect(d.promote).toBe(false);
    const f1 = d.checks.find((c) => c.id === 'macro_f1')!;
    expect(f1.estimate!).toBeLessThanOrEqual(-0.008);
    expect(f1.estimate!).toBeGreaterThan(-0.0095);
    expect(f1.bound!).toBeLessThan(f1.estimate!);
    expect(f1.outcome).toBe('fail');
    expect(d.reason).toMatch(
      /^stays Staging: macro-F1 non-inferiority vs Production v1: Δ -0\.00\d\d, 95 % lower bound -0\.0\d{3} < -0\.005/,
    );
  });

  it('promotes a better candidate, with every check passed or marked', () => {
    const w = world();
    const cand = shift(w.base, w.truth, 30, 'better');
    const d = decidePromotion(input(w, cand, w.base), settings);
    expect(d.promote, d.reason).toBe(true);
    expect(d.reason).toMatch(
      /^promoted: accuracy 0\.\d{4} > 0\.6; macro-F1 non-inferiority vs Production v1: Δ \+0\.0/,
    );
    expect(d.reason).toMatch(/not measured: worst name shift in a label share, worst name accuracy drop$/);
    const outcomes = Object.fromEntries(d.checks.map((c) => [c.id, c.outcome]));
    expect(outcomes).toMatchObject({
      macro_f1: 'pass',
      accuracy: 'pass',
      ece: 'pass',
      segment_source_big_macro_f1: 'pass',
      segment_source_medium_accuracy: 'pass',
      segment_source_small_accuracy: 'pass',
      ratchet_macro_f1: 'pass',
      invariance_share_shift: 'not measured',
    });
  });

  it('promotes a first version on the accuracy floor alone, and registers nothing below the register floor', () => {
    const w = world();
    const first = decidePromotion(input(w, w.base, null), settings);
    expect(first.promote).toBe(true);
    expect(first.checks.find((c) => c.id === 'macro_f1')).toMatchObject({
      outcome: 'not tested',
      note: 'no Production yet',
    });
    const bad = decidePromotion(input(w, w.base, null), { ...settings, registerAccuracy: 0.9 });
    expect(bad).toMatchObject({ register: false, promote: false });
    expect(bad.reason).toMatch(/^not registered: validation accuracy 0\.8\d{3} < 0\.9$/);
    const floor = decidePromotion(input(w, w.base, null), { ...settings, promoteAccuracy: 0.95 });
    expect(floor).toMatchObject({ register: true, promote: false });
    expect(floor.reason).toMatch(/^stays Staging: validation accuracy 0\.8\d{3} is not > 0\.95/);
  });

  it('fails a segment that is worse beyond its own bound although the whole is better', () => {
    const w = world();
    const medium = Array.from({ length: 150 }, (_, i) => 1300 + i);
    const cand = shift(shift(w.base, w.truth, 60, 'better'), w.truth, 15, 'worse', medium);
    const d = decidePromotion(input(w, cand, w.base), settings);
    expect(d.checks.find((c) => c.id === 'macro_f1')!.outcome).toBe('pass');
    expect(d.checks.find((c) => c.id === 'accuracy')!.outcome).toBe('pass');
    const seg = d.checks.find((c) => c.id === 'segment_source_medium_accuracy')!;
    expect(seg).toMatchObject({ outcome: 'fail', against: 'Production v1, 150 rows' });
    expect(seg.estimate!).toBeCloseTo(-0.1, 6);
    expect(d.promote).toBe(false);
    expect(d.reason).toMatch(/segment source:medium accuracy vs Production v1, 150 rows: Δ -0\.1000/);
  });

  it('lists a segment below the row minimum as not tested', () => {
    const w = world();
    const d = decidePromotion(input(w, w.base, w.base), { ...settings, segmentMinRows: 100 });
    expect(d.checks.find((c) => c.id === 'segment_source_small')).toMatchObject({ outcome: 'not tested' });
  });

  it('fails a candidate whose calibration is worse beyond the ECE bound', () => {
    const w = world();
    // The same labels, but sure of itself where it is wrong.
    const overconfident = { pred: w.base.pred, conf: w.base.conf.map((c) => (c < 0.7 ? 0.99 : c)) };
    const d = decidePromotion(input(w, overconfident, w.base), settings);
    const ece = d.checks.find((c) => c.id === 'ece')!;
    expect(ece.estimate!).toBeGreaterThan(0.04);
    expect(ece).toMatchObject({ op: '<=', limit: 0.02, outcome: 'fail' });
    expect(d.promote).toBe(false);
    expect(d.reason).toMatch(
      /calibration \(ECE\) not worse vs Production v1: Δ \+0\.\d{4}, 95 % upper bound \+0\.\d{4} > 0\.02/,
    );
  });

  it('checks the worst name shift when the package reports it, and records "not measured" when not', () => {
    const w = world();
    const better = shift(w.base, w.truth, 30, 'better');
    const measured = (shareShift: number, accuracyDrop: number) =>
      decidePromotion({ ...input(w, better, w.base), invariance: { shareShift, accuracyDrop } }, settings);
    expect(measured(0.015, 0.004).promote).toBe(true);
    const shifted = measured(0.03, 0.004);
    expect(shifted.promote).toBe(false);
    expect(shifted.reason).toMatch(/worst name shift in a label share 0\.0300 > 0\.02/);
    expect(measured(0.01, 0.02).reason).toMatch(/worst name accuracy drop 0\.0200 > 0\.01/);
  });

  it('refuses a margin above 0.005 in the gate and in the configuration', () => {
    const w = world();
    expect(() => decidePromotion(input(w, w.base, w.base), { ...settings, margin: 0.01 })).toThrow(/0\.005/);
    expect(() => parseLauncherConfig({ LAUNCHER_PROMOTE_MARGIN: '0.01' })).toThrow(ConfigError);
    expect(() => parseLauncherConfig({ LAUNCHER_PROMOTE_MARGIN: '0.01' })).toThrow(/LAUNCHER_PROMOTE_MARGIN/);
    expect(parseLauncherConfig({}).LAUNCHER_PROMOTE_MARGIN).toBe(0.005);
  });
});

describe('ratchet', () => {
  it('holds a candidate equal to Production to the best of the last Production versions', () => {
    const w = world();
    const best = w.base;
    const prod = shift(best, w.truth, 9, 'worse');
    const history = [
      { version: 3, scored: prod },
      { version: 1, scored: best },
    ];
    const d = decidePromotion(
      { ...input(w, copy(prod), prod, history), production: { version: 3, scored: prod } },
      settings,
    );
    expect(d.checks.find((c) => c.id === 'macro_f1')!.outcome).toBe('pass');
    const r = d.checks.find((c) => c.id === 'ratchet_macro_f1')!;
    expect(r).toMatchObject({ outcome: 'fail', referenceVersion: 1 });
    expect(r.against).toBe('v1 (best of the last 2 Production)');
    expect(d.promote).toBe(false);
    expect(d.reason).toMatch(
      /ratchet: macro-F1 vs v1 \(best of the last 2 Production\): Δ -0\.0\d{3}, 95 % lower bound/,
    );
  });

  it('uses recorded metrics for a version whose package is gone, and says so', () => {
    const w = world();
    const history: HistoryRef[] = [
      { version: 2, scored: w.base },
      { version: 1, recorded: { accuracy: 0.95, macro_f1: 0.95 } },
      { version: 0, unavailable: 'artifact missing; no recorded metrics on this validation set' },
    ];
    const d = decidePromotion(
      { ...input(w, w.base, w.base, history), production: { version: 2, scored: w.base } },
      settings,
    );
    const r = d.checks.find((c) => c.id === 'ratchet_macro_f1')!;
    expect(r).toMatchObject({ outcome: 'fail', referenceVersion: 1, bound: null, reference: 0.95 });
    expect(r.note).toMatch(/recorded metrics on the same validation set.*not compared: v0/);
  });

  it('never lets five successive candidates, each 0.004 worse, take Production below the best minus the margin', () => {
    const w = world();
    const allRows = all;
    const versions = new Map<number, Scored>([[1, w.base]]);
    let production = 1;
    const promotions = [1];
    let previous = w.base;
    for (let k = 2; k <= 6; k++) {
      const cand = worseBy(previous, w.truth, 0.004);
      const history = promotions
        .slice(-5)
        .reverse()
        .map((v) => ({ version: v, scored: versions.get(v)! }));
      const d = decidePromotion(
        { ...input(w, cand, null, history), production: { version: production, scored: versions.get(production)! } },
        settings,
      );
      versions.set(k, cand);
      if (d.promote) {
        production = k;
        promotions.push(k);
      }
      const f1 = (v: number) => statsOf(w.truth, versions.get(v)!, allRows).macro_f1;
      const best = Math.max(...promotions.slice(-5).map(f1));
      expect(f1(production)).toBeGreaterThanOrEqual(best - settings.margin);
      previous = cand;
    }
    expect(production).toBe(1);
  });

  it('stops a drift of small steps that each pass against the Production they replace', () => {
    const w = world();
    const versions = new Map<number, Scored>([[1, w.base]]);
    const promotions = [1];
    let previous = w.base;
    const outcomes: boolean[] = [];
    for (let k = 2; k <= 6; k++) {
      const cand = shift(previous, w.truth, 2, 'worse');
      const production = promotions.at(-1)!;
      const history = promotions
        .slice(-5)
        .reverse()
        .map((v) => ({ version: v, scored: versions.get(v)! }));
      const d = decidePromotion(
        { ...input(w, cand, null, history), production: { version: production, scored: versions.get(production)! } },
        settings,
      );
      outcomes.push(d.promote);
      versions.set(k, cand);
      if (d.promote) promotions.push(k);
      previous = d.promote ? cand : previous;
    }
    // Two rows lost per step: the first steps pass, then the ratchet against v1 holds.
    expect(outcomes[0]).toBe(true);
    expect(outcomes.filter(Boolean).length).toBeLessThan(5);
    const loss =
      statsOf(w.truth, w.base, all).accuracy - statsOf(w.truth, versions.get(promotions.at(-1)!)!, all).accuracy;
    expect(loss).toBeLessThanOrEqual(settings.margin);
  });

  it('takes the distinct versions most recently promoted, newest first', () => {
    const s = new RegistryState();
    const ev = (version: number, stage: ModelVersionEvent['stage'], timestamp: number): ModelVersionEvent => ({
      name: 'm',
      version,
      stage,
      metrics: {},
      artifact_uri: `file:///a/${version}`,
      content_hash: String(version),
      run_id: null,
      reason: '',
      actor: 't',
      timestamp,
    });
    [ev(1, 'Production', 1), ev(2, 'Staging', 2), ev(2, 'Production', 3), ev(1, 'Archived', 3), ev(3, 'Staging', 4)]
      .concat([ev(1, 'Production', 5), ev(2, 'Archived', 5)])
      .forEach((e) => s.apply(e));
    expect(lastProductionVersions(s, 'm', 5).map((v) => v.version)).toEqual([1, 2]);
    expect(lastProductionVersions(s, 'm', 1).map((v) => v.version)).toEqual([1]);
  });
});

describe('gate record', () => {
  it('flattens every tested check into metrics and renders the table in the report and an SVG', () => {
    const w = world();
    const d = decidePromotion(input(w, worseBy(w.base, w.truth, 0.008), w.base), settings);
    const m = gateMetrics(d, { gate_valid_rows: N });
    expect(m).toMatchObject({
      gate_promote: 0,
      gate_macro_f1_pass: 0,
      gate_macro_f1_limit: -0.005,
      gate_valid_rows: N,
    });
    expect(m.gate_macro_f1_estimate).toBeLessThanOrEqual(-0.008);
    expect(m.gate_macro_f1_version).toBe(1);
    expect(m.gate_candidate_macro_f1! - m.gate_production_macro_f1!).toBeCloseTo(m.gate_macro_f1_estimate!, 12);
    expect(Object.keys(m).some((k) => k.startsWith('gate_invariance'))).toBe(false);
    const md = runReportMarkdown({
      ...{ runId: 'r1', modelName: 'm', status: 'succeeded', reason: d.reason, params: {}, datasetHash: 'h' },
      ...{ trainRows: 1, validRows: N, gitSha: null, seconds: 1, metrics: {}, labels: [], confusion: [], history: [] },
      modelVersion: 2,
      gate: { checks: d.checks, confidence: 0.95, rows: N, validHash: 'abc' },
    });
    expect(md).toContain('## Promotion gate');
    expect(md).toMatch(
      /\| macro-F1 non-inferiority \| Production v1 \| 0\.\d{4} \| 0\.\d{4} \| -0\.00\d\d \| -0\.0\d{3} \| bound >= -0\.005 \| fail \|/,
    );
    expect(md).toMatch(
      /\| worst name shift in a label share \| bound \|.*not measured \(the package reports no invariance metrics\) \|/,
    );
    const svg = gateSvg(d.checks, 'Promotion gate');
    expect(svg).toMatch(/^<svg/);
    expect(svg).toContain('macro-F1 non-inferiority');
    expect(svg).toContain('>fail<');
  });
});
