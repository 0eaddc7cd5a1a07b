// The compact trainer: hashing, metrics, ensembles, the ONNX export's fidelity and determinism.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { InferenceEngine } from '../../../models/core/engine.js';
import { mergeEnsemble } from '../../../models/trainer/ensemble.js';
import { featureRows, initParams, predictProba } from '../../../models/trainer/fasttext.js';
import { evaluate } from '../../../models/trainer/metrics.js';
import { filesInput, runPipeline } from '../../../models/trainer/pipeline.js';
import { classWeights, stratifiedSplit } from '../../../models/trainer/train.js';
import { VOCAB, writeToyTrainSet } from './fixtures.js';

describe('featureRows', () => {
  const spec = { vocabSize: 10, bigramBuckets: 7, trigramBuckets: 5 };
  it('lists unigrams, then hashed bigram and trigram rows past the vocabulary', () => {
    expect(Array.from(featureRows([3, 1, 4], spec))).toEqual([
      3,
      1,
      4,
      10 + ((3 * 10 + 1) % 7),
      10 + ((1 * 10 + 4) % 7),
      17 + (((3 * 10 + 1) * 10 + 4) % 5),
    ]);
  });
  it('handles sequences shorter than a trigram', () => expect(Array.from(featureRows([2], spec))).toEqual([2]));
});

describe('metrics', () => {
  it('computes accuracy, macro-F1, confusion and calibration', () => {
    const m = evaluate(
      ['a', 'b'],
      [0, 0, 1, 1],
      [
        [0.9, 0.1],
        [0.4, 0.6],
        [0.2, 0.8],
        [0.3, 0.7],
      ],
    );
    expect(m.accuracy).toBe(0.75);
    expect(m.confusion_matrix).toEqual([
      [1, 1],
      [0, 2],
    ]);
    expect(m.per_class.a!.recall).toBe(0.5);
    expect(m.per_class.b!.precision).toBeCloseTo(2 / 3);
    expect(m.macro_f1).toBeCloseTo((2 / 3 + 0.8) / 2);
    expect(m.ece).toBeGreaterThan(0);
  });
});

describe('training helpers', () => {
  it('weights rare classes up', () => {
    const w = classWeights([0, 0, 0, 1], 2, 'balanced');
    expect(w[1]).toBeGreaterThan(w[0]!);
  });
  it('splits each class in proportion, deterministically', () => {
    const items = Array.from({ length: 100 }, (_, i) => ({ label: i < 80 ? 0 : 1, i }));
    const a = stratifiedSplit(items, 0.1, 3);
    expect(a.held.filter((x) => x.label === 1)).toHaveLength(2);
    expect(stratifiedSplit(items, 0.1, 3).held.map((x) => x.i)).toEqual(a.held.map((x) => x.i));
  });
  it('merges an ensemble into one model whose logits average the members', () => {
    const spec = { vocabSize: 20, bigramBuckets: 11, trigramBuckets: 13 };
    const a = initParams(spec, 4, 3, 1);
    const b = initParams(spec, 4, 3, 2);
    a.weights.forEach((_, i) => (a.weights[i] = Math.sin(i)));
    b.weights.forEach((_, i) => (b.weights[i] = Math.cos(i)));
    const merged = mergeEnsemble([a, b]);
    const rows = featureRows([1, 5, 7, 2], spec);
    const logit = (p: typeof a) => Array.from(predictProba(p, rows)).map(Math.log);
    const expected = logit(a).map((x, c) => (x + logit(b)[c]!) / 2);
    const got = logit(merged);
    // Softmax of averaged logits: compare differences between classes.
    expect(got[0]! - got[1]!).toBeCloseTo(expected[0]! - expected[1]!, 4);
  });
});

describe('pipeline on a small data set', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ulasan-train-'));
  const trainFile = writeToyTrainSet(dir);
  const options = { dim: 8, epochs: 8, bigramBuckets: 1009, trigramBuckets: 1013, patience: 8 };

  it('exports a package whose ONNX output matches the TypeScript model and is deterministic', async () => {
    const a = await runPipeline({
      ...filesInput([trainFile], []),
      vocabFile: VOCAB,
      outDir: path.join(dir, 'a'),
      name: 't',
      version: '1',
      options,
    });
    const b = await runPipeline({
      ...filesInput([trainFile], []),
      vocabFile: VOCAB,
      outDir: path.join(dir, 'b'),
      name: 't',
      version: '1',
      options,
    });
    expect(b.metrics).toEqual(a.metrics);
    expect(b.evaluation).toEqual(a.evaluation);
    expect(b.datasetHash).toBe(a.datasetHash);
    expect(a.exportMaxAbsDiff).toBeLessThan(1e-5);
    expect(
      readFileSync(path.join(dir, 'a', 'model.onnx')).equals(readFileSync(path.join(dir, 'b', 'model.onnx'))),
    ).toBe(true);
    const meta = JSON.parse(readFileSync(path.join(dir, 'a', 'ulasan.json'), 'utf8'));
    expect(meta).toMatchObject({
      family: 'compact-fasttext',
      preprocessing: 'clean-text',
      feature_set_version: 'fs-1',
    });
    for (const k of ['accuracy', 'macro_f1', 'per_class', 'confusion_matrix', 'ece'])
      expect(meta.metrics).toHaveProperty(k);
    // The model card: sources with hashes, per-set evaluation with slices, calibration, manifest.
    expect(meta.model_card.training.sources[0]).toMatchObject({
      kept: expect.any(Number),
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(meta.model_card.evaluation['held-out 10% of train'].slices).toHaveProperty('language');
    expect(meta.model_card.calibration).toMatchObject({ method: 'temperature', temperature: expect.any(Number) });
    expect(meta.model_card.manifest.name).toBe('ad-hoc');
    expect(existsSync(path.join(dir, 'a', 'data-manifest.json'))).toBe(true);
    // The drift reference: the held-out set as this model scores it, one profile per evaluation set.
    const drift = JSON.parse(readFileSync(path.join(dir, 'a', 'drift-reference.json'), 'utf8'));
    const held = meta.model_card.evaluation['held-out 10% of train'];
    const profile = drift.sources['held-out 10% of train'];
    expect(drift.feature_set_version).toBe('fs-1');
    expect(meta.model_card.drift_reference.sources).toEqual({ 'held-out 10% of train': held.n });
    expect(profile.rows).toBe(held.n);
    expect(profile.numeric.confidence).toHaveLength(held.n);
    expect(profile.numeric.word_count).toHaveLength(held.n);
    const predicted = ['negative', 'neutral', 'positive'].map((_, c) =>
      held.confusion_matrix.reduce((s: number, row: number[]) => s + row[c]!, 0),
    );
    const counts = profile.categorical.predicted_label;
    expect(['negative', 'neutral', 'positive'].map((l) => counts[l] ?? 0)).toEqual(predicted);
    expect(profile.categorical.rating_bucket).toEqual({ none: held.n });
    const engine = await InferenceEngine.load(path.join(dir, 'a'));
    expect([...engine.inputNames].sort()).toEqual(['attention_mask', 'input_ids', 'token_type_ids']);
    const [p] = await engine.predict(['Aplikasinya BAGUS sekali 👍']);
    expect(p!.sentiment).toBe('positive');
    await engine.close();
  });

  it('refuses a training set with a single class', async () => {
    const one = path.join(dir, 'one.tsv');
    writeFileSync(one, Array.from({ length: 20 }, () => 'bagus\tpositive').join('\n'));
    await expect(
      runPipeline({
        ...filesInput([one], []),
        vocabFile: VOCAB,
        outDir: path.join(dir, 'c'),
        name: 't',
        version: '1',
        options,
      }),
    ).rejects.toMatchObject({ code: 'DATA_INVALID' });
  });
});
