// The complaint-topic tagger alone, next to the features it runs beside in the scorer, in CPU time
// (process.cpuUsage) so a loaded machine's scheduling does not count; wall time is printed too.
//   npm run bench:topics [-- --reps 20]
// Texts: app-reviews train + SmSA valid (the bench:scoring mix), cleaned once as the scorer does.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { computeFeatures } from '../models/features/features.js';
import { defaultTagger } from '../models/topics/tagger.js';
import { parseConfig } from '../platform/config.js';
import { readLabelledFile } from '../platform/datasets.js';

const { values } = parseArgs({ options: { reps: { type: 'string', default: '20' } } });
const reps = Number(values.reps);
const data = parseConfig({}).ULASAN_DATA_DIR;
const texts = [
  ...readLabelledFile(path.join(data, 'app-reviews/train.csv')),
  ...readLabelledFile(path.join(data, 'smsa/valid_preprocess.tsv')),
]
  .map((r) => r.text)
  .filter((t) => t.trim() !== '');
const clean = texts.map((t) => computeFeatures(t).clean_text);
const t0 = performance.now();
const tagger = defaultTagger();
const compileMs = performance.now() - t0;
let sink = 0;

/** CPU and wall microseconds per text of `work` over every text, after 3 warm-up passes. */
function measure(work: () => void, times: number): { cpu: number; wall: number } {
  for (let k = 0; k < 3; k++) work();
  const c0 = process.cpuUsage();
  const w0 = performance.now();
  for (let k = 0; k < times; k++) work();
  const c = process.cpuUsage(c0);
  const n = times * texts.length;
  return { cpu: (c.user + c.system) / n, wall: ((performance.now() - w0) * 1000) / n };
}

const topics = measure(() => {
  for (const c of clean) sink += tagger.tagClean(c).length;
}, reps);
const features = measure(
  () => {
    for (const t of texts) sink += computeFeatures(t).word_count;
  },
  Math.max(1, Math.round(reps / 4)),
);
const hostile = Array(10_000).fill('cs').join(' ');
const h0 = process.cpuUsage();
for (let k = 0; k < 1000; k++) sink += tagger.tagClean(hostile).length;
const h = process.cpuUsage(h0);
const tagged = clean.filter((c) => tagger.tagClean(c).length > 0).length;

console.log(`${texts.length} texts x ${reps}; taxonomy ${tagger.version} compiled in ${compileMs.toFixed(0)} ms`);
console.table([
  {
    what: 'topics (tagClean on the clean text)',
    'cpu us/review': topics.cpu.toFixed(2),
    'wall us/review': topics.wall.toFixed(2),
  },
  {
    what: 'features (computeFeatures)',
    'cpu us/review': features.cpu.toFixed(2),
    'wall us/review': features.wall.toFixed(2),
  },
  {
    what: 'topics, a review of 10,000 topic words',
    'cpu us/review': ((h.user + h.system) / 1000).toFixed(2),
    'wall us/review': '',
  },
]);
console.log(
  `topics / features = ${(topics.cpu / features.cpu).toFixed(2)}; ` +
    `reviews with a topic ${((100 * tagged) / texts.length).toFixed(1)} % (${sink > 0 ? 'ok' : ''})`,
);
