// The benchmarks' review set: real texts (app-reviews train + SmSA valid), cycled to N reviews with
// unique ids, one millisecond apart in event time.
import path from 'node:path';
import { rowToReview } from '../../processors/producer/handler.js';
import { parseConfig } from '../../platform/config.js';
import { readLabelledFile } from '../../platform/datasets.js';
import type { Review } from '../../schemas/types.generated.js';

export function benchReviews(n: number, idPrefix: string): Review[] {
  const data = parseConfig({}).ULASAN_DATA_DIR;
  const rows = [
    ...readLabelledFile(path.join(data, 'app-reviews/train.csv')),
    ...readLabelledFile(path.join(data, 'smsa/valid_preprocess.tsv')),
  ].filter((r) => r.text.trim() !== '');
  const now = Date.now();
  return Array.from({ length: n }, (_, i) => ({
    ...rowToReview(
      { ...rows[i % rows.length]!, index: i },
      { appId: 'bench', source: 'bench', startMs: now - n, spacingMs: 1, now },
    ),
    review_id: `${idPrefix}${i}`,
  }));
}
