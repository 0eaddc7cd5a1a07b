// Paths of the real Hugging Face fixtures in ../shared (never copied into the repo).
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { PROJECT_ROOT } from '../../../platform/config.js';
import { writePackage, SENTIMENTS } from '../../../models/core/package.js';
import { bertTokenizerJson, readVocabTxt, TextTokenizer } from '../../../models/core/tokenizer.js';
import { exportCompactOnnx } from '../../../models/trainer/export.js';
import { tableRows } from '../../../models/trainer/fasttext.js';
import { encodeSet } from '../../../models/trainer/train.js';

export const FIXTURES = path.resolve(
  process.env.ULASAN_FIXTURES_DIR ?? path.join(PROJECT_ROOT, '..', 'shared', 'fixtures'),
);
export const VOCAB = path.join(FIXTURES, 'indobert-vocab', 'vocab.txt');
export const BERT_TINY = path.join(FIXTURES, 'bert-tiny');
export const XLMR_TINY = path.join(FIXTURES, 'xlmr-tiny-ce');
export const DATA = path.resolve(process.env.ULASAN_DATA_DIR ?? path.join(PROJECT_ROOT, '..', 'shared', 'data'));

/**
 * A small three-class training TSV (90 distinct app-review-like texts) written into `dir`: enough
 * for the trainers to learn, small enough for a unit test. Returns its path.
 */
export function writeToyTrainSet(dir: string): string {
  const rows: string[] = [];
  const pos = ['bagus sekali', 'sangat membantu', 'mantap cepat', 'suka aplikasinya', 'pelayanan ramah'];
  const neg = ['jelek sekali', 'sering error', 'lambat banget', 'kecewa berat', 'tidak bisa login'];
  const neu = ['biasa saja', 'lumayan lah', 'cukup', 'standar', 'begitu saja'];
  for (let i = 0; i < 30; i++) {
    // Distinct texts: the manifest de-duplicates by normalised text.
    const n = ['satu', 'dua', 'tiga', 'empat', 'lima', 'enam'][i % 6];
    rows.push(
      `${pos[i % 5]} ${n} ${i % 3 === 0 ? 'ya' : ''}\tpositive`,
      `${neg[i % 5]} ${n} ${i % 4 === 0 ? 'min' : ''}\tnegative`,
      `${neu[i % 5]} ${n}\tneutral`,
    );
  }
  const file = path.join(dir, 'train.tsv');
  writeFileSync(file, rows.join('\n') + '\n');
  return file;
}

/** The hashing of the toy encoded sets: 40 token ids, small bigram and trigram tables. */
export const TOY_SPEC = { vocabSize: 40, bigramBuckets: 31, trigramBuckets: 37 };

/**
 * An encoded three-class toy set: token 3/4/5 carry the label, 6-20 are noise words, 2 opens every
 * text, every fifth text has no label token. Labels are (i + labelOffset) % 3; with `weighted`,
 * rows alternate weights 1 and 2.
 */
export function toyEncodedSet(n: number, seed: number, o: { labelOffset?: number; weighted?: boolean } = {}) {
  const docs: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const y = (i + (o.labelOffset ?? 0)) % 3;
    const noise = [6 + ((i * 7 + seed) % 15), 6 + ((i * 11 + seed) % 15)];
    docs.push(i % 5 === 0 ? [2, ...noise] : [2, 3 + y, ...noise]);
    labels.push(y);
  }
  return encodeSet(docs, labels, TOY_SPEC, o.weighted ? docs.map((_, i) => 1 + (i % 2)) : undefined);
}

/**
 * A compact package whose predictions are known by construction, written to `out`: each word of
 * `classes` -> its class (index into negative, neutral, positive) with the same confidence, and a word
 * the model does not know -> uniform probabilities (negative wins the tie). Default: "jelek" negative,
 * "biasa" neutral, "bagus" positive.
 */
export function buildKnownPackage(
  out: string,
  classes: Record<string, number> = { jelek: 0, biasa: 1, bagus: 2 },
): string {
  const vocab = readVocabTxt(VOCAB);
  const tok = new TextTokenizer(bertTokenizerJson(vocab));
  const spec = { vocabSize: tok.vocabSize, bigramBuckets: 7, trigramBuckets: 11 };
  const embeddings = new Float32Array(tableRows(spec) * 3);
  for (const [w, cls] of Object.entries(classes)) {
    const ids = tok.encode(w);
    expect(ids).toHaveLength(3); // [CLS] word [SEP]: 3 unigrams + 2 bigrams + 1 trigram = 6 rows pooled
    embeddings[ids[1]! * 3 + cls] = 1;
  }
  const weights = Float32Array.from([10, 0, 0, 0, 10, 0, 0, 0, 10]);
  const onnx = exportCompactOnnx({ spec, dim: 3, numClasses: 3, embeddings, weights, bias: new Float32Array(3) });
  const meta = {
    name: 'known',
    version: '1',
    family: 'compact-fasttext',
    training_run_id: null,
    metrics: {},
    dataset_hash: null,
    feature_set_version: 'fs-1',
    created_at: new Date(0).toISOString(),
    preprocessing: 'clean-text' as const,
    max_length: 128,
  };
  writePackage(out, { onnx, tokenizerJson: tok.json, vocabTxt: vocab, labels: [...SENTIMENTS], meta });
  return out;
}
