// Which compact-model settings do best? Trains each variant from the default data manifest through
// the real pipeline (export + engine evaluation on every held-out set) and prints a table.
//   npm run bench:sweep [-- --quick]
// Settings are chosen with `npm run model:cv` (k-fold over the training union); this sweep shows
// the held-out valid splits for the same variants.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parseConfig } from '../platform/config.js';
import { DEFAULT_VOCAB, runPipeline } from '../models/trainer/pipeline.js';
import { readManifest } from '../models/trainer/manifest.js';
import type { TrainOptions } from '../models/trainer/train.js';
import { DEFAULT_MANIFEST } from '../scripts/model-build.js';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });
const dataDir = parseConfig({}).ULASAN_DATA_DIR;
const manifest = readManifest(DEFAULT_MANIFEST);
const variants: { name: string; options: Partial<TrainOptions>; ensemble?: number }[] = [
  { name: 'default', options: {} },
  { name: 'seed 1', options: { seed: 1 } },
  { name: 'no decision offsets', options: { offsets: [0, 0, 0] } },
  { name: 'dim 100', options: { dim: 100 } },
  { name: 'balanced class weights', options: { classWeighting: 'balanced' } },
  { name: 'ensemble of 3 seeds', options: {}, ensemble: 3 },
];
const rows = [];
for (const v of values.quick ? variants.slice(0, 2) : variants) {
  const res = await runPipeline({
    manifest,
    dataDir,
    vocabFile: DEFAULT_VOCAB,
    outDir: mkdtempSync(path.join(tmpdir(), 'ulasan-sweep-')),
    name: 'sweep',
    version: '0',
    options: v.options,
    ensemble: v.ensemble,
  });
  const perSet = Object.fromEntries(res.evaluation.map((e) => [`${e.file} mF1`, e.macro_f1.toFixed(4)]));
  rows.push({ variant: v.name, ...perSet, seconds: res.seconds.toFixed(1) });
  console.log(JSON.stringify(rows.at(-1)));
}
console.table(rows);
