// What the fine-tune job's package is measured with after finetune.py wrote it: the serving engine
// (the scorer's tokenizer and onnxruntime-node, not Python's) on the launcher's validation rows, with
// the evaluation code the compact trainer and the gates use, and on the export check's texts against
// the PyTorch logits finetune.py recorded. The metrics go into the package's ulasan.json.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { UlasanError } from '../../../platform/errors.js';
import { InferenceEngine } from '../../core/engine.js';
import { evaluateRows, readEvaluationFile, type EvaluationReport } from '../evaluate.js';

/** What finetune.py leaves for the served-engine check (ULASAN_HF_CHECK_FILE). */
export interface ExportCheckFile {
  texts: string[];
  pytorch_logits: number[][];
}

export interface ServedCheck {
  texts: number;
  max_abs_logit_diff: number;
  top_label_agreement: number;
}

const argmax = (row: ArrayLike<number>): number => {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i]! > row[best]!) best = i;
  return best;
};

/** The served engine's logits on the check texts against PyTorch's (same texts, its own tokenizer). */
export async function servedCheck(engine: InferenceEngine, check: ExportCheckFile): Promise<ServedCheck> {
  if (check.texts.length === 0 || check.texts.length !== check.pytorch_logits.length) {
    throw new UlasanError('DATA_INVALID', 'the export check file has no texts or a logit row per text is missing');
  }
  let maxDiff = 0;
  let agree = 0;
  for (let i = 0; i < check.texts.length; i += 64) {
    const texts = check.texts.slice(i, i + 64);
    const logits = await engine.runBatch(engine.tokenizer.pad(texts.map((t) => engine.encode(t))));
    logits.forEach((row, k) => {
      const ref = check.pytorch_logits[i + k]!;
      ref.forEach((v, c) => (maxDiff = Math.max(maxDiff, Math.abs(v - row[c]!))));
      if (argmax(row) === argmax(ref)) agree += 1;
    });
  }
  return { texts: check.texts.length, max_abs_logit_diff: maxDiff, top_label_agreement: agree / check.texts.length };
}

interface Meta {
  metrics: Record<string, unknown>;
  model_card?: Record<string, unknown> & { export?: Record<string, unknown> };
}

/** Gate metrics (as the compact trainer writes them) and the served-engine check, into ulasan.json. */
export async function measurePackage(
  dir: string,
  validFile: string,
  checkFile: string,
  minAgreement: number,
): Promise<{ report: EvaluationReport; served: ServedCheck }> {
  const engine = await InferenceEngine.load(dir, { maxBatch: 256 });
  try {
    const file = path.basename(validFile);
    const report = await evaluateRows(engine, file, readEvaluationFile(validFile));
    const served = await servedCheck(engine, JSON.parse(readFileSync(checkFile, 'utf8')) as ExportCheckFile);
    if (!(served.top_label_agreement >= minAgreement)) {
      throw new UlasanError(
        'INFERENCE_FAILED',
        `the served package agrees with PyTorch on ${served.top_label_agreement.toFixed(4)} of the top labels ` +
          `(< ${minAgreement}) over ${served.texts} texts: the scorer's tokenizer or runtime differs from training`,
      );
    }
    const metaFile = path.join(dir, 'ulasan.json');
    const meta = JSON.parse(readFileSync(metaFile, 'utf8')) as Meta;
    const { accuracy, macro_f1, per_class, confusion_matrix, ece, n } = report;
    meta.metrics = {
      accuracy,
      macro_f1,
      per_class,
      confusion_matrix,
      ece,
      n,
      [`${file}_accuracy`]: accuracy,
      [`${file}_macro_f1`]: macro_f1,
      eval_rows: n,
      eval_file: file,
      ...meta.metrics,
      served_top_label_agreement: served.top_label_agreement,
      served_max_abs_logit_diff: served.max_abs_logit_diff,
    };
    meta.model_card = {
      ...meta.model_card,
      evaluation: { [file]: report },
      export: { ...meta.model_card?.export, served_engine: served },
    };
    writeFileSync(metaFile, JSON.stringify(meta, null, 2) + '\n');
    return { report, served };
  } finally {
    await engine.close();
  }
}
