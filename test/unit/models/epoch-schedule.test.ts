// `model.epochs` and `model.early_stopping` (issue 28, held-out figures): the fastText schedule's length
// and whether the best dev epoch or the last one is kept. Checked against trainCompact and the manifest.
import { describe, expect, it } from 'vitest';
import { adHocManifest, manifestShape } from '../../../models/trainer/manifest.js';
import {
  DEFAULT_TRAIN_OPTIONS,
  manifestModelOptions,
  trainCompact,
  type TrainOptions,
} from '../../../models/trainer/train.js';
import { TOY_SPEC, toyEncodedSet } from './fixtures.js';

const LABELS = ['negative', 'neutral', 'positive'];
const spec = TOY_SPEC;
const options: TrainOptions = {
  ...DEFAULT_TRAIN_OPTIONS,
  ...spec,
  model: 'fasttext',
  dim: 12,
  epochs: 5,
  patience: 1,
  seed: 5,
};
const train = toyEncodedSet(120, 1, { labelOffset: 1, weighted: true });
// A dev split whose labels disagree with the training rows, so dev macro-F1 stops improving early.
const dev = toyEncodedSet(30, 2, { labelOffset: 2, weighted: true });
const embeddingsOf = (p: { embeddings: Float32Array }): number[] => Array.from(p.embeddings);

describe('early_stopping false', () => {
  it('trains every epoch of the schedule and keeps the last, where early stopping stops sooner', () => {
    const early = trainCompact(train, dev, LABELS, spec, options);
    const all = trainCompact(train, dev, LABELS, spec, { ...options, earlyStopping: false });
    expect(early.history.length).toBeLessThan(5);
    expect(all.history.map((h) => h.epoch)).toEqual([1, 2, 3, 4, 5]);
    expect(all.bestEpoch).toBe(5);
    expect(all.dev.macro_f1).toBe(all.history[4]!.dev_macro_f1);
    // The first epochs are the same draws: the two runs part only in which epoch they keep.
    expect(all.history[0]!.train_loss).toBe(early.history[0]!.train_loss);
    expect(embeddingsOf(all.params)).not.toEqual(embeddingsOf(early.params));
  });

  it('anneals the learning rate to the floor over `epochs`', () => {
    const all = trainCompact(train, dev, LABELS, spec, { ...options, earlyStopping: false });
    expect(all.history[4]!.lr).toBeLessThan(options.lr * 0.01);
  });
});

describe('model.epochs and model.early_stopping in a manifest', () => {
  const base = adHocManifest(['train.tsv'], []);
  const parses = (model: object): boolean => manifestShape.safeParse({ ...base, model }).success;

  it('accepts a whole epoch count from 1 to 50 and a boolean', () => {
    expect(parses({ kind: 'fasttext+linear', epochs: 5, early_stopping: false })).toBe(true);
    expect(parses({ kind: 'fasttext', epochs: 0 })).toBe(false);
    expect(parses({ kind: 'fasttext', epochs: 2.5 })).toBe(false);
    expect(parses({ kind: 'fasttext', early_stopping: 'no' })).toBe(false);
  });

  it('becomes training options, and leaves the defaults alone when absent', () => {
    const o = manifestModelOptions({ model: { kind: 'fasttext', epochs: 4, early_stopping: false } });
    expect(o).toMatchObject({ model: 'fasttext', epochs: 4, earlyStopping: false });
    const plain = manifestModelOptions({ model: { kind: 'fasttext' } });
    expect(plain.epochs).toBeUndefined();
    expect(plain.earlyStopping).toBeUndefined();
    expect(DEFAULT_TRAIN_OPTIONS.earlyStopping).toBe(true);
  });
});
