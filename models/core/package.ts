// A model package is a directory in the Hugging Face / Optimum export layout, so an IndoBERT export
// made with `optimum-cli export onnx --task text-classification` loads unchanged:
//   model.onnx, tokenizer.json and/or vocab.txt, config.json (id2label, label2id, max length)
// plus Ulasan's own ulasan.json (name, version, family, run id, metrics, dataset hash, feature set,
// created_at). A package without ulasan.json still loads, with metadata derived from config.json.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { UlasanError } from '../../platform/errors.js';
import { decodeModel } from './onnx-builder.js';
import type { Sentiment } from '../../schemas/types.generated.js';

export const SENTIMENTS: readonly Sentiment[] = ['negative', 'neutral', 'positive'];

export interface UlasanMeta {
  name: string;
  version: string;
  family: 'compact-fasttext' | 'compact-linear' | 'compact-fasttext-linear' | 'bert' | string;
  training_run_id: string | null;
  metrics: Record<string, unknown>;
  dataset_hash: string | null;
  feature_set_version: string | null;
  created_at: string;
  /** 'clean-text': the feature module's normalisation runs before tokenizing (compact models). */
  preprocessing: 'none' | 'clean-text';
  /**
   * After clean-text, app/brand names become one placeholder (models/features/names.ts) with the
   * package's own copy of the list, so later changes to the shipped list cannot change its scoring.
   * Absent (packages built before name masking): no masking, they score as they always did.
   */
  name_masking?: NameMaskingMeta;
  max_length: number;
  /** Model label -> sentiment, when id2label names are not already negative/neutral/positive. */
  label_map?: Record<string, Sentiment>;
  /** Training sources, manifest, per-set evaluation and calibration (packages built by the trainer). */
  model_card?: Record<string, unknown> | object;
}

export interface NameMaskingMeta {
  /** Version of the masking rules (NAME_MASKING_VERSION when built). */
  version: number;
  /** The name list in the package directory. */
  file: string;
  placeholder: string;
  /** Distinct names after normalisation. */
  names: number;
  sha256: string;
}

export interface HfConfig {
  id2label?: Record<string, string>;
  label2id?: Record<string, number>;
  max_position_embeddings?: number;
  model_type?: string;
  architectures?: string[];
  [k: string]: unknown;
}

export interface ModelPackage {
  dir: string;
  config: HfConfig;
  meta: UlasanMeta;
  /** Labels in logit order. */
  labels: string[];
  /** Sentiment of each logit, or null when the label has no sentiment meaning. */
  sentiments: (Sentiment | null)[];
}

const ALIASES: Record<string, Sentiment> = {
  negative: 'negative',
  neg: 'negative',
  negatif: 'negative',
  neutral: 'neutral',
  neu: 'neutral',
  netral: 'neutral',
  positive: 'positive',
  pos: 'positive',
  positif: 'positive',
};

export function sentimentOf(label: string, map?: Record<string, Sentiment>): Sentiment | null {
  return map?.[label] ?? ALIASES[label.trim().toLowerCase()] ?? null;
}

function readJson<T>(file: string): T {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (err) {
    throw new UlasanError('MODEL_LOAD_FAILED', `cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
}

export function loadPackage(dir: string): ModelPackage {
  const abs = path.resolve(dir);
  if (!existsSync(path.join(abs, 'model.onnx'))) throw new UlasanError('MODEL_LOAD_FAILED', `no model.onnx in ${abs}`);
  if (!existsSync(path.join(abs, 'tokenizer.json')) && !existsSync(path.join(abs, 'vocab.txt'))) {
    throw new UlasanError('MODEL_LOAD_FAILED', `no tokenizer.json or vocab.txt in ${abs}`);
  }
  const config = existsSync(path.join(abs, 'config.json')) ? readJson<HfConfig>(path.join(abs, 'config.json')) : {};
  const metaFile = path.join(abs, 'ulasan.json');
  const partial = existsSync(metaFile) ? readJson<Partial<UlasanMeta>>(metaFile) : {};
  const meta: UlasanMeta = {
    name: partial.name ?? path.basename(abs),
    version: String(partial.version ?? '0'),
    family: partial.family ?? (config.model_type ? 'bert' : 'unknown'),
    training_run_id: partial.training_run_id ?? null,
    metrics: partial.metrics ?? {},
    dataset_hash: partial.dataset_hash ?? null,
    feature_set_version: partial.feature_set_version ?? null,
    created_at: partial.created_at ?? new Date(0).toISOString(),
    preprocessing: partial.preprocessing ?? 'none',
    // BERT exports take up to 512 positions; reviews rarely need more than 128 tokens.
    max_length:
      partial.max_length ??
      Math.min(128, config.max_position_embeddings ?? positionCapacity(path.join(abs, 'model.onnx'), abs) ?? 128),
    label_map: partial.label_map,
    ...(partial.name_masking ? { name_masking: partial.name_masking } : {}),
  };
  const id2label = config.id2label ?? {};
  const n = Object.keys(id2label).length;
  const labels = n > 0 ? Array.from({ length: n }, (_, i) => id2label[String(i)] ?? `LABEL_${i}`) : [...SENTIMENTS];
  return { dir: abs, config, meta, labels, sentiments: labels.map((l) => sentimentOf(l, meta.label_map)) };
}

/**
 * Without config.json, the position-embedding table in the graph bounds the sequence length.
 * RoBERTa-family models (pad id 1, positions offset by padding_idx + 1) lose two of those rows.
 */
function positionCapacity(onnxFile: string, dir: string): number | undefined {
  try {
    const model = decodeModel(readFileSync(onnxFile));
    const table = model.graph?.initializer?.find(
      (t) => /position_embeddings?/i.test(t.name ?? '') && t.dims?.length === 2,
    );
    if (!table) return undefined;
    const rows = Number(table.dims![0]);
    const tj = path.join(dir, 'tokenizer.json');
    const roberta = existsSync(tj) && /"<s>"/.test(readFileSync(tj, 'utf8').slice(0, 4000));
    return roberta ? rows - 2 : rows;
  } catch {
    return undefined;
  }
}

import { packageHash } from '../../platform/hash.js';

export { packageHash };

export interface WritePackageInput {
  onnx: Uint8Array;
  tokenizerJson?: Record<string, unknown>;
  vocabTxt?: string[];
  labels: string[];
  meta: UlasanMeta;
  extraConfig?: Record<string, unknown>;
  /** Other files of the package by name (e.g. the data manifest it was trained from). */
  extraFiles?: Record<string, string>;
}

export function writePackage(dir: string, input: WritePackageInput): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'model.onnx'), input.onnx);
  if (input.tokenizerJson) writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(input.tokenizerJson));
  if (input.vocabTxt) writeFileSync(path.join(dir, 'vocab.txt'), input.vocabTxt.join('\n') + '\n');
  const config: HfConfig = {
    architectures: ['UlasanCompactForSequenceClassification'],
    model_type: 'ulasan-compact',
    id2label: Object.fromEntries(input.labels.map((l, i) => [String(i), l])),
    label2id: Object.fromEntries(input.labels.map((l, i) => [l, i])),
    max_position_embeddings: input.meta.max_length,
    ...input.extraConfig,
  };
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config, null, 2) + '\n');
  writeFileSync(path.join(dir, 'ulasan.json'), JSON.stringify(input.meta, null, 2) + '\n');
  for (const [name, text] of Object.entries(input.extraFiles ?? {})) writeFileSync(path.join(dir, name), text);
  return packageHash(dir);
}
