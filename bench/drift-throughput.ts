// Benchmark: drift processing with all 14 features (13 numeric + confidence, and the categorical
// ones): records through the window manager (bounded summaries) and the detector, no Kafka or chdb.
//   npm run bench:drift             records/s and ms per window, for two window sizes
//   npm run bench:drift -- --soak   2,000,000 generated records over one day of event time across
//                                   50 app segments, 1h and 1d windows; RSS at start and end
//                                   (fails when the end RSS is over 300 MB)
import path from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { computeFeatures } from '../models/features/features.js';
import { rng } from '../models/trainer/fasttext.js';
import { readLabelledFile } from '../platform/datasets.js';
import { parseConfig } from '../platform/config.js';
import { buildReference, detect, type MonitoredRecord } from '../processors/drift/detector.js';
import { summaryWindows, type Monitored } from '../processors/drift/handler.js';
import { monitoredRecord } from '../models/features/monitored.js';
import { SegmentedSummary } from '../processors/drift/summary.js';
import { TumblingWindows } from '../processors/drift/windows.js';

const { values: args } = parseArgs({
  options: { soak: { type: 'boolean', default: false }, records: { type: 'string' } },
});
const data = parseConfig({}).ULASAN_DATA_DIR;
const rows = readLabelledFile(path.join(data, 'app-reviews/train.csv')).filter((r) => r.text.trim() !== '');
const smsa = readLabelledFile(path.join(data, 'smsa/valid_preprocess.tsv'));
const ref = buildReference(
  smsa.map((r, i) =>
    monitoredRecord({
      features: computeFeatures(r.text),
      confidence: 0.5 + (i % 50) / 100,
      label: r.label ?? 'neutral',
    }),
  ),
);
const pool: MonitoredRecord[] = rows.map((r, i) =>
  monitoredRecord({
    features: computeFeatures(r.text),
    confidence: 0.4 + (i % 60) / 100,
    label: ['negative', 'neutral', 'positive'][i % 3]!,
    appId: 'app',
    rating: r.rating,
  }),
);
const mb = (): number => Math.round(process.memoryUsage().rss / 2 ** 20);

function windows(sizeMs: number): TumblingWindows<SegmentedSummary, Monitored> {
  return new TumblingWindows<SegmentedSummary, Monitored>({ sizeMs, graceMs: 0, ...summaryWindows(200) });
}

/** Streams `n` records spread evenly over `spanMs` of event time through the given window sizes. */
function stream(
  n: number,
  spanMs: number,
  sizes: number[],
  segments: number,
): { windows: number; secs: number; peakRss: number } {
  const sets = sizes.map(windows);
  const r = rng(1);
  let closedCount = 0;
  let peakRss = mb();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const t = Math.floor((i / n) * spanMs);
    if (i % 100_000 === 0) peakRss = Math.max(peakRss, mb());
    const mon: Monitored = {
      segment: `app-${Math.floor(r() * segments)}`,
      record: pool[i % pool.length]!,
      version: 'v1',
    };
    for (const w of sets) {
      w.add(t, mon, { partition: i % 6, offset: String(Math.floor(i / 6)) }, t);
      for (const c of w.closeReady()) {
        detect(ref, c.state.total());
        w.release(c.start);
        closedCount += 1;
      }
    }
  }
  for (const w of sets) {
    for (const c of w.idle(spanMs + 86_400_000, 0)) {
      detect(ref, c.state.total());
      w.release(c.start);
      closedCount += 1;
    }
  }
  return { windows: closedCount, secs: (performance.now() - t0) / 1000, peakRss };
}

if (args.soak) {
  const n = Number(args.records ?? 2_000_000);
  const startRss = mb();
  const { windows: closed, secs, peakRss } = stream(n, 86_400_000, [3_600_000, 86_400_000], 50);
  const endRss = mb();
  console.log(
    `soak: ${n} records over 1 day of event time, 50 segments, windows 1h and 1d (${closed} closed and tested)`,
  );
  console.table([
    {
      'RSS start MB': startRss,
      'RSS peak MB': peakRss,
      'RSS end MB': endRss,
      'records/s': Math.round(n / secs),
      seconds: secs.toFixed(1),
    },
  ]);
  if (Math.max(endRss, peakRss) > 300) {
    console.error(`FAIL: resident memory ${Math.max(endRss, peakRss)} MB is over the 300 MB budget`);
    process.exit(1);
  }
} else {
  const N = 200_000;
  const results = [];
  for (const perWindow of [1000, 10_000]) {
    const { windows: closed, secs } = stream(N, N, [perWindow], 1);
    results.push({
      'records per window': perWindow,
      windows: closed,
      'records/s': Math.round(N / secs),
      'ms per window': ((secs * 1000) / closed).toFixed(1),
    });
  }
  console.log(
    `${N} scored records (app-review features), reference ${ref.rows} rows, ` +
      'up to 17 tests per window (13 numeric features + confidence, 3 categorical)',
  );
  console.table(results);
}
