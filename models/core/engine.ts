// Batched inference on onnxruntime-node, one code path for Hugging Face BERT-family exports and the
// compact model. Input and output names come from the session, and only the inputs the session
// declares are fed (a DistilBERT export has no token_type_ids). Texts are sorted by token length and
// cut into runs so each pads only to its own longest row: a transformer's runs are planned to waste
// the least padding for their fixed cost (batching.ts); the compact model, whose runs cost more than
// its padding, takes the sorted order in runs of maxBatch.
import * as ort from 'onnxruntime-node';
import path from 'node:path';
import { UlasanError } from '../../platform/errors.js';
import type { Sentiment } from '../../schemas/types.generated.js';
import { modelInputText } from '../features/features.js';
import { AppNameCache, NAME_MASKING_VERSION, NameMasker, nameMaskerOf, readNameList } from '../features/names.js';
import { chunkBatches, planBatches } from './batching.js';
import { loadPackage, type ModelPackage } from './package.js';
import { TextTokenizer, type EncodedBatch } from './tokenizer.js';

export interface EngineOptions {
  /** onnxruntime intra-op threads (0 = onnxruntime's default: one per core). */
  intraOpThreads?: number;
  /** Rows per ONNX run. */
  maxBatch?: number;
  /** Sort by length and batch similar lengths together (default on). */
  bucketing?: boolean;
  /**
   * How sorted texts are cut into runs: `plan` (least padding for the run cost; transformers' default)
   * or `chunks` of maxBatch (the compact model's default).
   */
  runs?: 'plan' | 'chunks';
  /** Most padded tokens per run when planning (bounds a run's memory). */
  maxTokens?: number;
  /**
   * A run's fixed cost in tokens when planning. 64 was the fastest of 16/64/128/256 for BERT-base on 2
   * cores (bench:bert's engine workload): larger runs keep the GEMMs efficient for a little padding.
   */
  runCostTokens?: number;
  /** Instrumentation: called after each ONNX run with its shape and its rows' real token counts. */
  onRun?: (run: RunInfo) => void;
}

export interface RunInfo {
  rows: number;
  seqLen: number;
  /** Real (unpadded) token count per row. */
  lengths: number[];
  ms: number;
}

export interface Prediction {
  /** The model's own label name for the top class. */
  label: string;
  sentiment: Sentiment | null;
  confidence: number;
  /** Probability per label name, in logit order. */
  probabilities: Record<string, number>;
  modelName: string;
  modelVersion: string;
}

export function softmax(row: ArrayLike<number>): number[] {
  let m = -Infinity;
  for (let i = 0; i < row.length; i++) m = Math.max(m, row[i]!);
  const e = Array.from(row, (v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

export class InferenceEngine {
  readonly inputNames: readonly string[];
  readonly outputName: string;
  private readonly maxBatch: number;
  private readonly bucketing: boolean;
  private readonly runs: 'plan' | 'chunks';
  /** The package's name masker (null: the package does not mask names). */
  readonly names: NameMasker | null;
  private readonly appNames = new AppNameCache();

  private constructor(
    readonly pkg: ModelPackage,
    readonly tokenizer: TextTokenizer,
    private readonly session: ort.InferenceSession,
    private readonly options: EngineOptions,
  ) {
    this.inputNames = session.inputNames;
    this.outputName = session.outputNames.includes('logits') ? 'logits' : session.outputNames[0]!;
    this.maxBatch = options.maxBatch ?? 64;
    this.bucketing = options.bucketing ?? true;
    this.runs = options.runs ?? (pkg.meta.family.startsWith('compact-') ? 'chunks' : 'plan');
    this.names = packageNameMasker(pkg);
    const known = new Set(['input_ids', 'attention_mask', 'token_type_ids']);
    const unknown = this.inputNames.filter((n) => !known.has(n));
    if (unknown.length)
      throw new UlasanError('MODEL_LOAD_FAILED', `model input(s) ${unknown.join(', ')} are not BERT-style text inputs`);
  }

  static async load(dir: string, options: EngineOptions = {}): Promise<InferenceEngine> {
    const pkg = loadPackage(dir);
    const tokenizer = TextTokenizer.fromDir(pkg.dir, pkg.meta.max_length);
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(path.join(pkg.dir, 'model.onnx'), {
        intraOpNumThreads: options.intraOpThreads ?? 0,
        interOpNumThreads: 1,
        graphOptimizationLevel: 'all',
        executionProviders: ['cpu'],
      });
    } catch (err) {
      throw new UlasanError(
        'MODEL_LOAD_FAILED',
        `onnxruntime could not load ${pkg.dir}/model.onnx: ${(err as Error).message}`,
        { cause: err },
      );
    }
    return new InferenceEngine(pkg, tokenizer, session, options);
  }

  get name(): string {
    return this.pkg.meta.name;
  }

  get version(): string {
    return this.pkg.meta.version;
  }

  /**
   * The text the model sees, with the package's preprocessing (`cleaned`: already-computed clean_text;
   * `appId`: the review's app, whose own names are masked too when the package masks names).
   */
  modelText(text: string, cleaned?: string, appId?: string | null): string {
    if (this.pkg.meta.preprocessing !== 'clean-text') return text;
    const clean = cleaned ?? modelInputText(text.toWellFormed());
    return this.names ? this.names.mask(clean, this.appNames.get(appId)) : clean;
  }

  /** Token ids for one text, with the package's preprocessing (see modelText). */
  encode(text: string, cleaned?: string, appId?: string | null): number[] {
    return this.tokenizer.encode(this.modelText(text, cleaned, appId));
  }

  /** Raw logits for already-padded ids (benchmarks and parity tests). */
  async runBatch(batch: EncodedBatch): Promise<Float32Array[]> {
    const dims = [batch.batch, batch.seqLen];
    const all: Record<string, BigInt64Array> = {
      input_ids: batch.inputIds,
      attention_mask: batch.attentionMask,
      token_type_ids: batch.tokenTypeIds,
    };
    const feeds: Record<string, ort.Tensor> = {};
    for (const name of this.inputNames) feeds[name] = new ort.Tensor('int64', all[name]!, dims);
    let out: ort.InferenceSession.OnnxValueMapType;
    try {
      out = await this.session.run(feeds);
    } catch (err) {
      throw new UlasanError('INFERENCE_FAILED', `onnxruntime run failed: ${(err as Error).message}`, { cause: err });
    }
    const t = out[this.outputName]!;
    const data = t.data as Float32Array;
    const width = Number(t.dims[t.dims.length - 1] ?? 1);
    return Array.from({ length: batch.batch }, (_, i) => data.slice(i * width, (i + 1) * width));
  }

  toPrediction(logits: Float32Array): Prediction {
    const labels = this.pkg.labels;
    // A single logit (binary head / cross-encoder) is a sigmoid score for the one label.
    const probs = logits.length === 1 ? [1 / (1 + Math.exp(-logits[0]!))] : softmax(logits);
    let best = 0;
    for (let i = 1; i < probs.length; i++) if (probs[i]! > probs[best]!) best = i;
    return {
      label: labels[best] ?? `LABEL_${best}`,
      sentiment: this.pkg.sentiments[best] ?? null,
      confidence: probs[best]!,
      probabilities: Object.fromEntries(probs.map((p, i) => [labels[i] ?? `LABEL_${i}`, p])),
      modelName: this.name,
      modelVersion: this.version,
    };
  }

  /**
   * Predicts every text, in input order. Empty or whitespace-only text is an INVALID_INPUT error
   * naming its index (nothing to score); any other string gets a prediction, truncated to the
   * package's max_length tokens.
   */
  async predict(
    texts: readonly string[],
    options: { cleaned?: readonly string[]; appIds?: readonly (string | null | undefined)[] } = {},
  ): Promise<Prediction[]> {
    texts.forEach((t, i) => {
      if (typeof t !== 'string') throw new UlasanError('INVALID_INPUT', `text ${i} is not a string`);
      if (t.trim() === '')
        throw new UlasanError('INVALID_INPUT', `text ${i} is empty or whitespace only`, { details: { index: i } });
    });
    // The scorer computes clean_text for the feature store anyway; reusing it saves a second pass.
    return this.predictEncoded(texts.map((t, i) => this.encode(t, options.cleaned?.[i], options.appIds?.[i])));
  }

  /** Predicts already-encoded rows (ids from encode()), in input order. */
  async predictEncoded(encoded: readonly number[][]): Promise<Prediction[]> {
    const out = new Array<Prediction>(encoded.length);
    for (const idx of this.plan(encoded.map((e) => e.length))) {
      const started = performance.now();
      const batch = this.tokenizer.pad(idx.map((i) => encoded[i]!));
      const logits = await this.runBatch(batch);
      idx.forEach((i, k) => (out[i] = this.toPrediction(logits[k]!)));
      this.options.onRun?.({
        rows: batch.batch,
        seqLen: batch.seqLen,
        lengths: idx.map((i) => encoded[i]!.length),
        ms: performance.now() - started,
      });
    }
    return out;
  }

  /** The runs for texts of these token lengths (indices into them). */
  plan(lengths: readonly number[]): number[][] {
    if (!this.bucketing || this.runs === 'chunks') return chunkBatches(lengths, this.maxBatch, this.bucketing);
    return planBatches(lengths, {
      maxBatch: this.maxBatch,
      maxTokens: this.options.maxTokens ?? 8192,
      runCostTokens: this.options.runCostTokens ?? 64,
    });
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}

/** The masker a package's ulasan.json asks for, from the package's own copy of the name list. */
export function packageNameMasker(pkg: ModelPackage): NameMasker | null {
  const m = pkg.meta.name_masking;
  if (!m) return null;
  if (m.version > NAME_MASKING_VERSION)
    throw new UlasanError(
      'MODEL_LOAD_FAILED',
      `${pkg.dir} masks names with rules version ${m.version}; this Ulasan knows up to ${NAME_MASKING_VERSION}`,
    );
  const file = path.join(pkg.dir, m.file);
  try {
    return nameMaskerOf(readNameList(file), m.placeholder, m.version);
  } catch (err) {
    throw new UlasanError('MODEL_LOAD_FAILED', `${pkg.dir}: name masking: ${(err as Error).message}`, { cause: err });
  }
}
