// A true BERT architecture (embeddings, attention, FFN, LayerNorm, pooler, classifier; three inputs)
// generated in TS, run through the same engine as every other model, fp32 and dynamic int8.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBertOnnx, type BertShape } from '../../../models/core/bert-graph.js';
import { InferenceEngine } from '../../../models/core/engine.js';
import { writePackage } from '../../../models/core/package.js';
import { bertTokenizerJson, readVocabTxt } from '../../../models/core/tokenizer.js';
import { VOCAB } from './fixtures.js';

const vocab = readVocabTxt(VOCAB);
const shape: BertShape = {
  vocabSize: vocab.length,
  hidden: 32,
  layers: 2,
  heads: 4,
  intermediate: 64,
  maxPositions: 128,
  typeVocab: 2,
  numLabels: 3,
};
const TEXTS = [
  'Aplikasinya bagus sekali, pengiriman cepat dan barang sesuai pesanan',
  'jelek',
  'Sering error waktu login, tolong diperbaiki ya min. Sudah tiga kali saya coba tetap gagal bayar!',
  'biasa saja',
  'mantap 👍',
];

function pkg(quantized: boolean): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'ulasan-bert-'));
  writePackage(dir, {
    onnx: buildBertOnnx(shape, { seed: 7, quantized }),
    tokenizerJson: bertTokenizerJson(vocab),
    labels: ['negative', 'neutral', 'positive'],
    meta: {
      name: 'bert-test',
      version: quantized ? 'int8' : 'fp32',
      family: 'bert',
      training_run_id: null,
      metrics: {},
      dataset_hash: null,
      feature_set_version: null,
      created_at: '2026-01-01T00:00:00Z',
      preprocessing: 'none',
      max_length: 64,
    },
    extraConfig: { architectures: ['BertForSequenceClassification'], model_type: 'bert' },
  });
  return dir;
}

describe.each([false, true])('generated BERT encoder (quantized=%s)', (quantized) => {
  let engine: InferenceEngine;
  beforeAll(async () => {
    engine = await InferenceEngine.load(pkg(quantized), { maxBatch: 2 });
  });
  afterAll(() => engine.close());

  it('declares the three BERT inputs and a logits output', () => {
    expect([...engine.inputNames].sort()).toEqual(['attention_mask', 'input_ids', 'token_type_ids']);
    expect(engine.outputName).toBe('logits');
  });

  it('gives padded batches the same scores as unpadded single runs', async () => {
    const singles: Float32Array[] = [];
    for (const t of TEXTS) singles.push((await engine.runBatch(engine.tokenizer.pad([engine.encode(t)])))[0]!);
    const batched = await engine.runBatch(engine.tokenizer.pad(TEXTS.map((t) => engine.encode(t))));
    // int8 activations are quantized per batch (the scale depends on the batch's range).
    const tol = quantized ? 5e-2 : 1e-4;
    batched.forEach((row, i) => row.forEach((v, c) => expect(Math.abs(v - singles[i]![c]!)).toBeLessThan(tol)));
    // The output depends on the text (random weights are not degenerate).
    expect(Math.abs(singles[0]![0]! - singles[1]![0]!)).toBeGreaterThan(1e-6);
  });

  it('runs varied batch sizes and lengths through predict()', async () => {
    for (const n of [1, 3, 7]) {
      const texts = Array.from({ length: n }, (_, i) => TEXTS[i % TEXTS.length]!.repeat(1 + (i % 4)));
      const preds = await engine.predict(texts);
      expect(preds).toHaveLength(n);
      for (const p of preds) {
        expect(Object.values(p.probabilities).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
        expect(['negative', 'neutral', 'positive']).toContain(p.sentiment);
      }
    }
    // Longer than max_length is truncated, not an error.
    const long = await engine.predict(['kata '.repeat(500)]);
    expect(long[0]!.confidence).toBeGreaterThan(0);
  });
});
