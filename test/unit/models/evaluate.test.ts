// npm run evaluate on a package whose predictions are known by construction, so every metric can
// be computed by hand: "bagus" -> positive, "jelek" -> negative, "biasa" -> neutral with the same
// confidence, and a word the model does not know -> uniform probabilities (negative wins the tie).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { languageOf, lengthBucketOf } from '../../../models/trainer/evaluate.js';
import { ROOT } from '../../helpers.js';
import { buildKnownPackage } from './fixtures.js';

const dir = mkdtempSync(path.join(tmpdir(), 'ulasan-evaluate-'));

describe('npm run evaluate', () => {
  it('prints one JSON object per data file with hand-computed metrics', { timeout: 120_000 }, () => {
    const pkg = buildKnownPackage(path.join(dir, 'pkg'));
    const rows = [
      ['bagus', 'positive'],
      ['jelek', 'negative'],
      ['biasa', 'neutral'],
      ['bagus', 'negative'],
      ['jelek', 'neutral'],
      ['mantap', 'positive'],
    ];
    const tsv = path.join(dir, 'six.tsv');
    writeFileSync(tsv, rows.map((r) => r.join('\t')).join('\n') + '\n');
    const jsonl = path.join(dir, 'six.jsonl');
    writeFileSync(jsonl, rows.map(([text, label]) => JSON.stringify({ text, label })).join('\n') + '\n');
    const res = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(ROOT, 'models/trainer/evaluate-cli.ts'),
        '--model',
        pkg,
        '--data',
        tsv,
        '--data',
        jsonl,
        '--json',
      ],
      { encoding: 'utf8', cwd: ROOT },
    );
    expect(res.status, res.stderr).toBe(0);
    const lines = res.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    for (const [i, line] of lines.entries()) {
      const r = JSON.parse(line);
      expect(Object.keys(r)).toEqual([
        'file',
        'n',
        'accuracy',
        'macro_f1',
        'per_class',
        'confusion_matrix',
        'ece',
        'slices',
      ]);
      expect(r.file).toBe([tsv, jsonl][i]);
      expect(r.n).toBe(6);
      // rows true, columns predicted (negative, neutral, positive)
      expect(r.confusion_matrix).toEqual([
        [1, 0, 1],
        [1, 1, 0],
        [1, 0, 1],
      ]);
      expect(r.accuracy).toBeCloseTo(3 / 6, 10);
      expect(r.per_class.negative).toEqual({
        precision: 1 / 3,
        recall: 1 / 2,
        f1: expect.closeTo(0.4, 10),
        support: 2,
      });
      expect(r.per_class.neutral).toEqual({ precision: 1, recall: 1 / 2, f1: expect.closeTo(2 / 3, 10), support: 2 });
      expect(r.per_class.positive).toEqual({ precision: 1 / 2, recall: 1 / 2, f1: 1 / 2, support: 2 });
      expect(r.macro_f1).toBeCloseTo((0.4 + 2 / 3 + 0.5) / 3, 10);
      // Five rows at confidence c = e^(10/6) / (e^(10/6) + 2), three of them right; one at 1/3, wrong.
      const c = Math.exp(10 / 6) / (Math.exp(10 / 6) + 2);
      expect(r.ece).toBeCloseTo((5 / 6) * Math.abs(3 / 5 - c) + (1 / 6) * (1 / 3), 5);
      expect(r.slices.length).toEqual({
        '1-3 words': { n: 6, accuracy: 0.5, macro_f1: expect.closeTo(r.macro_f1, 10) },
      });
      expect(r.slices.emoji['no emoji'].n).toBe(6);
      expect(r.slices.language.indonesian.n).toBe(6);
    }
  });

  it('names a bad data file and exits non-zero', () => {
    const bad = path.join(dir, 'bad.parquet');
    writeFileSync(bad, 'x');
    const res = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(ROOT, 'models/trainer/evaluate-cli.ts'),
        '--model',
        path.join(dir, 'pkg'),
        '--data',
        bad,
      ],
      { encoding: 'utf8', cwd: ROOT },
    );
    expect(res.status).toBe(1);
    expect(res.stderr).toContain('DATA_INVALID');
    expect(res.stderr).toContain('bad.parquet');
    const usage = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'models/trainer/evaluate-cli.ts')], {
      encoding: 'utf8',
      cwd: ROOT,
    });
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain('usage: npm run evaluate');
  });
});

describe('slices', () => {
  it('tells mostly-English from Indonesian and buckets lengths', () => {
    expect(languageOf('Good Job!')).toBe('english');
    expect(languageOf('very nice app, easy to use')).toBe('english');
    expect(languageOf('aplikasi ini sangat bagus dan mudah')).toBe('indonesian');
    expect(languageOf('good tapi sering error dan lambat sekali')).toBe('indonesian');
    expect(lengthBucketOf('bagus')).toBe('1-3 words');
    expect(lengthBucketOf('satu dua tiga empat')).toBe('4-10 words');
  });
});
