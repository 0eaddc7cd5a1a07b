// A training job of controlled quality for the gate's tests (the launcher's job contract,
// models/trainer/job.ts): it takes a real package and writes one whose predictions on the
// ULASAN_JOB_VALID rows are worse (or better) by a chosen macro-F1 difference, so a test knows what
// the gate should decide instead of hoping training noise lands there. The package's graph is the
// real one with an offset added to the neutral logit (classifier.bias): rows near the neutral
// boundary flip, the larger the offset the more, and a larger offset flips a superset of the rows
// a smaller one flips. The offset is the smallest one whose difference is closest to the target.
//
//   node --import tsx test/gate-job.ts --plan plan.json
//   plan.json  {"from": "<package dir>", "macro_f1_delta": -0.008,
//               "invariance": {"worst_share_shift": 0.01, "worst_accuracy_drop": 0.004}}  (optional)
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { InferenceEngine, softmax } from '../models/core/engine.js';
import { decodeModel, encodeModel } from '../models/core/onnx-builder.js';
import { SENTIMENTS } from '../models/core/package.js';
import { predictProbs, reportOf, type LabelledText } from '../models/trainer/evaluate.js';
import { evaluate } from '../models/trainer/metrics.js';
import { readLabelledFile } from '../platform/datasets.js';

export interface ShiftPlan {
  from: string;
  macro_f1_delta: number;
  invariance?: { worst_share_shift: number; worst_accuracy_drop: number };
}

const NEUTRAL = SENTIMENTS.indexOf('neutral');

const shifted = (probs: number[][], offset: number): number[][] =>
  probs.map((p) => softmax(p.map((v, c) => Math.log(Math.max(v, 1e-30)) + (c === NEUTRAL ? offset : 0))));

/** The neutral-logit offset whose macro-F1 difference from the source is closest to `target`. */
export function offsetFor(rows: LabelledText[], probs: number[][], target: number): { offset: number; delta: number } {
  const truth = rows.map((r) => SENTIMENTS.indexOf(r.label as (typeof SENTIMENTS)[number]));
  const f1 = (o: number): number => evaluate(SENTIMENTS, truth, shifted(probs, o)).macro_f1;
  const base = f1(0);
  let best = { offset: 0, delta: 0 };
  if (target === 0) return best;
  for (let step = 1; step <= 400; step++) {
    const offset = (Math.sign(-target) * step) / 100;
    const delta = f1(offset) - base;
    if (Math.abs(delta - target) < Math.abs(best.delta - target) - 1e-12) best = { offset, delta };
  }
  return best;
}

/** Writes `from` with `offset` added to the neutral logit, and the metrics of the result on `rows`. */
export async function writeShiftedPackage(plan: ShiftPlan, rows: LabelledText[], outDir: string, runId: string) {
  const engine = await InferenceEngine.load(plan.from, { maxBatch: 256 });
  const probs = await predictProbs(
    engine,
    rows.map((r) => r.text),
  ).finally(() => engine.close());
  const { offset, delta } = offsetFor(rows, probs, plan.macro_f1_delta);
  cpSync(plan.from, outDir, { recursive: true });
  const model = decodeModel(readFileSync(path.join(plan.from, 'model.onnx')));
  const bias = model.graph!.initializer!.find((t) => t.name === 'classifier.bias')!;
  const raw = bias.rawData!;
  const values = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  values[NEUTRAL]! += offset;
  bias.rawData = new Uint8Array(values.buffer);
  writeFileSync(path.join(outDir, 'model.onnx'), encodeModel(model));
  const meta = JSON.parse(readFileSync(path.join(outDir, 'ulasan.json'), 'utf8')) as Record<string, unknown>;
  const report = reportOf('validation', rows, shifted(probs, offset));
  const { file: _file, slices: _slices, ...metrics } = report;
  const invariance = plan.invariance
    ? {
        invariance_worst_share_shift: plan.invariance.worst_share_shift,
        invariance_worst_accuracy_drop: plan.invariance.worst_accuracy_drop,
      }
    : {};
  const out = {
    ...meta,
    version: 'candidate',
    training_run_id: runId,
    metrics: { ...metrics, ...invariance, history: [] },
  };
  writeFileSync(path.join(outDir, 'ulasan.json'), JSON.stringify(out, null, 2));
  return { offset, delta, accuracy: report.accuracy, macro_f1: report.macro_f1 };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { plan: { type: 'string' } }, strict: false });
  const plan = JSON.parse(readFileSync(String(values.plan), 'utf8')) as ShiftPlan;
  const rows = readLabelledFile(process.env.ULASAN_JOB_VALID!).map((r) => ({ text: r.text, label: r.label! }));
  const r = await writeShiftedPackage(plan, rows, process.env.ULASAN_JOB_OUT!, process.env.ULASAN_JOB_RUN_ID!);
  console.log(JSON.stringify({ plan, ...r }));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
