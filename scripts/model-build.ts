// npm run model:build [-- --force] [--manifest <file>]: builds the default compact model package
// reproducibly from the data manifest (models/manifests/default.json: every train split in
// ULASAN_DATA_DIR, the valid splits held out) into models/packages/ulasan-compact.
// The demo and the tests call it when the package is missing; nothing large is committed.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT, parseConfig } from '../platform/config.js';
import { exitOnUsageError, parseCommandLine } from '../platform/cli.js';
import { isUlasanError } from '../platform/errors.js';
import { DEFAULT_VOCAB, runPipeline } from '../models/trainer/pipeline.js';
import { readManifest } from '../models/trainer/manifest.js';
import { DRIFT_REFERENCE_FILE } from '../models/features/monitored.js';
import { progressBar, type Progress } from '../platform/progress.js';

export const DEFAULT_PACKAGE_DIR = path.join(PROJECT_ROOT, 'models', 'packages', 'ulasan-compact');
export const DEFAULT_MANIFEST = path.join(PROJECT_ROOT, 'models', 'manifests', 'default.json');

/** Builds the default package unless it exists; returns its directory. */
export async function ensureDefaultModel(
  options: { force?: boolean; manifest?: string; log?: (m: string) => void; progress?: boolean } = {},
): Promise<string> {
  let bar: Progress | undefined;
  // A package from before the trainer wrote drift references is rebuilt: DRIFT_REFERENCE=model needs one.
  const current = ['model.onnx', DRIFT_REFERENCE_FILE].every((f) => existsSync(path.join(DEFAULT_PACKAGE_DIR, f)));
  if (!options.force && current) return DEFAULT_PACKAGE_DIR;
  const res = await runPipeline({
    manifest: readManifest(options.manifest ?? DEFAULT_MANIFEST),
    dataDir: parseConfig({}).ULASAN_DATA_DIR,
    vocabFile: process.env.ULASAN_VOCAB ?? DEFAULT_VOCAB,
    outDir: DEFAULT_PACKAGE_DIR,
    name: 'ulasan-compact',
    version: '1',
    runId: 'model-build-default',
    onProgress: options.progress
      ? (done, total) => (bar ??= progressBar('training', total, 'epochs')).update(done)
      : undefined,
  });
  bar?.stop();
  options.log?.(`built ${DEFAULT_PACKAGE_DIR} in ${res.seconds.toFixed(1)} s from ${res.trainRows} training rows`);
  for (const r of res.evaluation) {
    options.log?.(
      `  ${r.file.padEnd(16)} n ${String(r.n).padStart(5)}  accuracy ${r.accuracy.toFixed(4)}  ` +
        `macro-F1 ${r.macro_f1.toFixed(4)}  ECE ${r.ece.toFixed(4)}`,
    );
  }
  options.log?.(`  ONNX export vs TypeScript model: max |dp| = ${res.exportMaxAbsDiff.toExponential(2)}`);
  return DEFAULT_PACKAGE_DIR;
}

const USAGE = 'usage: npm run model:build [-- --force] [--manifest <file>]';

if (process.argv[1] && /model-build\.(ts|js)$/.test(process.argv[1])) {
  // Parsed inside the chain, so a wrong command line reaches the same catch as a failed build.
  Promise.resolve()
    .then(() => {
      const { values } = parseCommandLine(
        { options: { force: { type: 'boolean', default: false }, manifest: { type: 'string' } } },
        USAGE,
      );
      return ensureDefaultModel({
        force: values.force,
        manifest: values.manifest && path.resolve(values.manifest),
        log: console.log,
        progress: true,
      });
    })
    .then(
      (dir) => console.log(`default model package: ${dir}`),
      (err: unknown) => {
        exitOnUsageError('model:build', err);
        console.error(isUlasanError(err) ? `model:build: ${err.code}: ${err.message}` : err);
        process.exit(1);
      },
    );
}
