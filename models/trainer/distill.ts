// Distillation: a teacher package (anything the serving engine loads: an IndoBERT export, a
// quantized one, a compact ensemble) labels unlabeled review text with its probabilities, and the
// compact student learns those soft labels (Hinton et al. 2015) next to any labelled rows. The
// teacher runs through the same InferenceEngine as the scorers, so it is judged as it would serve.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { readLabelledFile } from '../../platform/datasets.js';
import { UlasanError } from '../../platform/errors.js';
import { InferenceEngine } from '../core/engine.js';
import { packageHash, SENTIMENTS } from '../core/package.js';
import { predictProbs } from './evaluate.js';

export interface DistillInput {
  /** The teacher package directory. */
  teacherDir: string;
  /** Unlabeled review texts the teacher labels. */
  texts: string[];
  /** Where the texts came from (a file, a topic range, the reviews table): recorded in the model card. */
  source: string;
  /** Softens (> 1) or sharpens (< 1) the teacher's probabilities: p^(1/T), renormalised. */
  temperature: number;
  /** Weight of each distilled row relative to a labelled row of weight 1. */
  weight: number;
}

export interface TeacherCard {
  name: string;
  version: string;
  family: string;
  content_hash: string;
}

export interface Agreement {
  n: number;
  /** Share of texts on which student and teacher pick the same sentiment. */
  top_label: number;
  max_abs_diff: number;
  mean_abs_diff: number;
}

/** What the model card records of a distillation. */
export interface DistillationCard {
  teacher: TeacherCard;
  unlabeled: { source: string; rows: number; used: number; excluded_evaluation: number; excluded_labelled: number };
  temperature: number;
  weight: number;
  /** Student vs teacher per evaluation set (texts neither was trained on). */
  agreement: Record<string, Agreement>;
}

/** p^(1/T) renormalised: T = 1 leaves the teacher's probabilities as they are. */
export function soften(p: readonly number[], temperature: number): number[] {
  if (temperature === 1) return [...p];
  const powered = p.map((v) => Math.pow(Math.max(v, 1e-12), 1 / temperature));
  const sum = powered.reduce((a, b) => a + b, 0);
  return powered.map((v) => v / sum);
}

export const argmax = (p: ArrayLike<number>): number => {
  let best = 0;
  for (let c = 1; c < p.length; c++) if (p[c]! > p[best]!) best = c;
  return best;
};

export function agreement(student: ArrayLike<number>[], teacher: ArrayLike<number>[]): Agreement {
  if (student.length !== teacher.length) throw new Error('agreement needs one teacher row per student row');
  let same = 0;
  let max = 0;
  let sum = 0;
  student.forEach((s, i) => {
    const t = teacher[i]!;
    if (argmax(s) === argmax(t)) same += 1;
    for (let c = 0; c < s.length; c++) {
      const d = Math.abs(s[c]! - t[c]!);
      max = Math.max(max, d);
      sum += d;
    }
  });
  const n = student.length;
  const cells = n * (student[0]?.length ?? 1);
  return { n, top_label: n ? same / n : 0, max_abs_diff: max, mean_abs_diff: cells ? sum / cells : 0 };
}

/** An open teacher: its identity and its probabilities (SENTIMENTS order) through the serving engine. */
export interface Teacher {
  card: TeacherCard;
  probs(texts: string[], onProgress?: (done: number) => void): Promise<number[][]>;
  close(): Promise<void>;
}

/** Loads the teacher once for a whole distillation (a transformer takes seconds to load and hash). */
export async function openTeacher(dir: string): Promise<Teacher> {
  if (!existsSync(path.join(dir, 'model.onnx')))
    throw new UlasanError('TEACHER_INVALID', `no model package at ${dir} (model.onnx missing)`);
  const engine = await InferenceEngine.load(dir, { maxBatch: 64 });
  const missing = SENTIMENTS.filter((s) => !engine.pkg.sentiments.includes(s));
  if (missing.length) {
    await engine.close();
    throw new UlasanError(
      'TEACHER_INVALID',
      `teacher ${dir} has no ${missing.join(', ')} label (labels ${engine.pkg.labels.join(', ')}; ` +
        'map them with label_map in its ulasan.json)',
    );
  }
  const meta = engine.pkg.meta;
  const card = { name: meta.name, version: meta.version, family: meta.family, content_hash: packageHash(dir) };
  return {
    card,
    probs: (texts, onProgress) => predictProbs(engine, texts, onProgress),
    close: () => engine.close(),
  };
}

/**
 * Review texts of an unlabeled file: one per line for .txt, the text column of the training
 * formats (TSV/CSV/JSONL; labels, if any, are ignored). Empty texts are dropped.
 */
export function readUnlabeledFile(file: string): string[] {
  if (!existsSync(file)) throw new UlasanError('DATA_NOT_FOUND', `no unlabeled data file at ${file}`);
  try {
    const texts =
      path.extname(file).toLowerCase() === '.txt'
        ? readFileSync(file, 'utf8').split('\n')
        : readLabelledFile(file).map((r) => r.text);
    const kept = texts.map((t) => t.trim()).filter(Boolean);
    if (!kept.length) throw new UlasanError('DATA_INVALID', 'no texts');
    return kept;
  } catch (err) {
    const why = err instanceof UlasanError ? err.message : (err as Error).message;
    throw new UlasanError('DATA_INVALID', `unlabeled data ${file}: ${why}`);
  }
}
