// Distillation (npm run train -- --teacher ... --unlabeled ...): soft-label training steps, the
// helpers, and a student distilled from a 5-member ensemble that must agree with it on held-out text.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { UlasanMeta } from '../../../models/core/package.js';
import { modelCardLines } from '../../../models/trainer/card.js';
import { agreement, readUnlabeledFile, soften } from '../../../models/trainer/distill.js';
import { initParams, predictProba, sgdStep } from '../../../models/trainer/fasttext.js';
import { filesInput, runPipeline } from '../../../models/trainer/pipeline.js';
import { parseUnlabeledSpec } from '../../../models/trainer/unlabeled.js';
import { ROOT } from '../../helpers.js';
import { DATA, VOCAB } from './fixtures.js';

const fresh = (label: string) => mkdtempSync(path.join(tmpdir(), `ulasan-distill-${label}-`));
const spec = { vocabSize: 50, bigramBuckets: 11, trigramBuckets: 7 };
const scratch = () => ({ h: new Float32Array(8), z: new Float32Array(3), g: new Float32Array(8) });

describe('soft-label training step', () => {
  it('takes the same step for a one-hot target as for its class index', () => {
    const a = initParams(spec, 8, 3, 5);
    const b = initParams(spec, 8, 3, 5);
    const rows = Int32Array.from([1, 7, 20, 55]);
    const la = sgdStep(a, rows, 2, 1.5, 0.3, 0, scratch());
    const lb = sgdStep(b, rows, [0, 0, 1], 1.5, 0.3, 0, scratch());
    expect(lb).toBeCloseTo(la, 6);
    expect(Array.from(b.embeddings)).toEqual(Array.from(a.embeddings));
    expect(Array.from(b.weights)).toEqual(Array.from(a.weights));
  });

  it('moves the prediction towards a soft target', () => {
    const p = initParams(spec, 8, 3, 9);
    const rows = Int32Array.from([3, 4, 60]);
    const target = [0.2, 0.7, 0.1];
    for (let i = 0; i < 300; i++) sgdStep(p, rows, target, 1, 0.5, 0, scratch());
    const got = predictProba(p, rows);
    target.forEach((t, c) => expect(got[c]!).toBeCloseTo(t, 2));
  });
});

describe('distillation helpers', () => {
  it('softens and sharpens probabilities without changing their order', () => {
    expect(soften([0.2, 0.3, 0.5], 1)).toEqual([0.2, 0.3, 0.5]);
    const hot = soften([0.2, 0.3, 0.5], 0.5); // p^2 renormalised
    expect(hot[2]).toBeCloseTo(0.25 / 0.38, 10);
    const flat = soften([0.2, 0.3, 0.5], 4);
    expect(flat[2]! - flat[0]!).toBeLessThan(0.3);
    expect(flat.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });

  it('measures top-label agreement and probability distance', () => {
    const a = agreement(
      [
        [0.7, 0.2, 0.1],
        [0.1, 0.2, 0.7],
      ],
      [
        [0.6, 0.3, 0.1],
        [0.5, 0.1, 0.4],
      ],
    );
    expect(a.n).toBe(2);
    expect(a.top_label).toBe(0.5);
    expect(a.max_abs_diff).toBeCloseTo(0.4, 12);
    expect(a.mean_abs_diff).toBeCloseTo((0.1 + 0.1 + 0 + 0.4 + 0.1 + 0.3) / 6, 12);
  });

  it('reads unlabeled text files and topic ranges, and names a bad one', () => {
    const dir = fresh('files');
    writeFileSync(path.join(dir, 'u.txt'), 'bagus sekali\n\n  jelek  \n');
    expect(readUnlabeledFile(path.join(dir, 'u.txt'))).toEqual(['bagus sekali', 'jelek']);
    writeFileSync(path.join(dir, 'empty.txt'), '\n\n');
    expect(() => readUnlabeledFile(path.join(dir, 'empty.txt'))).toThrow(/empty\.txt: no texts/);
    expect(() => readUnlabeledFile(path.join(dir, 'none.jsonl'))).toThrow(/no unlabeled data file at .*none\.jsonl/);
    expect(parseUnlabeledSpec('reviews.txt')).toEqual({ kind: 'file', path: 'reviews.txt' });
    expect(parseUnlabeledSpec('topic:')).toMatchObject({
      kind: 'topic',
      topic: null,
      from: { kind: 'offset', value: 0 },
    });
    expect(parseUnlabeledSpec('topic:x.reviews@2026-11-01T00:00:00Z..500')).toMatchObject({
      topic: 'x.reviews',
      from: { kind: 'time', value: Date.parse('2026-11-01T00:00:00Z') },
      to: { kind: 'offset', value: 500 },
    });
    expect(() => parseUnlabeledSpec('topic:x@yesterday..5')).toThrow(/neither an offset nor an ISO time/);
  });
});

function cli(args: string[]): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'models/trainer/cli.ts'), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  return { status: r.status, out: r.stdout + r.stderr };
}

describe('npm run train -- --teacher', () => {
  it('refuses a teacher without unlabeled text, and a teacher that is not a package', () => {
    const out = fresh('cli');
    const noText = cli(['--teacher', out, '--out', out]);
    expect(noText.status).toBe(2);
    expect(noText.out).toMatch(/--teacher needs --unlabeled/);
    writeFileSync(path.join(out, 'u.txt'), 'bagus\njelek\n');
    const notPackage = cli(['--teacher', out, '--unlabeled', path.join(out, 'u.txt'), '--out', path.join(out, 'p')]);
    expect(notPackage.status).toBe(1);
    expect(notPackage.out).toMatch(/TEACHER_INVALID: no model package at/);
  });

  it(
    'distils a 5-member ensemble into one compact student that agrees with it on >= 95 % of held-out texts',
    { timeout: 240_000 },
    async () => {
      const smsaValid = path.join(DATA, 'smsa', 'valid_preprocess.tsv');
      const nusaxValid = path.join(DATA, 'nusax', 'indonesian-valid.csv');
      const teacher = await runPipeline({
        ...filesInput([path.join(DATA, 'smsa', 'train_preprocess.tsv')], [smsaValid]),
        vocabFile: VOCAB,
        outDir: fresh('teacher'),
        name: 'teacher',
        version: '1',
        ensemble: 5,
        options: { dim: 32, epochs: 5 },
      });
      // Unlabeled: app-review texts plus a file that repeats five held-out texts (they must be left out).
      const dir = fresh('unlabeled');
      const leaked = readUnlabeledFile(nusaxValid).slice(0, 5);
      writeFileSync(path.join(dir, 'leaked.txt'), leaked.join('\n') + '\n');
      const texts = [...readUnlabeledFile(path.join(DATA, 'app-reviews', 'train.csv')), ...leaked];
      const texts2 = readUnlabeledFile(path.join(DATA, 'smsa', 'train_preprocess.tsv'));
      const student = await runPipeline({
        ...filesInput([], [smsaValid, nusaxValid]),
        distill: {
          teacherDir: teacher.outDir,
          texts: [...texts, ...texts2],
          source: 'app reviews + smsa train text',
          temperature: 1,
          weight: 1,
        },
        vocabFile: VOCAB,
        outDir: fresh('student'),
        name: 'student',
        version: '1',
        options: { dim: 32, epochs: 5 },
      });
      const agree = student.teacherAgreement!;
      expect(agree.all!.n).toBe(1260 + 97);
      expect(agree.all!.top_label).toBeGreaterThanOrEqual(0.95);
      expect(student.exportMaxAbsDiff).toBeLessThanOrEqual(1e-5);
      const meta = JSON.parse(readFileSync(path.join(student.outDir, 'ulasan.json'), 'utf8')) as {
        metrics: Record<string, number>;
        model_card: {
          distillation: {
            teacher: { content_hash: string; name: string };
            unlabeled: { excluded_evaluation: number; used: number };
          };
        };
      };
      const card = meta.model_card;
      expect(meta.metrics.teacher_agreement).toBe(agree.all!.top_label);
      expect(meta.metrics.teacher_accuracy).toBeGreaterThan(0.8);
      expect(card.distillation.teacher).toMatchObject({ name: 'teacher', content_hash: teacher.contentHash });
      expect(card.distillation.unlabeled.excluded_evaluation).toBeGreaterThanOrEqual(5);
      // npm run registry -- show prints it.
      const raw = JSON.parse(readFileSync(path.join(student.outDir, 'ulasan.json'), 'utf8')) as UlasanMeta;
      const lines = modelCardLines(raw).join('\n');
      expect(lines).toMatch(/distilled from teacher 1 \(compact-fasttext, sha256 [0-9a-f]{12}\)/);
      expect(lines).toMatch(/agrees with the teacher on all: 0\.9\d{3} of 1357/);
      // The student is one model of the members' width, not the ensemble's five.
      const config = JSON.parse(readFileSync(path.join(student.outDir, 'config.json'), 'utf8')) as {
        ulasan_compact: { dim: number; ensemble: number };
      };
      expect(config.ulasan_compact).toMatchObject({ dim: 32, ensemble: 1 });
      const teacherConfig = JSON.parse(readFileSync(path.join(teacher.outDir, 'config.json'), 'utf8')) as {
        ulasan_compact: { dim: number };
      };
      expect(teacherConfig.ulasan_compact.dim).toBe(160);
    },
  );
});
