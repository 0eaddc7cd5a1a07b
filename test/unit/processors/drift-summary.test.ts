// The bounded window state: sketches merge like the data they summarise, memory does not grow with
// records or with hostile magnitudes, categories and segments are capped.
import { describe, expect, it } from 'vitest';
import {
  FeatureSummary,
  MAX_CATEGORIES,
  OTHER,
  quantize,
  SegmentedSummary,
  SKETCH_BINS,
} from '../../../processors/drift/summary.js';

const rec = (x: number, label: string) => ({ numeric: { x }, categorical: { predicted_label: label } });

describe('FeatureSummary', () => {
  it('two merged halves answer like one summary of everything', () => {
    const all = new FeatureSummary();
    const a = new FeatureSummary();
    const b = new FeatureSummary();
    for (let i = 0; i < 10_000; i++) {
      const r = rec((i * 7919) % 1000, i % 3 ? 'positive' : 'negative');
      all.add(r, 'v1');
      (i % 2 ? a : b).add(r, 'v1');
    }
    a.merge(b);
    expect(a.rows).toBe(10_000);
    expect(a.counts('predicted_label')).toEqual(all.counts('predicted_label'));
    expect(a.sample('x', 50)).toEqual(all.sample('x', 50));
    expect(a.mean('x')).toBeCloseTo(all.mean('x'), 6);
  });

  it('quantiles are within 1 % of the true ones, and are the quantized values themselves', () => {
    const s = new FeatureSummary();
    for (let i = 1; i <= 1000; i++) s.add(rec(i, 'neutral'));
    const q = s.sample('x', 10);
    q.forEach((v, i) => expect(Math.abs(v - (i + 0.5) * 100) / ((i + 0.5) * 100)).toBeLessThan(0.02));
    q.forEach((v) => expect(quantize('x', v)).toBeCloseTo(v, 9));
    expect(quantize('x', 0)).toBe(0);
    expect(Math.abs(quantize('x', -3) + 3)).toBeLessThan(0.03);
  });

  it('sketches confidence as its distance from 1, so 0.995 and 0.9999 stay apart', () => {
    const s = new FeatureSummary();
    for (let i = 0; i < 100; i++) s.add({ numeric: { confidence: i % 2 ? 0.995 : 0.9999 }, categorical: {} });
    const [low, high] = [s.sample('confidence', 2)[0]!, s.sample('confidence', 2)[1]!];
    expect(Math.abs(low - 0.995)).toBeLessThan(0.0002);
    expect(Math.abs(high - 0.9999)).toBeLessThan(0.00001);
    expect(s.mean('confidence')).toBeCloseTo(0.99745, 5);
  });

  it('skips NaN and Infinity, and keeps a bounded number of bins whatever the magnitudes', () => {
    const s = new FeatureSummary();
    s.add(rec(Number.NaN, 'a'));
    s.add(rec(Number.POSITIVE_INFINITY, 'a'));
    expect(s.size('x')).toBe(0);
    for (let e = -300; e <= 300; e += 0.5) s.add(rec(10 ** e, 'a'));
    const sketch = s.numeric.get('x')!;
    expect(sketch.store.bins.length).toBeLessThanOrEqual(SKETCH_BINS);
  });

  it('caps categories per feature; the rest count as OTHER', () => {
    const s = new FeatureSummary();
    for (let i = 0; i < MAX_CATEGORIES + 50; i++) s.add(rec(1, `app-${i}`));
    const c = s.counts('predicted_label');
    expect(Object.keys(c)).toHaveLength(MAX_CATEGORIES + 1);
    expect(c[OTHER]).toBe(50);
  });
});

describe('SegmentedSummary', () => {
  it('keeps a summary per segment up to the cap and a total that merges them', () => {
    const s = new SegmentedSummary(3);
    for (let i = 0; i < 100; i++) s.add(`app-${i % 5}`, rec(i, 'positive'));
    expect([...s.segments.keys()].sort()).toEqual([OTHER, 'app-0', 'app-1', 'app-2']);
    expect(s.segments.get(OTHER)!.rows).toBe(40);
    expect(s.total().rows).toBe(100);
  });
});
