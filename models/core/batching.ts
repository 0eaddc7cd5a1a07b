// How the engine cuts one predict() call into ONNX runs. Every row of a run is padded to the run's
// longest row, so a transformer spends the padding's FLOPs for nothing; every run also has a fixed
// cost (kernel launches, small GEMMs that use the cores badly). `planBatches` sorts the texts by
// token length and chooses the cut points that minimise
//     sum over runs of (runCostTokens + rows x longest length)
// by dynamic programming over the sorted order (O(n x maxBatch)), with at most `maxBatch` rows and
// `maxTokens` padded tokens per run. Pure.

export interface BatchPlanOptions {
  /** Most rows in one run. */
  maxBatch: number;
  /** Most padded tokens (rows x length) in one run; a single longer row still gets its own run. */
  maxTokens: number;
  /** A run's fixed cost in tokens' worth of work: larger gives fewer, more padded runs. */
  runCostTokens: number;
}

/** Runs as lists of indices into `lengths`, each run's rows in ascending length. */
export function planBatches(lengths: readonly number[], o: BatchPlanOptions): number[][] {
  const n = lengths.length;
  if (n === 0) return [];
  const order = lengths.map((_, i) => i).sort((a, b) => lengths[a]! - lengths[b]! || a - b);
  const len = (k: number): number => Math.max(1, lengths[order[k]!]!);
  const best = new Float64Array(n + 1).fill(Infinity);
  const cut = new Int32Array(n + 1);
  best[0] = 0;
  for (let j = 1; j <= n; j++) {
    const longest = len(j - 1);
    for (let rows = 1; rows <= Math.min(o.maxBatch, j); rows++) {
      const padded = rows * longest;
      if (rows > 1 && padded > o.maxTokens) break;
      const cost = best[j - rows]! + o.runCostTokens + padded;
      if (cost < best[j]!) {
        best[j] = cost;
        cut[j] = j - rows;
      }
    }
  }
  const runs: number[][] = [];
  for (let j = n; j > 0; j = cut[j]!) runs.push(order.slice(cut[j]!, j));
  return runs.reverse();
}

/** The plan without the optimisation: the sorted order (or arrival order) in runs of `maxBatch`. */
export function chunkBatches(lengths: readonly number[], maxBatch: number, sorted: boolean): number[][] {
  const order = lengths.map((_, i) => i);
  if (sorted) order.sort((a, b) => lengths[a]! - lengths[b]! || a - b);
  const runs: number[][] = [];
  for (let s = 0; s < order.length; s += maxBatch) runs.push(order.slice(s, s + maxBatch));
  return runs;
}
