// Segment references and verdicts: a reference is captured from each segment's own traffic for a
// period, restarts with a new model version, survives a store/load round trip; drift is judged per
// segment with a readable reason; the trigger picks the longest streak and ignores app_id alone.
import { describe, expect, it } from 'vitest';
import { rng } from '../../../models/trainer/fasttext.js';
import { monitoredProfile, type PackageDriftReference } from '../../../models/features/monitored.js';
import { ModelReferences } from '../../../processors/drift/model-references.js';
import { SegmentReferences } from '../../../processors/drift/references.js';
import { segmentOutputs } from '../../../processors/drift/segments.js';
import { FeatureSummary, SegmentedSummary } from '../../../processors/drift/summary.js';
import { segmentStreak } from '../../../processors/retrain-trigger/handler.js';

const MIN = 60_000;
const opts = {
  alpha: 0.05,
  method: 'pvalue' as const,
  distanceThreshold: 0.1,
  minReferenceCategories: 2,
  minRows: 30,
  fallbackVersion: 'v0',
};

/** One window of an app's traffic: word counts around `words`, a share `negative` of negative labels. */
function windowOf(apps: Record<string, { words: number; negative: number }>, start: number, seed: number, rows = 200) {
  const r = rng(seed);
  const state = new SegmentedSummary();
  for (const [app, a] of Object.entries(apps)) {
    for (let i = 0; i < rows; i++) {
      const label = r() < a.negative ? 'negative' : r() < 0.5 ? 'neutral' : 'positive';
      const numeric = { word_count: Math.round(a.words + 4 * (r() - 0.5) * 2), confidence: 0.6 + 0.39 * r() };
      state.add(app, { numeric, categorical: { predicted_label: label, app_id: app } }, 'v1');
    }
  }
  return { start, end: start + MIN, state };
}

describe('segment references', () => {
  it('captures the first period of each segment, then tests against it', () => {
    const refs = new SegmentReferences(5 * MIN);
    const roles = Array.from(
      { length: 8 },
      (_, i) =>
        refs.observe('1m', 'app-a', 'v1', {
          start: i * MIN,
          summary: windowOf({ a: { words: 10, negative: 0.2 } }, i * MIN, i).state.total(),
        }).role,
    );
    expect(roles).toEqual(['reference', 'reference', 'reference', 'reference', 'reference', 'test', 'test', 'test']);
  });

  it('starts capturing again when the model version changes, and survives a store/load round trip', () => {
    const refs = new SegmentReferences(2 * MIN);
    const w = (i: number) => windowOf({ a: { words: 10, negative: 0.2 } }, i * MIN, i).state.total();
    refs.observe('1m', 'a', 'v1', { start: 0, summary: w(0) });
    refs.observe('1m', 'a', 'v1', { start: MIN, summary: w(1) });
    expect(refs.observe('1m', 'a', 'v1', { start: 2 * MIN, summary: w(2) }).role).toBe('test');
    const restored = new SegmentReferences(2 * MIN);
    restored.load(refs.changed(0));
    const back = restored.observe('1m', 'a', 'v1', { start: 3 * MIN, summary: w(3) });
    expect(back.role).toBe('test');
    if (back.role === 'test') expect(back.profile.rows).toBe(400);
    expect(refs.observe('1m', 'a', 'v2', { start: 4 * MIN, summary: w(4) }).role).toBe('reference');
  });

  it('round-trips a summary through its stored form', () => {
    const s = windowOf({ a: { words: 12, negative: 0.3 } }, 0, 5).state.total();
    const back = FeatureSummary.fromJSON(JSON.parse(JSON.stringify(s.toJSON())));
    expect(back.rows).toBe(s.rows);
    expect(back.sample('word_count', 50)).toEqual(s.sample('word_count', 50));
    expect(back.counts('predicted_label')).toEqual(s.counts('predicted_label'));
  });
});

describe('segment verdicts', () => {
  it('flags the app whose reviews turned negative, with a readable reason, and not the other app', () => {
    const refs = new SegmentReferences(3 * MIN);
    const steady = { a: { words: 10, negative: 0.2 }, b: { words: 20, negative: 0.1 } };
    for (let i = 0; i < 3; i++) segmentOutputs('1m', windowOf(steady, i * MIN, i), refs, opts, 0);
    const calm = segmentOutputs('1m', windowOf(steady, 3 * MIN, 3), refs, opts, 0);
    expect(calm.map((x) => [x.segment, x.tested, x.drifted])).toEqual([
      ['all', true, false],
      ['a', true, false],
      ['b', true, false],
    ]);
    const shifted = segmentOutputs(
      '1m',
      windowOf({ ...steady, a: { words: 10, negative: 0.7 } }, 4 * MIN, 4),
      refs,
      opts,
      0,
    );
    const a = shifted.find((x) => x.segment === 'a')!;
    expect(a.drifted).toBe(true);
    expect(a.row.reason).toMatch(/^negative share \d+ % -> \d+ %/);
    expect(shifted.find((x) => x.segment === 'b')!.drifted).toBe(false);
    expect(a.events.every((e) => e.segment === 'a')).toBe(true);
  });
});

describe('model references (the profile a package carries)', () => {
  /** A package reference whose sources are steady traffic with the given negative shares. */
  const packageRef = (sources: Record<string, number>): PackageDriftReference => ({
    format: 1,
    feature_set_version: 'fs-1',
    sources: Object.fromEntries(
      Object.entries(sources).map(([name, negative], k) => {
        const r = rng(100 + k);
        const records = Array.from({ length: 400 }, () => ({
          numeric: { word_count: Math.round(10 + 4 * (r() - 0.5) * 2), confidence: 0.6 + 0.39 * r() },
          categorical: { predicted_label: r() < negative ? 'negative' : r() < 0.5 ? 'neutral' : 'positive' },
        }));
        return [name, monitoredProfile(records)];
      }),
    ),
  });

  it("tests every segment against the scoring version's package, pooling the chosen sources", () => {
    const loads: string[] = [];
    const refs = new ModelReferences(
      (v) => (loads.push(v), packageRef({ valid: 0.2, other: 0.2 })),
      [],
      () => undefined,
    );
    const out = segmentOutputs('1m', windowOf({ a: { words: 10, negative: 0.2 } }, 0, 1), refs, opts, 0);
    expect(out.map((x) => [x.segment, x.row.role, x.tested, x.drifted])).toEqual([
      ['all', 'test', true, false],
      ['a', 'test', true, false],
    ]);
    expect(out[0]!.row).toMatchObject({
      reference_origin: 'model',
      reference_sources: ['valid', 'other'],
      reference_model_version: 'v1',
      reference_rows: 800,
    });
    const shifted = segmentOutputs('1m', windowOf({ a: { words: 10, negative: 0.7 } }, MIN, 2), refs, opts, 0);
    expect(shifted.find((x) => x.segment === 'a')!.row.reason).toMatch(/^negative share 2\d % -> [67]\d %/);
    expect(loads).toEqual(['v1']); // one load per version, whatever the number of segments and windows
  });

  it('leaves windows untested, and says why, when a version has no usable reference; looks again later', () => {
    let now = 0;
    const missing: string[] = [];
    const refs = new ModelReferences(
      (v) => (v === 'v1' ? packageRef({ valid: 0.2 }) : { missing: 'no drift-reference.json' }),
      ['valid'],
      (v, why) => missing.push(`${v}: ${why}`),
      60_000,
      () => now,
    );
    const summary = windowOf({ a: { words: 10, negative: 0.2 } }, 0, 3).state.total();
    expect(refs.observe('1m', 'all', 'v2').role).toBe('none');
    expect(refs.observe('1m', 'all', 'v2').role).toBe('none');
    expect(missing).toEqual(['v2: no drift-reference.json']);
    now = 61_000;
    refs.observe('1m', 'all', 'v2');
    expect(missing).toHaveLength(2);
    const picky = new ModelReferences(
      () => packageRef({ valid: 0.2 }),
      ['smsa-valid'],
      (v, why) => missing.push(why),
    );
    expect(picky.observe('1m', 'all', 'v1').role).toBe('none');
    expect(missing[2]).toMatch(/has valid, not smsa-valid/);
    const ok = refs.observe('1m', 'all', 'v1');
    expect(ok.role === 'test' && ok.profile.rows).toBe(400);
    expect(summary.rows).toBe(200);
  });
});

describe('trigger streak per segment', () => {
  const w = (segment: string, drifted: boolean, features: string[] = [], version = '1') => ({
    segment,
    drifted,
    severity: 0.5,
    drifted_features: features,
    reason: 'r',
    reference_model_version: version,
  });
  it('takes the longest run of one segment, newest first', () => {
    const rows = [
      w('a', true, ['confidence']),
      w('a', true, ['confidence']),
      w('a', false),
      w('b', true, ['word_count']),
      w('b', false),
    ];
    expect(segmentStreak(rows)).toMatchObject({ segment: 'a', consecutive: 2, features: ['confidence'] });
  });
  it('counts only windows judged against the Production version: after a promotion the alarm clears', () => {
    const rows = [w('a', false, [], '2'), w('a', true, ['confidence'], '1'), w('a', true, ['confidence'], '1')];
    expect(segmentStreak(rows, '1')!.consecutive).toBe(2);
    expect(segmentStreak(rows, '2')!.consecutive).toBe(0);
    expect(segmentStreak(rows.slice(1), '2')).toBeNull();
  });
  it('never counts a window whose only drifted feature is app_id', () => {
    const rows = [w('all', true, ['app_id']), w('all', true, ['app_id']), w('a', false)];
    expect(segmentStreak(rows)!.consecutive).toBe(0);
  });
});
