// npm run model:quantize -- --in <hf-export-dir> --out <dir> [--reduce-range] [--texts <file>] [--limit N]
// Dynamic int8 quantization of a BERT-family ONNX package (models/core/quantize.ts), written as a new
// HF-shaped package: tokenizer, config and the rest copied, ulasan.json recording the source's hash
// and the method. With --texts (one text per line, or a labelled TSV/CSV/JSONL) it reports fp32 vs
// int8 agreement: top-label agreement, max |dp| over the probabilities and max |d logit|.
import { copyFileSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { InferenceEngine } from '../models/core/engine.js';
import { loadPackage, packageHash } from '../models/core/package.js';
import { quantizeOnnx, type QuantizeReport } from '../models/core/quantize.js';
import { readLabelledFile } from '../platform/datasets.js';
import { exitOnUsageError, parseCommandLine } from '../platform/cli.js';
import { isUlasanError, UlasanError } from '../platform/errors.js';

const USAGE =
  'usage: npm run model:quantize -- --in <package dir> --out <dir> [--reduce-range] [--texts <file>] [--limit N]';

export interface QuantizedPackage {
  outDir: string;
  report: QuantizeReport;
}

/** Writes the int8 package next to nothing else: `out` must be a new or empty directory. */
export function quantizePackage(inDir: string, outDir: string, reduceRange = false): QuantizedPackage {
  const src = loadPackage(inDir);
  const source = readFileSync(path.join(src.dir, 'model.onnx'));
  const { bytes, report } = quantizeOnnx(source, { reduceRange });
  mkdirSync(outDir, { recursive: true });
  if (readdirSync(outDir).length > 0) throw new UlasanError('USAGE', `--out ${outDir} is not empty`);
  for (const f of readdirSync(src.dir)) {
    if (f === 'model.onnx' || f === 'ulasan.json' || !statSync(path.join(src.dir, f)).isFile()) continue;
    copyFileSync(path.join(src.dir, f), path.join(outDir, f));
  }
  writeFileSync(path.join(outDir, 'model.onnx'), bytes);
  const meta = {
    ...src.meta,
    created_at: new Date().toISOString(),
    quantization: {
      method: 'dynamic-int8',
      weights: reduceRange ? 'int8 per tensor, symmetric, reduced range (7 bits)' : 'int8 per tensor, symmetric',
      activations: 'uint8 per tensor, dynamic (DynamicQuantizeLinear)',
      source_model_sha256: createHash('sha256').update(source).digest('hex'),
      source_package_hash: packageHash(src.dir),
      ...report,
    },
  };
  writeFileSync(path.join(outDir, 'ulasan.json'), JSON.stringify(meta, null, 2) + '\n');
  return { outDir, report };
}

export interface Agreement {
  texts: number;
  topLabelAgreement: number;
  maxAbsProbDiff: number;
  maxAbsLogitDiff: number;
}

/** fp32 vs int8 on the same texts, through the serving engine. */
export async function agreement(fp32Dir: string, int8Dir: string, texts: string[]): Promise<Agreement> {
  const [a, b] = await Promise.all([InferenceEngine.load(fp32Dir), InferenceEngine.load(int8Dir)]);
  try {
    const [pa, pb] = [await a.predict(texts), await b.predict(texts)];
    const [la, lb] = [await logits(a, texts), await logits(b, texts)];
    let same = 0;
    let dp = 0;
    let dl = 0;
    pa.forEach((p, i) => {
      const q = pb[i]!;
      if (p.label === q.label) same++;
      for (const k of Object.keys(p.probabilities))
        dp = Math.max(dp, Math.abs(p.probabilities[k]! - q.probabilities[k]!));
      la[i]!.forEach((v, j) => (dl = Math.max(dl, Math.abs(v - lb[i]![j]!))));
    });
    return { texts: texts.length, topLabelAgreement: same / texts.length, maxAbsProbDiff: dp, maxAbsLogitDiff: dl };
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
}

async function logits(e: InferenceEngine, texts: string[]): Promise<number[][]> {
  const out: number[][] = [];
  for (const t of texts) out.push(...(await e.runBatch(e.tokenizer.pad([e.encode(t)]))).map((r) => Array.from(r)));
  return out;
}

/** Texts of a file: a labelled data file's texts, else one per non-empty line. */
export function readTexts(file: string, limit: number): string[] {
  const texts = /\.(tsv|csv|jsonl)$/i.test(file)
    ? readLabelledFile(file).map((r) => r.text)
    : readFileSync(file, 'utf8').split('\n');
  return texts.filter((t) => t.trim() !== '').slice(0, limit);
}

async function main(): Promise<void> {
  const { values } = parseCommandLine(
    {
      options: {
        in: { type: 'string' },
        out: { type: 'string' },
        'reduce-range': { type: 'boolean', default: false },
        texts: { type: 'string' },
        limit: { type: 'string', default: '1000' },
      },
    },
    USAGE,
  );
  if (!values.in || !values.out) throw new UlasanError('USAGE', USAGE);
  const t0 = Date.now();
  const { report } = quantizePackage(path.resolve(values.in), path.resolve(values.out), values['reduce-range']);
  const mb = (n: number) => (n / 1e6).toFixed(2);
  console.log(
    `quantized ${report.quantized} MatMuls (${report.skipped} left in float: activation x activation) in ` +
      `${Date.now() - t0} ms; weights ${mb(report.weightBytesBefore)} MB -> ${mb(report.weightBytesAfter)} MB; ` +
      `package ${values.out}`,
  );
  if (values.texts) {
    const a = await agreement(values.in, values.out, readTexts(values.texts, Number(values.limit)));
    console.log(
      `fp32 vs int8 on ${a.texts} texts: top-label agreement ${(100 * a.topLabelAgreement).toFixed(2)} %, ` +
        `max |dp| ${a.maxAbsProbDiff.toExponential(2)}, max |d logit| ${a.maxAbsLogitDiff.toExponential(2)}`,
    );
  }
}

if (process.argv[1] && /model-quantize\.(ts|js)$/.test(process.argv[1])) {
  main().catch((err: unknown) => {
    exitOnUsageError('model:quantize', err);
    console.error(isUlasanError(err) ? `model:quantize: ${err.code}: ${err.message}` : err);
    process.exit(1);
  });
}
