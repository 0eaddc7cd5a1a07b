// The engine on real Hugging Face exports: a DistilBERT classifier without token_type_ids and an
// XLM-R cross-encoder whose output depends on the text (so padding errors would show).
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InferenceEngine } from '../../../models/core/engine.js';
import { loadPackage, sentimentOf } from '../../../models/core/package.js';
import { BERT_TINY, XLMR_TINY } from './fixtures.js';

describe('DistilBERT export (input_ids + attention_mask only)', () => {
  let engine: InferenceEngine;
  beforeAll(async () => {
    engine = await InferenceEngine.load(BERT_TINY, { maxBatch: 4 });
  });
  afterAll(() => engine.close());

  it('feeds only the inputs the session declares', () => {
    expect([...engine.inputNames].sort()).toEqual(['attention_mask', 'input_ids']);
  });

  it('reproduces the reference logits for "hello world"', async () => {
    const [row] = await engine.runBatch(engine.tokenizer.pad([engine.encode('hello world')]));
    expect(row![0]).toBeCloseTo(0.000320295, 6);
    expect(row![1]).toBeCloseTo(-0.000200179, 6);
  });

  it('maps id2label names (NEGATIVE/POSITIVE) to sentiments', async () => {
    const [p] = await engine.predict(['hello world']);
    expect(p!.label).toBe('NEGATIVE');
    expect(p!.sentiment).toBe('negative');
    expect(Object.keys(p!.probabilities)).toEqual(['NEGATIVE', 'POSITIVE']);
    expect(p!.modelName).toBe('bert-tiny');
  });
});

describe('XLM-R cross-encoder (text-dependent output)', () => {
  let engine: InferenceEngine;
  const texts = ['hello world', 'saya senang', 'aplikasi ini sangat membantu sekali untuk belanja', 'ok'];
  beforeAll(async () => {
    // The fixture has no config.json; a package needs none (labels default from the logit count).
    engine = await InferenceEngine.load(XLMR_TINY, { maxBatch: 8 });
  });
  afterAll(() => engine.close());

  it('gives padded batches the same logits as unpadded single runs', async () => {
    const singles: number[] = [];
    for (const t of texts) singles.push((await engine.runBatch(engine.tokenizer.pad([engine.encode(t)])))[0]![0]!);
    expect(singles[0]).toBeCloseTo(-0.00133317, 6);
    expect(singles[1]).toBeCloseTo(-0.00141642, 6);
    const batch = await engine.runBatch(engine.tokenizer.pad(texts.map((t) => engine.encode(t))));
    batch.forEach((row, i) => expect(row[0]).toBeCloseTo(singles[i]!, 6));
  });

  it('returns predictions in input order whatever the bucketing', async () => {
    const sorted = await engine.predict(texts);
    const unsorted = await (await InferenceEngine.load(XLMR_TINY, { bucketing: false, maxBatch: 1 })).predict(texts);
    sorted.forEach((p, i) => expect(p.confidence).toBeCloseTo(unsorted[i]!.confidence, 6));
  });
});

describe('bad input', () => {
  let engine: InferenceEngine;
  beforeAll(async () => {
    engine = await InferenceEngine.load(XLMR_TINY);
  });
  afterAll(() => engine.close());

  it.each([
    ['empty', ''],
    ['whitespace only', ' \n\t '],
  ])('%s text is a typed INVALID_INPUT error naming its index', async (_, text) => {
    await expect(engine.predict(['bagus', text])).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      details: { index: 1 },
    });
  });

  it.each([
    ['100 KB (truncated)', 'bagus '.repeat(17_000)],
    ['emoji only', '😀😀👍'],
    ['lone surrogate', 'rusak \uD83D teks'],
    ['non-Indonesian', 'これは日本語です, and some English'],
  ])('%s gets a defined prediction', async (_, text) => {
    const [p] = await engine.predict([text]);
    expect(Number.isFinite(p!.confidence)).toBe(true);
  });
});

describe('model packages', () => {
  it('rejects a directory without model.onnx with a typed error', () => {
    expect(() => loadPackage(mkdtempSync(path.join(tmpdir(), 'ulasan-empty-')))).toThrow(
      expect.objectContaining({ code: 'MODEL_LOAD_FAILED' }),
    );
  });

  it('uses ulasan.json label_map for exports with LABEL_i names (IndoNLU SmSA order)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ulasan-pkg-'));
    cpSync(BERT_TINY, dir, { recursive: true });
    writeFileSync(
      path.join(dir, 'config.json'),
      JSON.stringify({ id2label: { 0: 'LABEL_0', 1: 'LABEL_1', 2: 'LABEL_2' } }),
    );
    writeFileSync(
      path.join(dir, 'ulasan.json'),
      JSON.stringify({
        name: 'indobert',
        version: '3',
        label_map: { LABEL_0: 'positive', LABEL_1: 'neutral', LABEL_2: 'negative' },
      }),
    );
    const pkg = loadPackage(dir);
    expect(pkg.sentiments).toEqual(['positive', 'neutral', 'negative']);
    expect(pkg.meta.version).toBe('3');
  });

  it('maps common label spellings', () => {
    expect(['POSITIVE', 'neg', 'Netral', 'LABEL_1'].map((l) => sentimentOf(l))).toEqual([
      'positive',
      'negative',
      'neutral',
      null,
    ]);
  });
});
