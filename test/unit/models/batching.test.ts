// How the engine cuts a predict() call into ONNX runs: the planner is optimal for its cost model and
// keeps its limits, and planned runs give the same predictions as the former sorted chunks.
import { describe, expect, it } from 'vitest';
import { chunkBatches, planBatches, type BatchPlanOptions } from '../../../models/core/batching.js';
import { InferenceEngine, type RunInfo } from '../../../models/core/engine.js';
import { rng } from '../../../models/trainer/fasttext.js';
import { XLMR_TINY } from './fixtures.js';

const cost = (lengths: number[], runs: number[][], o: BatchPlanOptions): number =>
  runs.reduce((s, r) => s + o.runCostTokens + r.length * Math.max(...r.map((i) => lengths[i]!)), 0);

/** The cheapest cut of the sorted order into contiguous runs, by trying every one (small n only). */
function bruteForce(lengths: number[], o: BatchPlanOptions): number {
  const sorted = [...lengths].sort((a, b) => a - b);
  const n = sorted.length;
  let best = Infinity;
  for (let mask = 0; mask < 1 << (n - 1); mask++) {
    let total = 0;
    let start = 0;
    let ok = true;
    for (let j = 1; j <= n; j++) {
      if (j < n && !(mask & (1 << (j - 1)))) continue;
      const rows = j - start;
      const padded = rows * sorted[j - 1]!;
      if (rows > o.maxBatch || (rows > 1 && padded > o.maxTokens)) ok = false;
      total += o.runCostTokens + padded;
      start = j;
    }
    if (ok) best = Math.min(best, total);
  }
  return best;
}

describe('planBatches', () => {
  const r = rng(3);
  const lengths = Array.from({ length: 300 }, () => 3 + Math.floor(r() ** 3 * 125));

  it('places every text in exactly one run and keeps the limits', () => {
    const o = { maxBatch: 32, maxTokens: 1024, runCostTokens: 64 };
    const runs = planBatches(lengths, o);
    expect(runs.flat().sort((a, b) => a - b)).toEqual(lengths.map((_, i) => i));
    for (const run of runs) {
      expect(run.length).toBeLessThanOrEqual(32);
      const padded = run.length * Math.max(...run.map((i) => lengths[i]!));
      if (run.length > 1) expect(padded).toBeLessThanOrEqual(1024);
    }
  });

  it('finds the cheapest cut (checked against every cut of 12 lengths)', () => {
    for (let trial = 0; trial < 20; trial++) {
      const ls = Array.from({ length: 12 }, () => 1 + Math.floor(r() * 60));
      const o = { maxBatch: 5, maxTokens: 150, runCostTokens: Math.floor(r() * 100) };
      expect(cost(ls, planBatches(ls, o), o)).toBe(bruteForce(ls, o));
    }
  });

  it('pads nothing when runs are free, and fills maxBatch when they are dear', () => {
    const free = planBatches(lengths, { maxBatch: 256, maxTokens: 1e9, runCostTokens: 0 });
    for (const run of free) expect(new Set(run.map((i) => lengths[i])).size).toBe(1);
    const dear = planBatches(lengths, { maxBatch: 100, maxTokens: 1e9, runCostTokens: 1e9 });
    expect(dear.map((run) => run.length)).toEqual([100, 100, 100]);
  });

  it('wastes far less padding than sorted chunks of maxBatch on skewed review lengths', () => {
    const o = { maxBatch: 256, maxTokens: 8192, runCostTokens: 64 };
    const padding = (runs: number[][]) =>
      runs.reduce((s, run) => s + run.length * Math.max(...run.map((i) => lengths[i]!)), 0) /
        lengths.reduce((a, b) => a + b, 0) -
      1;
    expect(padding(planBatches(lengths, o))).toBeLessThan(0.1);
    expect(padding(chunkBatches(lengths, 256, true))).toBeGreaterThan(1);
  });
});

describe('engine runs', () => {
  const texts = [
    'ok',
    'aplikasi ini sangat membantu sekali untuk belanja bulanan keluarga kami',
    'jelek',
    'pengiriman lambat, barang rusak dan penjual tidak membalas pesan sama sekali',
    'bagus',
    'lumayan',
  ];

  it('gives the same predictions with planned runs as with sorted chunks, and reports each run', async () => {
    const seen: RunInfo[] = [];
    const planned = await InferenceEngine.load(XLMR_TINY, {
      maxBatch: 4,
      runCostTokens: 0,
      onRun: (run) => seen.push(run),
    });
    const chunked = await InferenceEngine.load(XLMR_TINY, { maxBatch: 4, runs: 'chunks' });
    const a = await planned.predict(texts);
    const b = await chunked.predict(texts);
    a.forEach((p, i) => {
      for (const [label, v] of Object.entries(p.probabilities))
        expect(Math.abs(v - b[i]!.probabilities[label]!)).toBeLessThan(1e-5);
    });
    expect(seen.reduce((s, run) => s + run.rows, 0)).toBe(texts.length);
    for (const run of seen) {
      expect(run.rows).toBeLessThanOrEqual(4);
      expect(run.seqLen).toBe(Math.max(...run.lengths));
    }
    // Free runs: every run holds texts of one length, so nothing is padded.
    expect(seen.every((run) => run.lengths.every((l) => l === run.seqLen))).toBe(true);
    await planned.close();
    await chunked.close();
  });
});
