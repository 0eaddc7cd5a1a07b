// `model.refit` (issue 28, held-out figures): once early stopping on the dev split has chosen the epoch
// count, the model is trained again on the training rows and the dev rows together for that many
// epochs. Checked against trainCompact run by hand, through the manifest, and through the pipeline.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { calibrate } from '../../../models/trainer/calibration.js';
import { adHocManifest, manifestShape } from '../../../models/trainer/manifest.js';
import { modelRecipe, runPipeline, trainManifestModel } from '../../../models/trainer/pipeline.js';
import { DEFAULT_TRAIN_OPTIONS, trainCompact, type TrainOptions } from '../../../models/trainer/train.js';
import { TOY_SPEC, toyEncodedSet, VOCAB, writeToyTrainSet } from './fixtures.js';

const LABELS = ['negative', 'neutral', 'positive'];
const spec = TOY_SPEC;

const options: TrainOptions = { ...DEFAULT_TRAIN_OPTIONS, ...spec, dim: 12, epochs: 6, patience: 1, seed: 5 };
const train = toyEncodedSet(120, 1, { labelOffset: 1, weighted: true });
const dev = toyEncodedSet(30, 2, { labelOffset: 2, weighted: true });
const both = {
  rows: [...train.rows, ...dev.rows],
  labels: [...train.labels, ...dev.labels],
  weights: [...train.weights!, ...dev.weights!],
};
const embeddingsOf = (p: { embeddings: Float32Array }): number[] => Array.from(p.embeddings);

describe('trainManifestModel with refit', () => {
  it('keeps the early-stopped model when refit is off', () => {
    const res = trainManifestModel(train, dev, spec, options, { fasttextMembers: 1, refit: false });
    expect(embeddingsOf(res.early)).toEqual(embeddingsOf(res.params));
  });

  it('trains again on train + dev for the early-stopped epoch count, keeping the early dev metrics', () => {
    const fasttext = { ...options, model: 'fasttext' as const };
    const early = trainCompact(train, dev, LABELS, spec, fasttext);
    const res = trainManifestModel(train, dev, spec, fasttext, { fasttextMembers: 1, refit: true });
    const byHand = trainCompact(both, dev, LABELS, spec, { ...fasttext, refitEpochs: early.bestEpoch });
    expect(byHand.bestEpoch).toBe(early.bestEpoch);
    expect(res.bestEpoch).toBe(early.bestEpoch);
    expect(embeddingsOf(res.early)).toEqual(embeddingsOf(early.params));
    expect(embeddingsOf(res.params)).toEqual(embeddingsOf(byHand.params));
    expect(embeddingsOf(res.params)).not.toEqual(embeddingsOf(early.params));
    // The dev rows are in the refit's training set, so its dev score would flatter it: the early one's is kept.
    expect(res.dev.macro_f1).toBe(early.dev.macro_f1);
  });

  it('runs exactly refitEpochs epochs on the schedule of `epochs`, without stopping early', () => {
    const fasttext = { ...options, model: 'fasttext' as const, patience: 1 };
    const res = trainCompact(both, dev, LABELS, spec, { ...fasttext, refitEpochs: 4 });
    expect(res.history.map((h) => h.epoch)).toEqual([1, 2, 3, 4]);
    // The learning rate decays over `epochs` (6), so after 4 of them it is still a third of the start.
    expect(res.history[3]!.lr).toBeCloseTo(options.lr * (1 / 3), 2);
  });

  it('refits the linear model of a mix on every row too', () => {
    const mixed = { ...options, model: 'fasttext+linear' as const };
    const res = trainManifestModel(train, dev, spec, mixed, { fasttextMembers: 1, refit: true });
    const linearOnBoth = trainCompact(both, dev, LABELS, spec, { ...mixed, model: 'linear' });
    const linearOnTrain = trainCompact(train, dev, LABELS, spec, { ...mixed, model: 'linear' });
    // The mixed idf (last columns) is the linear model's: fitted on train + dev, not on train alone.
    expect(Array.from(res.params.idf!)).toEqual(Array.from(linearOnBoth.params.idf!));
    expect(Array.from(res.params.idf!)).not.toEqual(Array.from(linearOnTrain.params.idf!));
  });

  it('calibrates on the early model and folds the temperature into the refitted one', () => {
    const res = trainManifestModel(train, dev, spec, options, { fasttextMembers: 1, refit: true });
    const offsets = [0.2, 0.9, 0];
    const onEarly = calibrate(res.early, dev, offsets);
    const folded = calibrate(res.early, dev, offsets, res.params);
    expect(folded.calibration.temperature).toBe(onEarly.calibration.temperature);
    const t = folded.calibration.temperature;
    expect(Array.from(folded.params.weights)).toEqual(Array.from(res.params.weights, (w) => Math.fround(w / t)));
    expect(Array.from(folded.params.embeddings)).toEqual(embeddingsOf(res.params));
  });
});

describe('model.refit in a manifest', () => {
  const base = adHocManifest(['train.tsv'], []);

  it('is a boolean, off when absent', () => {
    expect(manifestShape.safeParse({ ...base, model: { kind: 'fasttext+linear', refit: true } }).success).toBe(true);
    expect(manifestShape.safeParse({ ...base, model: { kind: 'fasttext', refit: 'yes' } }).success).toBe(false);
    expect(modelRecipe({ model: { kind: 'fasttext' } }).refit).toBe(false);
    expect(modelRecipe({}).fasttextMembers).toBe(1);
  });

  it('builds a package whose export matches the refitted model', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ulasan-refit-'));
    const file = writeToyTrainSet(dir);
    const manifest = { ...adHocManifest([file], []), model: { kind: 'fasttext+linear' as const, refit: true } };
    const logs: string[] = [];
    const res = await runPipeline({
      manifest,
      dataDir: dir,
      vocabFile: VOCAB,
      outDir: path.join(dir, 'pkg'),
      name: 't',
      version: '1',
      options: { dim: 16, epochs: 3, bigramBuckets: 1009, trigramBuckets: 1013 },
      log: (l) => logs.push(l),
    });
    expect(logs.some((l) => l.startsWith('refit: '))).toBe(true);
    expect(res.exportMaxAbsDiff).toBeLessThan(1e-5);
    expect(res.metrics.accuracy).toBeGreaterThan(0.5);
  });
});
