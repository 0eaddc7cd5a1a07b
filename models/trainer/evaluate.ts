// Evaluation of a model package on labelled rows: the numbers `npm run evaluate` prints, the model
// card records and the launcher's gates compare. Predictions come from the serving InferenceEngine,
// so what is measured is what is served.
import path from 'node:path';
import { eng as ENGLISH_STOPWORDS, ind as INDONESIAN_STOPWORDS } from 'stopword';
import emojiRegex from 'emoji-regex';
import type { InferenceEngine } from '../core/engine.js';
import { SENTIMENTS } from '../core/package.js';
import { modelInputText } from '../features/features.js';
import { readLabelledFile } from '../../platform/datasets.js';
import { UlasanError } from '../../platform/errors.js';
import type { InvariancePredict } from './invariance.js';
import { evaluate, type ClassMetrics } from './metrics.js';

export interface SliceMetrics {
  n: number;
  accuracy: number;
  macro_f1: number;
}

export interface EvaluationReport {
  file: string;
  n: number;
  accuracy: number;
  macro_f1: number;
  per_class: Record<string, ClassMetrics>;
  confusion_matrix: number[][];
  ece: number;
  slices: Record<string, Record<string, SliceMetrics>>;
}

export interface LabelledText {
  text: string;
  label: string;
}

// Common English review words that are not stop words, so "good app" or "very nice" count as English.
const ENGLISH_REVIEW_WORDS = [
  'good',
  'great',
  'nice',
  'bad',
  'app',
  'apps',
  'application',
  'awesome',
  'cool',
  'best',
  'love',
  'like',
  'easy',
  'thanks',
  'thank',
  'please',
  'fast',
  'slow',
  'excellent',
  'worst',
  'job',
  'helpful',
  'useful',
  'shopping',
  'service',
  'recommended',
  'delivery',
  'price',
  'cheap',
  'update',
  'error',
  'very',
  'really',
  'not',
  'poor',
  'amazing',
  'perfect',
];
const ENGLISH = new Set([...ENGLISH_STOPWORDS, ...ENGLISH_REVIEW_WORDS]);
// Words in both lists ("di" is not English, "a" is not Indonesian) count for neither.
const INDONESIAN = new Set(INDONESIAN_STOPWORDS.filter((w) => !ENGLISH.has(w)));
const WORD = /\p{L}+/gu;
const EMOJI = emojiRegex();

/**
 * Mostly English: more of the text's words are in the English list (the `stopword` package's English
 * stop words plus common English review words) than in its Indonesian stop words, and at least one
 * is. Everything else, including text with no listed word, counts as Indonesian.
 */
export function languageOf(text: string): 'english' | 'indonesian' {
  let en = 0;
  let id = 0;
  for (const w of text.toLowerCase().match(WORD) ?? []) {
    if (ENGLISH.has(w)) en += 1;
    else if (INDONESIAN.has(w)) id += 1;
  }
  return en > id ? 'english' : 'indonesian';
}

/** Word-count buckets: short reviews behave differently from paragraphs. */
export function lengthBucketOf(text: string): string {
  const words = (text.match(WORD) ?? []).length;
  if (words <= 3) return '1-3 words';
  if (words <= 10) return '4-10 words';
  if (words <= 30) return '11-30 words';
  return '31+ words';
}

export function hasEmoji(text: string): boolean {
  EMOJI.lastIndex = 0;
  return EMOJI.test(text);
}

const SLICERS: Record<string, (text: string) => string> = {
  length: lengthBucketOf,
  language: languageOf,
  emoji: (t) => (hasEmoji(t) ? 'with emoji' : 'no emoji'),
};

/** Metrics of predictions (probabilities in SENTIMENTS order) against labels, with slices. */
export function reportOf(file: string, rows: LabelledText[], probs: ArrayLike<number>[]): EvaluationReport {
  const labels = SENTIMENTS as readonly string[];
  const truth = rows.map((r) => labels.indexOf(r.label));
  const all = evaluate(labels, truth, probs);
  const slices: EvaluationReport['slices'] = {};
  for (const [name, slicer] of Object.entries(SLICERS)) {
    const groups = new Map<string, number[]>();
    rows.forEach((r, i) => {
      const key = slicer(r.text);
      const group = groups.get(key);
      if (group) group.push(i);
      else groups.set(key, [i]);
    });
    slices[name] = {};
    for (const [value, idx] of [...groups.entries()].sort()) {
      const m = evaluate(
        labels,
        idx.map((i) => truth[i]!),
        idx.map((i) => probs[i]!),
      );
      slices[name][value] = { n: m.n, accuracy: m.accuracy, macro_f1: m.macro_f1 };
    }
  }
  const { n, accuracy, macro_f1, per_class, confusion_matrix, ece } = all;
  return { file, n, accuracy, macro_f1, per_class, confusion_matrix, ece, slices };
}

/** Scores the rows with the engine and reports; labels outside the three sentiments are an error. */
export async function evaluateRows(
  engine: InferenceEngine,
  file: string,
  rows: LabelledText[],
  onProgress?: (done: number, total: number) => void,
): Promise<EvaluationReport> {
  const bad = rows.findIndex((r) => !(SENTIMENTS as readonly string[]).includes(r.label));
  if (bad >= 0) throw new UlasanError('DATA_INVALID', `${file}: row ${bad + 1} has label "${rows[bad]!.label}"`);
  return reportOf(
    file,
    rows,
    await predictProbs(
      engine,
      rows.map((r) => r.text),
      (done) => onProgress?.(done, rows.length),
    ),
  );
}

/** Probabilities in SENTIMENTS order, one row per text. */
/** Probabilities per sentiment, predicted in chunks so a caller can show progress (`onProgress(done)`). */
export async function predictProbs(
  engine: InferenceEngine,
  texts: string[],
  onProgress?: (done: number) => void,
): Promise<number[][]> {
  const out: number[][] = [];
  for (let i = 0; i < texts.length; i += 2048) {
    const preds = await engine.predict(texts.slice(i, i + 2048));
    for (const p of preds) out.push(SENTIMENTS.map((s) => p.probabilities[s] ?? 0));
    onProgress?.(out.length);
  }
  return out;
}

/** Labelled, non-empty rows of a TSV/CSV/JSONL file (the training formats); an unusable file names itself. */
export function readEvaluationFile(file: string): LabelledText[] {
  let rows;
  try {
    rows = readLabelledFile(file);
  } catch (err) {
    const why = err instanceof UlasanError ? err.message : (err as Error).message;
    throw new UlasanError('DATA_INVALID', `${file}: ${why}`);
  }
  const labelled = rows
    .filter((r) => r.label !== null && r.text.trim() !== '')
    .map((r) => ({ text: r.text, label: r.label! }));
  if (!labelled.length) throw new UlasanError('DATA_INVALID', `${file}: no labelled rows (${rows.length} rows read)`);
  return labelled;
}

export async function evaluateFile(
  engine: InferenceEngine,
  file: string,
  onProgress?: (done: number, total: number) => void,
): Promise<EvaluationReport> {
  return evaluateRows(engine, file, readEvaluationFile(path.resolve(file)), onProgress);
}

// eslint-disable-next-line no-control-regex -- the ASCII range starts at NUL on purpose
const ASCII_ONLY = /^[\x00-\x7f]*$/;

/**
 * An invariance predictor on the serving engine (the package's own preprocessing, name masking
 * included). Each row's clean text is computed once and the prefix's once: for ASCII text,
 * clean-text works word by word (tested in invariance.test.ts), so clean(prefix + ' ' + text) is
 * clean(prefix) + ' ' + clean(text), handed to the engine as the scorer hands it clean_text. Inputs
 * whose model text is equal are run once, so hundreds of names that all mask to one placeholder cost
 * about one pass per distinct input.
 */
export function enginePredictor(engine: InferenceEngine): InvariancePredict {
  const cleanRow = new Map<string, string>();
  const cleanOf = (t: string): string => {
    let c = cleanRow.get(t);
    if (c === undefined) cleanRow.set(t, (c = modelInputText(t)));
    return c;
  };
  return async (texts, _rows, prefix) => {
    const head = ASCII_ONLY.test(prefix) ? cleanOf(prefix) : null;
    const modelTexts = texts.map((t) => {
      const row = t.slice(prefix.length + 1);
      if (head === null || !ASCII_ONLY.test(row)) return engine.modelText(t);
      const body = cleanOf(row);
      return engine.modelText(t, body ? `${head} ${body}` : head);
    });
    const firstOf = new Map<string, number>();
    const unique: number[][] = [];
    const slot = modelTexts.map((m) => {
      let at = firstOf.get(m);
      if (at === undefined) {
        firstOf.set(m, (at = unique.length));
        unique.push(engine.tokenizer.encode(m));
      }
      return at;
    });
    const preds = await engine.predictEncoded(unique);
    const sentiments = engine.pkg.sentiments;
    const probs = preds.map((p) => {
      const out = [0, 0, 0];
      Object.values(p.probabilities).forEach((v, i) => {
        const s = sentiments[i];
        if (s) out[SENTIMENTS.indexOf(s)]! += v;
      });
      return out;
    });
    return slot.map((s) => probs[s]!);
  };
}
