// The linear (TF-IDF logistic regression) compact model: the solver, the idf pooling, the ONNX
// export of idf columns (also beside mean-pooled ones), and a package built through the pipeline.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { InferenceEngine } from '../../../models/core/engine.js';
import { exportCompactOnnx } from '../../../models/trainer/export.js';
import { featureRows, initParams, predictProba, type CompactParams } from '../../../models/trainer/fasttext.js';
import { lbfgs, trainLinear } from '../../../models/trainer/linear.js';
import { manifestShape } from '../../../models/trainer/manifest.js';
import { filesInput, runPipeline } from '../../../models/trainer/pipeline.js';
import { encodeSet, predictSet } from '../../../models/trainer/train.js';
import { VOCAB, writeToyTrainSet } from './fixtures.js';

const LABELS = ['negative', 'neutral', 'positive'];

describe('lbfgs', () => {
  it('finds the minimum of an ill-conditioned convex quadratic', () => {
    const a = [1, 10, 100, 1000];
    const b = [3, -2, 0.5, 7];
    const f = (x: Float64Array, g: Float64Array): number => {
      let v = 0;
      x.forEach((xi, i) => {
        v += a[i]! * (xi - b[i]!) ** 2;
        g[i] = 2 * a[i]! * (xi - b[i]!);
      });
      return v;
    };
    const x = new Float64Array(4);
    const run = lbfgs(f, x, 200, 1e-14);
    Array.from(x).forEach((xi, i) => expect(xi).toBeCloseTo(b[i]!, 5));
    expect(run.iterations).toBeLessThan(200);
  });
});

describe('trainLinear', () => {
  const spec = { vocabSize: 12, bigramBuckets: 7, trigramBuckets: 5 };
  // Token 3 means negative, 4 neutral, 5 positive; 6-8 are noise; 2 is in every text ([CLS]-like).
  const docs: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < 60; i++) {
    docs.push([2, 3 + (i % 3), 6 + (i % 3), 6 + ((i + 1) % 3)]);
    labels.push(i % 3);
  }
  const set = encodeSet(docs, labels, spec);
  const options = { c: 10, iterations: 200, classWeights: [1, 1, 1], ngrams: 2 as const };
  const res = trainLinear(set, set, LABELS, spec, options, predictSet);

  it('learns a separable set and pools its columns as sum / sqrt(sum of idf^2)', () => {
    expect(res.dev.accuracy).toBe(1);
    const p = res.params;
    expect(p.idfColumns).toBe(3);
    const rows = featureRows([2, 5, 7], spec);
    let sq = 0;
    const z = [0, 1, 2].map((c) => {
      let s = 0;
      for (const f of rows) s += p.embeddings[f * 3 + c]!;
      return s;
    });
    for (const f of rows) sq += p.idf![f]! ** 2;
    const logits = z.map((s, c) => s / Math.sqrt(sq) + p.bias[c]!);
    const expected = logits.map((l) => Math.exp(l) / logits.reduce((a, x) => a + Math.exp(x), 0));
    Array.from(predictProba(p, rows)).forEach((v, c) => expect(v).toBeCloseTo(expected[c]!, 6));
    expect(predictProba(p, rows)[2]).toBeGreaterThan(0.8);
  });

  it('gives unseen and trigram rows no weight and no idf, so they change nothing', () => {
    const p = res.params;
    const unseen = 11; // a vocabulary id no training text has
    const trigramRow = spec.vocabSize + spec.bigramBuckets;
    for (const f of [unseen, trigramRow, trigramRow + 1]) {
      expect(p.idf![f]).toBe(0);
      expect(Array.from(p.embeddings.subarray(f * 3, f * 3 + 3))).toEqual([0, 0, 0]);
    }
    const only = predictProba(p, Int32Array.from([unseen]));
    const bias = Array.from(p.bias, Math.exp);
    Array.from(only).forEach((v, c) => expect(v).toBeCloseTo(bias[c]! / bias.reduce((a, x) => a + x, 0), 6));
  });

  it('is deterministic', () => {
    const again = trainLinear(set, set, LABELS, spec, options, predictSet);
    expect(Array.from(again.params.embeddings)).toEqual(Array.from(res.params.embeddings));
  });
});

describe('export of idf columns', () => {
  it('matches the TypeScript model with mean-pooled and idf-pooled columns side by side', async () => {
    const spec = { vocabSize: 30, bigramBuckets: 11, trigramBuckets: 13 };
    const p: CompactParams = { ...initParams(spec, 5, 3, 7), idfColumns: 3 };
    const rowsN = spec.vocabSize + spec.bigramBuckets + spec.trigramBuckets;
    p.idf = Float32Array.from({ length: rowsN }, (_, f) => (f % 4 === 0 ? 0 : 1 + (f % 7) / 3));
    p.weights.forEach((_, i) => (p.weights[i] = Math.sin(i + 1)));
    p.bias.set([0.1, -0.2, 0.3]);
    const session = await ort.InferenceSession.create(exportCompactOnnx(p));
    const seqs = [
      [2, 9, 17, 4, 3],
      [2, 8, 3, 0, 0],
    ];
    const mask = seqs.map((s) => s.map((id, i) => (i < 2 || id !== 0 ? 1 : 0)));
    const flat = (m: number[][]) => BigInt64Array.from(m.flat().map(BigInt));
    const out = await session.run({
      input_ids: new ort.Tensor('int64', flat(seqs), [2, 5]),
      attention_mask: new ort.Tensor('int64', flat(mask), [2, 5]),
      token_type_ids: new ort.Tensor('int64', new BigInt64Array(10), [2, 5]),
    });
    const logits = out.logits!.data as Float32Array;
    seqs.forEach((s, b) => {
      const ids = s.filter((_, i) => mask[b]![i] === 1);
      const probs = Array.from(predictProba(p, featureRows(ids, spec)));
      const z = Array.from(logits.subarray(b * 3, b * 3 + 3));
      const onnx = z.map((v) => Math.exp(v) / z.reduce((a, x) => a + Math.exp(x), 0));
      onnx.forEach((v, c) => expect(Math.abs(v - probs[c]!)).toBeLessThan(1e-6));
    });
    await session.release();
  });
});

describe('a linear package through the pipeline', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ulasan-linear-'));
  const trainFile = writeToyTrainSet(dir);
  const build = (out: string) =>
    runPipeline({
      ...filesInput([trainFile], []),
      vocabFile: VOCAB,
      outDir: path.join(dir, out),
      name: 't',
      version: '1',
      options: { model: 'linear', bigramBuckets: 1009, trigramBuckets: 1013 },
    });

  it('exports exactly, deterministically, and serves in the engine', async () => {
    const a = await build('a');
    const b = await build('b');
    expect(a.exportMaxAbsDiff).toBeLessThan(1e-5);
    expect(
      readFileSync(path.join(dir, 'a', 'model.onnx')).equals(readFileSync(path.join(dir, 'b', 'model.onnx'))),
    ).toBe(true);
    expect(b.metrics).toEqual(a.metrics);
    const meta = JSON.parse(readFileSync(path.join(dir, 'a', 'ulasan.json'), 'utf8'));
    expect(meta.family).toBe('compact-linear');
    expect(meta.metrics.params).toMatchObject({ model: 'linear', linearC: 10, linearNgrams: 2 });
    const engine = await InferenceEngine.load(path.join(dir, 'a'));
    const [p, n] = await engine.predict(['pelayanan ramah sekali', 'sering error lambat']);
    expect(p!.sentiment).toBe('positive');
    expect(n!.sentiment).toBe('negative');
    await engine.close();
  });
});

describe('the manifest model section', () => {
  const base = { manifest_version: 1, name: 'm', sources: [{ name: 's', path: 'x.tsv' }] };
  it('takes linear with its C and refuses an unknown kind', () => {
    expect(manifestShape.parse({ ...base, model: { kind: 'linear', c: 3 } }).model).toEqual({ kind: 'linear', c: 3 });
    expect(manifestShape.safeParse({ ...base, model: { kind: 'svm' } }).success).toBe(false);
    expect(manifestShape.safeParse({ ...base, model: { kind: 'linear', c: 0 } }).success).toBe(false);
  });
});
