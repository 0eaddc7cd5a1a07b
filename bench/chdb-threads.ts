// CPU per review, by thread, of the scorer's chdb work alone: per batch the known-ids query, then
// the predictions and review_features inserts (columns, JSONColumns), on real texts, no stack. What
// the embedded engine costs apart from the rest of the scorer (bench:scoring's thread table).
//   npx tsx bench/chdb-threads.ts [--reviews 40000] [--batch 5000]
import path from 'node:path';
import { rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { computeFeatures } from '../models/features/features.js';
import { ChdbStore } from '../platform/clickhouse/chdb.js';
import { migrate } from '../processors/kit/migrations.js';
import { FeatureColumns, PredictionColumns } from '../processors/scoring/handler.js';
import { knownReviewsQuery } from '../processors/kit/review-identity.js';
import type { Prediction } from '../models/core/engine.js';
import { freshDir } from '../test/helpers.js';
import { machine, threadCpuByName, threadCpuDelta, writeResult } from './lib/report.js';
import { benchReviews } from './lib/reviews.js';

const { values } = parseArgs({
  options: { reviews: { type: 'string', default: '40000' }, batch: { type: 'string', default: '5000' } },
});
const N = Number(values.reviews);
const B = Number(values.batch);
const reviews = benchReviews(N, 'b-');
const features = reviews.map((r) => computeFeatures(r.text));
const now = Date.now();
const prediction = { modelName: 'bench', modelVersion: '1' } as Prediction;
const probs = { negative: 0.1, neutral: 0.2, positive: 0.7 };
const hash = 'ab'.repeat(32);

function columnsOf(from: number, to: number) {
  const p = new PredictionColumns(now, 1);
  const f = new FeatureColumns(now);
  for (let k = from; k < to; k++) {
    const review = reviews[k]!;
    p.push({
      review,
      prediction,
      probs,
      features: features[k]!,
      partition: 0,
      offset: String(k),
      topics: ['login'],
      textHash: hash,
      appVersion: '1.2.3',
    });
    f.push(review, features[k]!);
  }
  return { p: p.batch(), f: f.batch() };
}

const batches = Array.from({ length: Math.ceil(N / B) }, (_, b) => columnsOf(b * B, Math.min(N, (b + 1) * B)));
const dir = freshDir('bench-chdb-threads');
const store = new ChdbStore(dir, 'bench');
await store.exec('CREATE DATABASE IF NOT EXISTS bench');
await migrate(store);
const sql = knownReviewsQuery('bench.predictions', 'text_hash');
const perStep = new Map<string, Map<string, number>>();
async function timed(step: string, fn: () => Promise<unknown>): Promise<void> {
  const a = threadCpuByName();
  await fn();
  const b = threadCpuByName();
  const acc = perStep.get(step) ?? new Map<string, number>();
  for (const [k, v] of b) acc.set(k, (acc.get(k) ?? 0) + v - (a.get(k) ?? 0));
  perStep.set(step, acc);
}
const all0 = threadCpuByName();
for (let b = 0; b < batches.length; b++) {
  const ids = reviews.slice(b * B, (b + 1) * B).map((r) => r.review_id);
  await timed('known-ids query', () => store.query(sql, { ids }));
  await timed('insert predictions', () => store.insertColumns('predictions', batches[b]!.p));
  await timed('insert review_features', () => store.insertColumns('review_features', batches[b]!.f));
}
// Merges started by the last inserts finish in the background: a second's wait lets them count.
await new Promise((r) => setTimeout(r, 1000));
const whole = threadCpuDelta(all0, threadCpuByName(), N);
await store.close();
rmSync(dir, { recursive: true, force: true });
const steps = Object.fromEntries([...perStep].map(([k, m]) => [k, threadCpuDelta(new Map(), m, N)]));
for (const [step, rows] of Object.entries(steps)) {
  console.log(`${step}, CPU µs per review by thread:`);
  console.table(rows);
}
console.log('the whole loop (plus 1 s for the last merges), CPU µs per review by thread:');
console.table(whole);
const file = writeResult('chdb-threads', {
  bench: 'bench/chdb-threads.ts',
  reviews: N,
  batch: B,
  machine: machine(),
  steps,
  whole,
});
console.log(`results: ${path.relative(process.cwd(), file)}`);
