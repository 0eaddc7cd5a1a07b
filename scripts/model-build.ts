// npm run model:build [-- --force]: builds the default compact model package reproducibly from the
// data in ULASAN_DATA_DIR (SmSA train, evaluated on SmSA valid) into models/packages/ulasan-compact.
// The demo and the tests call it when the package is missing; nothing large is committed.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { PROJECT_ROOT, parseConfig } from '../processors/shared/config.js';
import { isUlasanError } from '../processors/shared/errors.js';
import { DEFAULT_VOCAB, runPipeline } from '../models/trainer/pipeline.js';

export const DEFAULT_PACKAGE_DIR = path.join(PROJECT_ROOT, 'models', 'packages', 'ulasan-compact');

/** Builds the default package unless it exists; returns its directory. */
export async function ensureDefaultModel(options: { force?: boolean; log?: (m: string) => void } = {}): Promise<string> {
  if (!options.force && existsSync(path.join(DEFAULT_PACKAGE_DIR, 'model.onnx'))) return DEFAULT_PACKAGE_DIR;
  const data = parseConfig({}).ULASAN_DATA_DIR;
  const res = await runPipeline({
    trainFile: path.join(data, 'smsa', 'train_preprocess.tsv'),
    validFile: path.join(data, 'smsa', 'valid_preprocess.tsv'),
    vocabFile: process.env.ULASAN_VOCAB ?? DEFAULT_VOCAB,
    outDir: DEFAULT_PACKAGE_DIR,
    name: 'ulasan-compact',
    version: '1',
    runId: 'model-build-default',
  });
  options.log?.(
    `built ${DEFAULT_PACKAGE_DIR} in ${res.seconds.toFixed(1)} s: SmSA valid accuracy ${res.metrics.accuracy.toFixed(4)}, macro-F1 ${res.metrics.macro_f1.toFixed(4)}`,
  );
  return DEFAULT_PACKAGE_DIR;
}

if (process.argv[1] && /model-build\.(ts|js)$/.test(process.argv[1])) {
  const { values } = parseArgs({ options: { force: { type: 'boolean', default: false } } });
  ensureDefaultModel({ force: values.force, log: console.log }).then(
    (dir) => console.log(`default model package: ${dir}`),
    (err: unknown) => {
      console.error(isUlasanError(err) ? `model:build: ${err.code}: ${err.message}` : err);
      process.exit(1);
    },
  );
}
