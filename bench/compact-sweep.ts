// Which compact-model settings do best on SmSA valid? Trains each variant through the real pipeline
// (export + engine evaluation) and prints a table.   npx tsx bench/compact-sweep.ts [--quick]
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parseConfig } from '../processors/shared/config.js';
import { DEFAULT_VOCAB, runPipeline } from '../models/trainer/pipeline.js';
import type { TrainOptions } from '../models/trainer/train.js';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });
const data = parseConfig({}).ULASAN_DATA_DIR;
const variants: { name: string; options: Partial<TrainOptions>; ensemble?: number }[] = [
  { name: 'default (dim 64, sqrt class weights)', options: {} },
  { name: 'seed 1', options: { seed: 1 } },
  { name: 'seed 2', options: { seed: 2 } },
  { name: 'dim 32', options: { dim: 32 } },
  { name: 'dim 100', options: { dim: 100 } },
  { name: 'no class weights', options: { classWeighting: 'none' } },
  { name: 'balanced class weights', options: { classWeighting: 'balanced' } },
  { name: 'lr 0.25', options: { lr: 0.25 } },
  { name: 'buckets 50k', options: { bigramBuckets: 50_021, trigramBuckets: 50_021 } },
  { name: 'ensemble of 3 seeds', options: {}, ensemble: 3 },
];
const rows = [];
for (const v of values.quick ? variants.slice(0, 2) : variants) {
  const res = await runPipeline({
    trainFile: path.join(data, 'smsa/train_preprocess.tsv'),
    validFile: path.join(data, 'smsa/valid_preprocess.tsv'),
    vocabFile: DEFAULT_VOCAB,
    outDir: mkdtempSync(path.join(tmpdir(), 'ulasan-sweep-')),
    name: 'sweep',
    version: '0',
    options: v.options,
    ensemble: v.ensemble,
  });
  rows.push({ variant: v.name, accuracy: res.metrics.accuracy.toFixed(4), macro_f1: res.metrics.macro_f1.toFixed(4), neutral_f1: res.metrics.per_class.neutral!.f1.toFixed(3), ece: res.metrics.ece.toFixed(4), seconds: res.seconds.toFixed(1) });
  console.log(JSON.stringify(rows.at(-1)));
}
console.table(rows);
