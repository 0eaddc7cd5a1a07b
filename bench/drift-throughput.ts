// Benchmark: drift processing rate with all 14 features (13 numeric + confidence, and the
// categorical ones): records through the window manager and the detector, no Kafka.
//   npm run bench:drift
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { computeFeatures } from '../models/features/features.js';
import { readLabelledFile } from '../processors/shared/datasets.js';
import { parseConfig } from '../processors/shared/config.js';
import { buildReference, detect, type MonitoredRecord } from '../processors/drift/detector.js';
import { monitoredRecord } from '../processors/drift/records.js';
import { TumblingWindows } from '../processors/drift/windows.js';

const data = parseConfig({}).ULASAN_DATA_DIR;
const rows = readLabelledFile(path.join(data, 'app-reviews/train.csv')).filter((r) => r.text.trim() !== '');
const ref = buildReference(readLabelledFile(path.join(data, 'smsa/valid_preprocess.tsv')).map((r, i) => monitoredRecord({ features: computeFeatures(r.text), confidence: 0.5 + (i % 50) / 100, label: r.label ?? 'neutral' })));
const N = 200_000;
const records: MonitoredRecord[] = Array.from({ length: rows.length }, (_, i) =>
  monitoredRecord({ features: computeFeatures(rows[i]!.text), confidence: 0.4 + (i % 60) / 100, label: ['negative', 'neutral', 'positive'][i % 3]!, appId: 'app', rating: rows[i]!.rating }),
);
const results = [];
for (const windowSize of [1000, 10_000]) {
  const w = new TumblingWindows<MonitoredRecord>(windowSize, 0);
  let windows = 0;
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    w.add(i, records[i % records.length]!, { partition: i % 6, offset: String(i) }, 0);
    for (const closed of w.closeReady()) {
      detect(ref, closed.items);
      windows += 1;
    }
  }
  const secs = (performance.now() - t0) / 1000;
  results.push({ 'records per window': windowSize, windows, 'records/s': Math.round(N / secs), 'ms per window': ((secs * 1000) / windows).toFixed(1) });
}
console.log(`${N} scored records (app-review features), reference ${ref.rows} rows, up to 17 tests per window (13 numeric features + confidence, 3 categorical)`);
console.table(results);
