// npm run train -- --train <tsv|csv|jsonl> [--valid <file>] --out models/packages/<name> [--name n]
//   [--version v] [--vocab vocab.txt] [--dim 64] [--epochs 30] [--lr 0.5] [--seed 42] [--ensemble 1]
// Trains the compact model, exports it as an ONNX package with BERT-style inputs, and prints the
// evaluation metrics (also written into the package's ulasan.json).
import path from 'node:path';
import { parseArgs } from 'node:util';
import { isUlasanError } from '../../processors/shared/errors.js';
import { DEFAULT_VOCAB, runPipeline } from './pipeline.js';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      train: { type: 'string' },
      valid: { type: 'string' },
      out: { type: 'string' },
      name: { type: 'string', default: 'ulasan-compact' },
      version: { type: 'string', default: '1' },
      vocab: { type: 'string', default: process.env.ULASAN_VOCAB ?? DEFAULT_VOCAB },
      dim: { type: 'string' },
      epochs: { type: 'string' },
      lr: { type: 'string' },
      seed: { type: 'string' },
      ensemble: { type: 'string', default: '1' },
      'run-id': { type: 'string' },
      quiet: { type: 'boolean', default: false },
    },
  });
  if (!values.train || !values.out) {
    console.error('usage: npm run train -- --train <file> [--valid <file>] --out <dir> [--name n] [--version v] [--dim 64] [--epochs 30] [--seed 42] [--ensemble 1]');
    process.exit(2);
  }
  const num = (v: string | undefined): number | undefined => (v === undefined ? undefined : Number(v));
  const options = Object.fromEntries(
    Object.entries({ dim: num(values.dim), epochs: num(values.epochs), lr: num(values.lr), seed: num(values.seed) }).filter(([, v]) => v !== undefined),
  );
  const res = await runPipeline({
    trainFile: path.resolve(values.train),
    validFile: values.valid ? path.resolve(values.valid) : undefined,
    vocabFile: path.resolve(values.vocab),
    outDir: path.resolve(values.out),
    name: values.name,
    version: values.version,
    runId: values['run-id'],
    ensemble: Number(values.ensemble),
    options,
    log: values.quiet ? undefined : (m) => console.log(m),
  });
  const m = res.metrics;
  console.log(`\npackage ${res.outDir} (sha256 ${res.contentHash.slice(0, 16)}...) in ${res.seconds.toFixed(1)} s, ${res.trainRows} training rows`);
  console.log(`evaluation (${m.n} rows): accuracy ${m.accuracy.toFixed(4)}  macro-F1 ${m.macro_f1.toFixed(4)}  ECE ${m.ece.toFixed(4)}`);
  for (const [label, c] of Object.entries(m.per_class)) {
    console.log(`  ${label.padEnd(9)} P ${c.precision.toFixed(3)}  R ${c.recall.toFixed(3)}  F1 ${c.f1.toFixed(3)}  n ${c.support}`);
  }
  console.log(`confusion (rows true, cols predicted): ${JSON.stringify(m.confusion_matrix)}`);
  console.log(`ONNX export vs TypeScript model: max |dp| = ${res.exportMaxAbsDiff.toExponential(2)}`);
}

main().catch((err: unknown) => {
  console.error(isUlasanError(err) ? `train: ${err.code}: ${err.message}` : err);
  process.exit(1);
});
