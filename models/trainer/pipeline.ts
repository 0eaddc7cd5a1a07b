// Train -> export -> verify -> package. The reported metrics are computed by running the exported
// package through the same InferenceEngine the scorers use, so they describe what is served.
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { readLabelledFile, type LabelledRow } from '../../processors/shared/datasets.js';
import { PROJECT_ROOT } from '../../processors/shared/config.js';
import { UlasanError } from '../../processors/shared/errors.js';
import { InferenceEngine } from '../core/engine.js';
import { SENTIMENTS, writePackage } from '../core/package.js';
import { bertTokenizerJson, readVocabTxt, TextTokenizer } from '../core/tokenizer.js';
import { FEATURE_SET_VERSION, modelInputText } from '../features/features.js';
import { mergeEnsemble } from './ensemble.js';
import { exportCompactOnnx } from './export.js';
import { predictProba } from './fasttext.js';
import { evaluate, type EvalMetrics } from './metrics.js';
import { DEFAULT_TRAIN_OPTIONS, encodeSet, stratifiedSplit, trainCompact, type EpochRecord, type TrainOptions } from './train.js';

export interface PipelineInput {
  trainFile: string;
  /** Evaluation set; when absent a stratified 10 % of the training file is held out. */
  validFile?: string;
  /** Extra labelled rows (e.g. feedback) appended to the training data. */
  extraRows?: { text: string; label: string }[];
  vocabFile: string;
  outDir: string;
  name: string;
  version: string;
  runId?: string;
  maxLength?: number;
  /** Models averaged into one (same hashing, different seeds). */
  ensemble?: number;
  options?: Partial<TrainOptions>;
  log?: (msg: string) => void;
}

export interface PipelineResult {
  outDir: string;
  contentHash: string;
  runId: string;
  metrics: EvalMetrics;
  devMetrics: EvalMetrics;
  history: EpochRecord[][];
  bestEpochs: number[];
  datasetHash: string;
  trainRows: number;
  seconds: number;
  /** Largest |p_onnx - p_ts| over the evaluation set: the export's fidelity. */
  exportMaxAbsDiff: number;
}

const LABELS = SENTIMENTS as readonly string[];

/** The IndoLEM IndoBERT uncased WordPiece vocabulary: the compact model tokenizes as IndoBERT would. */
export const DEFAULT_VOCAB = path.resolve(PROJECT_ROOT, '..', 'shared', 'fixtures', 'indobert-vocab', 'vocab.txt');

function labelled(rows: LabelledRow[]): { text: string; label: number }[] {
  return rows.filter((r) => r.label !== null && r.text.trim() !== '').map((r) => ({ text: r.text, label: LABELS.indexOf(r.label!) }));
}

export async function runPipeline(input: PipelineInput): Promise<PipelineResult> {
  const t0 = Date.now();
  const log = input.log ?? (() => undefined);
  const options: TrainOptions = { ...DEFAULT_TRAIN_OPTIONS, ...input.options };
  const maxLength = input.maxLength ?? 128;
  const vocab = readVocabTxt(input.vocabFile);
  const tokenizer = new TextTokenizer(bertTokenizerJson(vocab), maxLength);

  const base = labelled(readLabelledFile(input.trainFile));
  const extra = (input.extraRows ?? []).filter((r) => LABELS.includes(r.label) && r.text.trim() !== '').map((r) => ({ text: r.text, label: LABELS.indexOf(r.label) }));
  let trainItems = [...base, ...extra];
  let evalItems: { text: string; label: number }[];
  if (input.validFile) evalItems = labelled(readLabelledFile(input.validFile));
  else {
    const s = stratifiedSplit(trainItems, 0.1, options.seed + 100);
    trainItems = s.train;
    evalItems = s.held;
  }
  if (trainItems.length < 10 || new Set(trainItems.map((t) => t.label)).size < 2) {
    throw new UlasanError('DATA_INVALID', `training set too small: ${trainItems.length} labelled rows, ${new Set(trainItems.map((t) => t.label)).size} classes`);
  }
  const datasetHash = createHash('sha256')
    .update(readFileSync(input.trainFile))
    .update(input.validFile ? readFileSync(input.validFile) : '')
    .update(JSON.stringify(extra))
    .digest('hex');

  const spec = { vocabSize: tokenizer.vocabSize, bigramBuckets: options.bigramBuckets, trigramBuckets: options.trigramBuckets };
  const encode = (items: { text: string; label: number }[]) => encodeSet(items.map((i) => tokenizer.encode(modelInputText(i.text))), items.map((i) => i.label), spec);
  // Early stopping looks at a split of the training data only; the evaluation set stays unseen.
  const { train, held } = stratifiedSplit(trainItems, 0.1, options.seed + 7);
  const trainSet = encode(train);
  const devSet = encode(held);
  const evalSet = encode(evalItems);
  log(`data: ${train.length} train, ${held.length} early-stopping dev, ${evalItems.length} evaluation rows`);

  const members = [];
  const histories: EpochRecord[][] = [];
  const bestEpochs: number[] = [];
  let devMetrics: EvalMetrics | null = null;
  for (let m = 0; m < (input.ensemble ?? 1); m++) {
    const res = trainCompact(trainSet, devSet, LABELS, spec, { ...options, seed: options.seed + m * 1000 }, (r) =>
      log(`model ${m + 1} epoch ${r.epoch}: loss ${r.train_loss.toFixed(4)} dev macro-F1 ${r.dev_macro_f1.toFixed(4)}`),
    );
    members.push(res.params);
    histories.push(res.history);
    bestEpochs.push(res.bestEpoch);
    devMetrics = res.dev;
  }
  const params = mergeEnsemble(members);

  const runId = input.runId ?? randomUUID();
  const onnx = exportCompactOnnx(params);
  const meta = {
    name: input.name,
    version: input.version,
    family: 'compact-fasttext',
    training_run_id: runId,
    metrics: {},
    dataset_hash: datasetHash,
    feature_set_version: FEATURE_SET_VERSION,
    created_at: new Date().toISOString(),
    preprocessing: 'clean-text' as const,
    max_length: maxLength,
  };
  const writeAll = (metrics: Record<string, unknown>) =>
    writePackage(input.outDir, {
      onnx,
      tokenizerJson: tokenizer.json,
      vocabTxt: vocab,
      labels: [...LABELS],
      meta: { ...meta, metrics },
      extraConfig: { ulasan_compact: { dim: params.dim, ...spec, ensemble: input.ensemble ?? 1 } },
    });
  writeAll({});

  // Evaluate the exported package through the serving engine, and check it against the TS model.
  const engine = await InferenceEngine.load(input.outDir, { maxBatch: 256 });
  const preds = await engine.predict(evalItems.map((e) => e.text));
  await engine.close();
  const probs = preds.map((p) => LABELS.map((l) => p.probabilities[l]!));
  let maxDiff = 0;
  evalSet.rows.forEach((r, i) => {
    const ts = predictProba(params, r);
    for (let c = 0; c < LABELS.length; c++) maxDiff = Math.max(maxDiff, Math.abs(ts[c]! - probs[i]![c]!));
  });
  const metrics = evaluate(LABELS, evalItems.map((e) => e.label), probs);
  const contentHash = writeAll({
    ...metrics,
    dev_macro_f1: devMetrics!.macro_f1,
    best_epochs: bestEpochs,
    train_rows: trainItems.length,
    eval_rows: evalItems.length,
    eval_file: input.validFile ? path.basename(input.validFile) : 'held-out 10% of train',
    params: { ...options, ensemble: input.ensemble ?? 1, max_length: maxLength },
    history: histories,
  });
  return {
    outDir: input.outDir,
    contentHash,
    runId,
    metrics,
    devMetrics: devMetrics!,
    history: histories,
    bestEpochs,
    datasetHash,
    trainRows: trainItems.length,
    seconds: (Date.now() - t0) / 1000,
    exportMaxAbsDiff: maxDiff,
  };
}
