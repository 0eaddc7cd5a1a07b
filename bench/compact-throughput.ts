// Benchmark (a): compact model reviews/s through tokenizer + ONNX Runtime, batch 1 vs 256, and
// the tokenizer alone: the library's whole-text path vs the word memo, cold (first pass over the
// texts, every new word goes through the library) and warm.
//   npm run bench:compact [-- --model <package dir>]
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { InferenceEngine } from '../models/core/engine.js';
import { TextTokenizer } from '../models/core/tokenizer.js';
import { modelInputText } from '../models/features/features.js';
import { readLabelledFile } from '../platform/datasets.js';
import { parseConfig } from '../platform/config.js';
import { ensureDefaultModel } from '../scripts/model-build.js';

const data = parseConfig({}).ULASAN_DATA_DIR;
const texts = [
  ...readLabelledFile(path.join(data, 'app-reviews/train.csv')),
  ...readLabelledFile(path.join(data, 'smsa/valid_preprocess.tsv')),
]
  .map((r) => r.text)
  .filter((t) => t.trim() !== '');
// --model <dir> benchmarks another package (e.g. to compare model kinds on one machine).
const { values: args } = parseArgs({ options: { model: { type: 'string' } } });
const dir = args.model ? path.resolve(args.model) : await ensureDefaultModel({ log: console.log });

function rate(n: number, ms: number): number {
  return (n / ms) * 1000;
}

// Tokenizer alone, on the compact model's input (clean text computed beforehand, not timed).
const cleaned = texts.map((t) => modelInputText(t));
const tokRates: Record<string, string | number>[] = [];
{
  const tok = TextTokenizer.fromDir(dir, 128);
  const time = (fn: (x: string) => unknown): number => {
    const t0 = performance.now();
    for (const x of cleaned) fn(x);
    return Math.round(rate(cleaned.length, performance.now() - t0));
  };
  const library = time((x) => tok.encodeUncached(x));
  const cold = time((x) => tok.encode(x));
  const warm = time((x) => tok.encode(x));
  tokRates.push({ path: 'library, whole text (encodeUncached)', 'reviews/s': library, 'x library': '1.0' });
  tokRates.push({ path: 'word memo, cold (first pass)', 'reviews/s': cold, 'x library': (cold / library).toFixed(1) });
  tokRates.push({ path: 'word memo, warm (second pass)', 'reviews/s': warm, 'x library': (warm / library).toFixed(1) });
}

const results: Record<string, string | number>[] = [];
for (const threads of [1, 2]) {
  const engine = await InferenceEngine.load(dir, { intraOpThreads: threads, maxBatch: 256 });
  await engine.predict(texts.slice(0, 512)); // warm-up
  let t = performance.now();
  for (const x of texts) engine.encode(x);
  const tokOnly = rate(texts.length, performance.now() - t);

  const n1 = 2000;
  t = performance.now();
  for (const x of texts.slice(0, n1)) await engine.predict([x]);
  const b1 = rate(n1, performance.now() - t);

  t = performance.now();
  await engine.predict(texts);
  const b256 = rate(texts.length, performance.now() - t);
  await engine.close();
  results.push({
    intra_op_threads: threads,
    'clean text + tokenize (reviews/s)': Math.round(tokOnly),
    'batch 1 (reviews/s)': Math.round(b1),
    'batch 256 (reviews/s)': Math.round(b256),
    'batch 256 / batch 1': (b256 / b1).toFixed(1),
  });
}
console.log(`compact model ${dir}, ${texts.length} real reviews (app-reviews train + SmSA valid)`);
console.log('tokenizer only (IndoLEM WordPiece, clean text in):');
console.table(tokRates);
console.log('engine (clean text + tokenizer + ONNX); the word memo is warm after the warm-up:');
console.table(results);
