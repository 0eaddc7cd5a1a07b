// `model.fasttext_members` (issue 28, training noise): the fastText part as k seeded models of a
// k-th of the width, averaged, with the linear model mixed in once. Checked against members trained
// on their own, through the manifest, and through the pipeline's export.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { predictProba } from '../../../models/trainer/fasttext.js';
import { adHocManifest, manifestShape } from '../../../models/trainer/manifest.js';
import { runPipeline, trainManifestModel } from '../../../models/trainer/pipeline.js';
import { DEFAULT_TRAIN_OPTIONS, trainCompact, type TrainOptions } from '../../../models/trainer/train.js';
import { TOY_SPEC, toyEncodedSet, VOCAB, writeToyTrainSet } from './fixtures.js';

const LABELS = ['negative', 'neutral', 'positive'];
const spec = TOY_SPEC;

const options: TrainOptions = { ...DEFAULT_TRAIN_OPTIONS, ...spec, dim: 12, epochs: 4, seed: 5 };
const train = toyEncodedSet(120, 1);
const dev = toyEncodedSet(30, 2);

const logitsOf = (p: ArrayLike<number>): number[] => Array.from(p, (v) => Math.log(v));
const recipe = (fasttextMembers: number) => ({ fasttextMembers, refit: false });

describe('trainManifestModel', () => {
  it('is trainCompact itself for one member', () => {
    const one = trainManifestModel(train, dev, spec, options, recipe(1));
    const plain = trainCompact(train, dev, LABELS, spec, options);
    expect(Array.from(one.params.embeddings)).toEqual(Array.from(plain.params.embeddings));
  });

  it('averages the logits of k members of width dim / k, each from its own seed', () => {
    const o = { ...options, model: 'fasttext' as const };
    const merged = trainManifestModel(train, dev, spec, o, recipe(3));
    expect(merged.params.dim).toBe(12);
    const members = [0, 1, 2].map(
      (m) => trainCompact(train, dev, LABELS, spec, { ...o, dim: 4, seed: o.seed + 101 * m }).params,
    );
    // The members differ (so the average is not one model three times)...
    expect(Array.from(members[1]!.embeddings)).not.toEqual(Array.from(members[0]!.embeddings));
    // ...and the merged model's log-probabilities are their mean logits, up to a per-row constant.
    for (const row of dev.rows.slice(0, 10)) {
      const mean = [0, 1, 2].map(
        (c) => members.reduce((s, p) => s + logitsOf(predictProba(p, row))[c]!, 0) / members.length,
      );
      const got = logitsOf(predictProba(merged.params, row));
      const shift = got[0]! - mean[0]!;
      // Softmax drops a constant per member; the mean of log-softmaxes differs from the mean logits by one.
      got.forEach((v, c) => expect(v - mean[c]!).toBeCloseTo(shift, 4));
    }
  });

  it('mixes the averaged fastText part with one linear model, at the graph width of one member', () => {
    const mixed = { ...options, model: 'fasttext+linear' as const };
    const one = trainManifestModel(train, dev, spec, mixed, recipe(1));
    const four = trainManifestModel(train, dev, spec, mixed, recipe(4));
    expect(four.params.dim).toBe(one.params.dim);
    expect(four.params.idfColumns).toBe(one.params.idfColumns);
    expect(Array.from(four.params.embeddings)).not.toEqual(Array.from(one.params.embeddings));
    // The linear columns (after the fastText ones) are the same model in both.
    const d = one.params.dim;
    const ft = options.dim;
    for (let r = 0; r < 50; r++)
      for (let j = ft; j < d; j++) expect(four.params.embeddings[r * d + j]).toBe(one.params.embeddings[r * d + j]);
    const again = trainManifestModel(train, dev, spec, mixed, recipe(4));
    expect(Array.from(again.params.embeddings)).toEqual(Array.from(four.params.embeddings));
  });

  it('refuses a width the members cannot share and a model without fastText', () => {
    expect(() => trainManifestModel(train, dev, spec, options, recipe(5))).toThrow(/must divide dim 12/);
    expect(() => trainManifestModel(train, dev, spec, { ...options, model: 'linear' }, recipe(2))).toThrow(
      /needs a fastText model/,
    );
  });
});

describe('model.fasttext_members in a manifest', () => {
  const base = adHocManifest(['train.tsv'], []);

  it('is an integer from 1 to 16', () => {
    const ok = manifestShape.safeParse({ ...base, model: { kind: 'fasttext+linear', fasttext_members: 4 } });
    expect(ok.success).toBe(true);
    for (const bad of [0, 1.5, 17])
      expect(manifestShape.safeParse({ ...base, model: { kind: 'fasttext', fasttext_members: bad } }).success).toBe(
        false,
      );
  });

  it('builds a package whose export matches the averaged model', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ulasan-members-'));
    const file = writeToyTrainSet(dir);
    const manifest = {
      ...adHocManifest([file], []),
      model: { kind: 'fasttext+linear' as const, fasttext_members: 4 },
    };
    const res = await runPipeline({
      manifest,
      dataDir: dir,
      vocabFile: VOCAB,
      outDir: path.join(dir, 'pkg'),
      name: 't',
      version: '1',
      options: { dim: 16, epochs: 3, bigramBuckets: 1009, trigramBuckets: 1013 },
    });
    expect(res.exportMaxAbsDiff).toBeLessThan(1e-5);
    expect(res.history[0]!.length).toBeGreaterThan(4); // four members' epochs and the linear model's
    expect(res.metrics.accuracy).toBeGreaterThan(0.5);
  });
});
