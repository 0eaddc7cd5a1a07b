// On the real default package (models/packages/ulasan-compact, built from models/manifests/default.json
// by `npm run model:build`): the app or brand a review names does not move its verdict, and the
// package masks names exactly as the trainer did (trainer path vs the served ONNX package's path).
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InferenceEngine } from '../../../models/core/engine.js';
import { bertTokenizerJson, readVocabTxt, TextTokenizer } from '../../../models/core/tokenizer.js';
import { computeFeatures, modelInputText } from '../../../models/features/features.js';
import { maskedModelText } from '../../../models/features/names.js';
import { enginePredictor, predictProbs } from '../../../models/trainer/evaluate.js';
import { NEUTRAL_PREFIX, REPORT_NAMES } from '../../../models/trainer/invariance.js';
import { manifestNameMasking, readEvaluationSets, readManifest } from '../../../models/trainer/manifest.js';
import { DEFAULT_MANIFEST, DEFAULT_PACKAGE_DIR } from '../../../scripts/model-build.js';
import { DATA, VOCAB } from './fixtures.js';

const REVIEWS = [
  'pengiriman cepat dan barangnya bagus, mantap',
  'sering error dan tidak bisa login, kecewa',
  'biasa saja',
  'Sudah 3 hari refund belum masuk juga!!',
  'good app',
];
const NAMES = ['shopee', 'Tokopedia', 'INDIHOME', 'livin by mandiri', 'Telkomsel', 'BCA Mobile', 'by.u', 'gopay'];

let engine: InferenceEngine;
beforeAll(async () => {
  engine = await InferenceEngine.load(DEFAULT_PACKAGE_DIR);
});
afterAll(async () => engine?.close());

describe('the default package is name-blind', () => {
  it('masks names (rebuild with `npm run model:build -- --force` if this package predates masking)', () => {
    expect(engine.pkg.meta.name_masking?.file).toBe('names.json');
    expect(engine.names!.size).toBeGreaterThan(300);
  });

  it('gives every named app the same verdict and probabilities, wherever the name sits', async () => {
    for (const review of REVIEWS) {
      const texts = [...NAMES.map((n) => `aplikasi ${n} ${review}`), ...NAMES.map((n) => `${review} di ${n}`)];
      const preds = await engine.predict(texts);
      const first = (k: number) => preds[k * NAMES.length]!;
      for (let k = 0; k < 2; k++) {
        for (const p of preds.slice(k * NAMES.length, (k + 1) * NAMES.length)) {
          expect(p.sentiment).toBe(first(k).sentiment);
          for (const [label, v] of Object.entries(p.probabilities))
            expect(v).toBeCloseTo(first(k).probabilities[label]!, 6);
        }
      }
    }
  });

  it("masks the review's own app name from its app id, as a listed name is", async () => {
    const review = 'kopikita sering error, tolong diperbaiki';
    const [own, listed, unmasked] = await engine.predict([review, review.replace('kopikita', 'shopee'), review], {
      appIds: ['com.kopikita.android', null, null],
    });
    expect(own!.probabilities).toEqual(listed!.probabilities);
    expect(engine.modelText(review, undefined, 'com.kopikita.android')).toBe('ini sering error , tolong diperbaiki');
    expect(engine.modelText(review)).toContain('kopikita');
    expect(unmasked!.sentiment).not.toBeNull();
  });
});

describe('name masking at training and at serving time', () => {
  it('gives the trainer and the served package the same token ids, from raw text or the scorer clean_text', () => {
    const masking = manifestNameMasking(readManifest(DEFAULT_MANIFEST), DATA)!;
    const trainer = new TextTokenizer(bertTokenizerJson(readVocabTxt(VOCAB)), engine.pkg.meta.max_length);
    const rows = readEvaluationSets(readManifest(DEFAULT_MANIFEST), DATA).flatMap((s) => s.rows.slice(0, 100));
    const texts = rows.flatMap((r, i) => [
      r.text,
      `aplikasi ${REPORT_NAMES[i % REPORT_NAMES.length]} ${r.text}`,
      `${r.text} pakai ${REPORT_NAMES[(i * 7) % REPORT_NAMES.length]!.toUpperCase()}nya`,
    ]);
    let masked = 0;
    for (const t of texts) {
      const ids = trainer.encode(maskedModelText(t, masking.masker));
      expect(engine.encode(t)).toEqual(ids);
      expect(engine.encode(t, computeFeatures(t).clean_text)).toEqual(ids);
      if (engine.modelText(t) !== modelInputText(t)) masked += 1;
    }
    // Two of every three texts name an app; a few forms ("TIKET.COMnya") stay unmasked.
    expect(masked).toBeGreaterThanOrEqual(texts.length / 2);
  });

  it("scores prefixed rows in the invariance predictor exactly as the engine's own predict does", async () => {
    const rows = readEvaluationSets(readManifest(DEFAULT_MANIFEST), DATA).flatMap((s) =>
      s.rows.slice(0, 60).map((r) => ({ text: r.text, label: r.label! })),
    );
    rows.push({ text: 'Mantul 👍👍 kirim cepat', label: 'positive' }, { text: 'café-nya jelek 😡', label: 'negative' });
    const predict = enginePredictor(engine);
    for (const prefix of [NEUTRAL_PREFIX, 'aplikasi shopee', 'aplikasi tiket.com', 'aplikasi google']) {
      const texts = rows.map((r) => `${prefix} ${r.text}`);
      const fast = await predict(
        texts,
        rows.map((_, i) => i),
        prefix,
      );
      const plain = await predictProbs(engine, texts);
      fast.forEach((p, i) => Array.from(p).forEach((v, c) => expect(v).toBeCloseTo(plain[i]![c]!, 6)));
    }
  });

  it('leaves a package built before name masking scoring as it did', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ulasan-premask-'));
    cpSync(DEFAULT_PACKAGE_DIR, dir, { recursive: true });
    const meta = JSON.parse(readFileSync(path.join(dir, 'ulasan.json'), 'utf8')) as Record<string, unknown>;
    delete meta.name_masking;
    writeFileSync(path.join(dir, 'ulasan.json'), JSON.stringify(meta));
    const old = await InferenceEngine.load(dir);
    try {
      expect(old.names).toBeNull();
      const text = 'aplikasi Shopee bagus';
      expect(old.encode(text)).toEqual(old.tokenizer.encode(modelInputText(text)));
      expect(old.encode(text)).not.toEqual(engine.encode(text));
    } finally {
      await old.close();
    }
  });

  it('refuses a package whose masking rules are newer than this code', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ulasan-future-'));
    cpSync(DEFAULT_PACKAGE_DIR, dir, { recursive: true });
    const meta = JSON.parse(readFileSync(path.join(dir, 'ulasan.json'), 'utf8')) as {
      name_masking: { version: number };
    };
    meta.name_masking.version = 99;
    writeFileSync(path.join(dir, 'ulasan.json'), JSON.stringify(meta));
    await expect(InferenceEngine.load(dir)).rejects.toThrow(/rules version 99/);
  });
});
