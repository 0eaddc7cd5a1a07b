// CPU time per review of the scorer's pure, non-model steps, one at a time, on real texts, with
// no stack: which of them the e2e stage windows (bench:scoring) are made of.
//   npx tsx bench/scoring-stages.ts [--reviews 20000] [--batch 3000]
// Each step runs over all N reviews after a warm-up pass; the figure is process CPU / N.
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import avro from 'avsc';
import { computeFeatures, modelInputText } from '../models/features/features.js';
import { defaultTagger } from '../models/topics/tagger.js';
import {
  FeatureColumns,
  PredictionColumns,
  scoredMessageOf,
  type PredictionInput,
} from '../processors/scoring/handler.js';
import { loadSchema } from '../platform/serde/schemas.js';
import { AvroSerde } from '../platform/serde/serde.js';
import { guardAvro } from '../platform/serde/avro-guard.js';
import { ChdbStore } from '../platform/clickhouse/chdb.js';
import { migrate } from '../processors/kit/migrations.js';
import { PROJECT_ROOT } from '../platform/config.js';
import { validateReview } from '../processors/kit/review.js';
import { knownReviewsQuery, textHash } from '../processors/kit/review-identity.js';
import { freshDir } from '../test/helpers.js';
import { cpuMicros, machine, writeResult } from './lib/report.js';
import { benchReviews } from './lib/reviews.js';

const { values } = parseArgs({
  options: { reviews: { type: 'string', default: '20000' }, batch: { type: 'string', default: '3000' } },
});
const N = Number(values.reviews);
const BATCH = Number(values.batch);
const host = machine();
const now = Date.now();
const reviews = benchReviews(N, 'b-');
const reviewType = avro.Type.forSchema(
  JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'schemas/Review.avsc'), 'utf8')) as avro.Schema,
);
const buffers = reviews.map((r) => reviewType.toBuffer(r));

const results: { step: string; cpu_us: number }[] = [];
function step(name: string, fn: () => void): void {
  fn(); // warm-up: the JIT and any caches
  const c0 = process.cpuUsage();
  fn();
  results.push({ step: name, cpu_us: Number((cpuMicros(c0) / N).toFixed(2)) });
}
async function stepAsync(name: string, fn: () => Promise<void>): Promise<void> {
  await fn();
  const c0 = process.cpuUsage();
  await fn();
  results.push({ step: name, cpu_us: Number((cpuMicros(c0) / N).toFixed(2)) });
}

step('avro decode (compiled avsc reader)', () => buffers.forEach((b) => reviewType.fromBuffer(b)));
step('guardAvro (the hostile-length walk before avsc)', () => buffers.forEach((b) => guardAvro(reviewType, b, 0)));
step('validateReview', () => reviews.forEach((r) => validateReview(r, now)));
step('textHash (sha256 hex)', () => reviews.forEach((r) => textHash(r.text)));
const features = reviews.map((r) => computeFeatures(r.text));
step('computeFeatures', () => reviews.forEach((r) => computeFeatures(r.text)));
// computeFeatures' two halves: the clean text (also the model's input) and the 13 numeric features.
step('  clean text (modelInputText)', () => reviews.forEach((r) => modelInputText(r.text)));
step('  13 numeric features (clean text given)', () =>
  reviews.forEach((r, i) => computeFeatures(r.text, features[i]!.clean_text)),
);
const tagger = defaultTagger();
step('topics: tagger.tagClean', () => features.forEach((f) => tagger.tagClean(f.clean_text)));
const pred = {
  label: 'positive',
  sentiment: 'positive',
  confidence: 0.9,
  probabilities: {},
  modelName: 'm',
  modelVersion: '1',
};
const probs = { negative: 0.05, neutral: 0.05, positive: 0.9 };
const inputs: PredictionInput[] = reviews.map((r, i) => ({
  review: r,
  prediction: pred as never,
  probs,
  features: features[i]!,
  partition: 0,
  offset: String(i),
  topics: [],
  textHash: 'h',
  appVersion: null,
}));
const columnsOf = (from: number, to: number) => {
  const p = new PredictionColumns(now, 0.1);
  const f = new FeatureColumns(now);
  for (let i = from; i < to; i++) {
    p.push(inputs[i]!);
    f.push(reviews[i]!, features[i]!);
  }
  return { p: p.batch(), f: f.batch() };
};
step('PredictionColumns + FeatureColumns (the scorer now)', () => void columnsOf(0, N));
// The row-per-object form the former inserts took (the scorer's object builders were removed after
// round 2; their 6.9 / 4.2 us are in docs/benchmarks.md): the same values, one object per row.
const rowsOf = (columns: Record<string, readonly unknown[]>): Record<string, unknown>[] => {
  const names = Object.keys(columns);
  return columns[names[0]!]!.map((_, i) => Object.fromEntries(names.map((k) => [k, columns[k]![i]])));
};
const all = columnsOf(0, N);
const pRows = rowsOf(all.p);
const fRows = rowsOf(all.f);

// The ScoredReview encoding: per record (encoderFor) against one batch encoder (the scorer now).
const serde = new AvroSerde('http://127.0.0.1:1');
(serde as unknown as { ids: Map<string, number> }).ids.set('scored', 1);
(serde as unknown as { types: Map<number, avro.Type> }).types.set(
  1,
  avro.Type.forSchema(loadSchema('ScoredReview') as avro.Schema),
);
const one = await serde.encoderFor('scored');
const batchEncode = await serde.batchEncoderFor('scored');
step('ScoredReview message + encode, per record (before)', () =>
  inputs.forEach((x) => one(scoredMessageOf(x, now, false))),
);
step('ScoredReview message + encode, batch encoder (now)', () => {
  for (let i = 0; i < N; i += BATCH) batchEncode(inputs.slice(i, i + BATCH).map((x) => scoredMessageOf(x, now, false)));
});

// Decode: the async registry path per record (before) against decodeSync on the cached type (now).
const framed = buffers.map((b) => Buffer.concat([Buffer.from([0, 0, 0, 0, 2]), b]));
(serde as unknown as { ids: Map<string, number> }).ids.set('reviews', 2);
(serde as unknown as { types: Map<number, avro.Type> }).types.set(2, reviewType);
await stepAsync('serde.decode per record, awaited (before)', async () => {
  for (const b of framed) await serde.decode(b, 'reviews');
});
step('serde.decodeSync per record (now)', () => framed.forEach((b) => serde.decodeSync(b, 'reviews')));

const dir = freshDir('bench-stages');
const store = new ChdbStore(dir, 'bench');
await store.exec('CREATE DATABASE IF NOT EXISTS bench');
await migrate(store);
const inBatches = async (fn: (p: typeof pRows, f: typeof fRows) => Promise<void>) => {
  for (let i = 0; i < N; i += BATCH) await fn(pRows.slice(i, i + BATCH), fRows.slice(i, i + BATCH));
};
await stepAsync(`chdb insert, store.insert (JSONColumns), batches of ${BATCH}`, () =>
  inBatches(async (p, f) => {
    await store.insert('predictions', p);
    await store.insert('review_features', f);
  }),
);
await stepAsync(`chdb insertColumns (JSONColumns from columns, the scorer now), batches of ${BATCH}`, async () => {
  for (let i = 0; i < N; i += BATCH) {
    const { p, f } = columnsOf(i, Math.min(N, i + BATCH));
    await store.insertColumns('predictions', p);
    await store.insertColumns('review_features', f);
  }
});
type RawInsert = (o: { table: string; values: Buffer; format: string; columns: string[] }) => Promise<unknown>;
await stepAsync(`chdb raw Buffer insert, JSONCompactEachRow from columns, batches of ${BATCH}`, async () => {
  const chdbSession = (store as unknown as { session: { insert: RawInsert } }).session;
  for (let i = 0; i < N; i += BATCH) {
    const { p, f } = columnsOf(i, Math.min(N, i + BATCH));
    for (const [table, cols] of [
      ['predictions', p],
      ['review_features', f],
    ] as const) {
      const names = Object.keys(cols);
      const lines: string[] = [];
      for (let r = 0; r < cols[names[0]!]!.length; r++) lines.push(JSON.stringify(names.map((c) => cols[c]![r])));
      await chdbSession.insert({
        table: `bench.${table}`,
        values: Buffer.from(lines.join('\n')),
        format: 'JSONCompactEachRow',
        columns: names,
      });
    }
  }
});
const session = (store as unknown as { session: { queryAsync: (q: string, o: object) => Promise<unknown> } }).session;
for (const format of ['JSONEachRow', 'JSONCompactEachRow']) {
  await stepAsync(`chdb insert, ${format}, batches of ${BATCH}`, () =>
    inBatches(async (p, f) => {
      for (const [table, rs] of [
        ['predictions', p],
        ['review_features', f],
      ] as const) {
        const cols = Object.keys(rs[0]!);
        const body =
          format === 'JSONEachRow'
            ? rs.map((r) => JSON.stringify(r)).join('\n')
            : rs.map((r) => JSON.stringify(cols.map((c) => r[c]))).join('\n');
        const colList = format === 'JSONEachRow' ? '' : ` (${cols.join(', ')})`;
        await session.queryAsync(`INSERT INTO bench.${table}${colList} FORMAT ${format}\n${body}`, {
          format: 'TabSeparated',
        });
      }
    }),
  );
}
// The triage's lookup of what the predictions table holds for a batch's ids (N rows are in it now).
const knownSql = knownReviewsQuery('bench.predictions', 'text_hash');
await stepAsync(`chdb known-ids query (FINAL, IN list), batches of ${BATCH}`, async () => {
  for (let i = 0; i < N; i += BATCH)
    await store.query(knownSql, { ids: reviews.slice(i, i + BATCH).map((r) => r.review_id) });
});
await store.close();
rmSync(dir, { recursive: true, force: true });

console.table(results);
const file = writeResult('scoring-stages', {
  bench: 'bench/scoring-stages.ts',
  reviews: N,
  batch: BATCH,
  machine: host,
  results,
});
console.log(`results: ${path.relative(process.cwd(), file)}`);
