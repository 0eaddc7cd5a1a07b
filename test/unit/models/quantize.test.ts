// Dynamic int8 quantization of real exports (model:quantize): the rewrite of a generated BERT equals
// the builder's own int8 graph output for output; the DistilBERT and XLM-R fixtures quantize into
// packages the serving engine loads unchanged, and agree with their fp32 originals.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { buildBertOnnx, type BertShape } from '../../../models/core/bert-graph.js';
import { InferenceEngine } from '../../../models/core/engine.js';
import { decodeModel, encodeModel } from '../../../models/core/onnx-builder.js';
import { packageHash } from '../../../models/core/package.js';
import { quantizeOnnx } from '../../../models/core/quantize.js';
import { agreement, quantizePackage, readTexts } from '../../../scripts/model-quantize.js';
import { BERT_TINY, DATA, XLMR_TINY } from './fixtures.js';

const SMALL: BertShape = {
  vocabSize: 500,
  hidden: 64,
  layers: 2,
  heads: 4,
  intermediate: 128,
  maxPositions: 64,
  typeVocab: 2,
  numLabels: 3,
};

async function run(bytes: Uint8Array, batch: number, seq: number): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes);
  const ids = BigInt64Array.from({ length: batch * seq }, (_, i) => BigInt(1 + ((i * 37) % 499)));
  const feeds = {
    input_ids: new ort.Tensor('int64', ids, [batch, seq]),
    attention_mask: new ort.Tensor('int64', new BigInt64Array(batch * seq).fill(1n), [batch, seq]),
    token_type_ids: new ort.Tensor('int64', new BigInt64Array(batch * seq), [batch, seq]),
  };
  const out = await session.run(feeds);
  const logits = out[session.outputNames[0]!]!.data as Float32Array;
  await session.release();
  return logits;
}

const fresh = (label: string) => mkdtempSync(path.join(tmpdir(), `ulasan-quantize-${label}-`));

describe('model:quantize', () => {
  it('rewrites a generated BERT exactly as the builder builds its int8 variant', async () => {
    const fp32 = buildBertOnnx(SMALL, { seed: 11 });
    const { bytes, report } = quantizeOnnx(fp32);
    expect(report.quantized).toBe(2 * 6); // per layer: q, k, v, attention out, ffn in, ffn out
    const ours = await run(bytes, 2, 16);
    const reference = await run(buildBertOnnx(SMALL, { seed: 11, quantized: true }), 2, 16);
    expect(Array.from(ours)).toEqual(Array.from(reference));
    const float = await run(fp32, 2, 16);
    float.forEach((v, i) => expect(Math.abs(v - ours[i]!)).toBeLessThan(0.05 * Math.max(1, Math.abs(v))));
  });

  it('keeps weights in 7 bits with reduced range, and refuses an opset without DynamicQuantizeLinear', () => {
    const { bytes } = quantizeOnnx(buildBertOnnx(SMALL, { seed: 3 }), { reduceRange: true });
    const int8 = decodeModel(bytes).graph!.initializer!.filter(
      (t) => t.dataType === onnxProto.onnx.TensorProto.DataType.INT8,
    );
    expect(int8.length).toBeGreaterThan(10);
    for (const t of int8)
      for (const v of new Int8Array(Buffer.from(t.rawData!))) expect(Math.abs(v)).toBeLessThanOrEqual(63);
    const old = decodeModel(buildBertOnnx(SMALL, { seed: 3 }));
    old.opsetImport = [{ domain: '', version: 10 }];
    expect(() => quantizeOnnx(encodeModel(old))).toThrow(/opset 10/);
  });

  it.each([
    ['XLM-R (input_ids + attention_mask, text-dependent output)', XLMR_TINY],
    ['DistilBERT (no token_type_ids)', BERT_TINY],
  ])('quantizes %s into a package the engine loads, agreeing with fp32', async (_name, dir) => {
    const out = path.join(fresh('pkg'), 'int8');
    const { report } = quantizePackage(dir, out);
    expect(report).toMatchObject({ quantized: 12, skipped: 4 });
    const meta = JSON.parse(readFileSync(path.join(out, 'ulasan.json'), 'utf8')) as {
      quantization: { method: string; source_package_hash: string };
    };
    expect(meta.quantization).toMatchObject({ method: 'dynamic-int8', source_package_hash: packageHash(dir) });
    expect(packageHash(out)).not.toBe(packageHash(dir));
    const engine = await InferenceEngine.load(out);
    expect((await engine.predict(['aplikasinya bagus']))[0]!.label).toBeTruthy();
    await engine.close();
    const texts = readTexts(path.join(DATA, 'smsa/valid_preprocess.tsv'), 100);
    const a = await agreement(dir, out, texts);
    expect(a.topLabelAgreement).toBe(1);
    expect(a.maxAbsProbDiff).toBeLessThan(1e-3);
  });

  it('refuses to write into a directory that is not empty', () => {
    const out = fresh('full');
    quantizePackage(XLMR_TINY, out);
    expect(() => quantizePackage(XLMR_TINY, out)).toThrow(/not empty/);
  });
});
