// Acceptance: the compact model trained on SmSA train reaches accuracy >= 0.87 and macro-F1 >= 0.84
// on SmSA valid (never seen in training or early stopping), measured through the exported package.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runPipeline } from '../../../models/trainer/pipeline.js';
import { DATA, VOCAB } from './fixtures.js';

describe('compact model quality on SmSA valid', () => {
  it('meets the accuracy and macro-F1 targets', { timeout: 300_000 }, async () => {
    const res = await runPipeline({
      trainFile: path.join(DATA, 'smsa/train_preprocess.tsv'),
      validFile: path.join(DATA, 'smsa/valid_preprocess.tsv'),
      vocabFile: VOCAB,
      outDir: mkdtempSync(path.join(tmpdir(), 'ulasan-smsa-')),
      name: 'ulasan-compact',
      version: 'test',
    });
    console.log(`SmSA valid: accuracy ${res.metrics.accuracy.toFixed(4)}, macro-F1 ${res.metrics.macro_f1.toFixed(4)}, ECE ${res.metrics.ece.toFixed(4)}`);
    expect(res.metrics.n).toBe(1260);
    expect(res.metrics.accuracy).toBeGreaterThanOrEqual(0.87);
    expect(res.metrics.macro_f1).toBeGreaterThanOrEqual(0.84);
  });
});
