// Manifest -> train -> calibrate -> export -> verify -> package with a model card. The reported
// metrics are computed by running the exported package through the same InferenceEngine the
// scorers use, so they describe what is served.
import { createHash, randomUUID } from 'node:crypto';
import path from 'node:path';
import { PROJECT_ROOT } from '../../platform/config.js';
import { UlasanError } from '../../platform/errors.js';
import { InferenceEngine } from '../core/engine.js';
import { SENTIMENTS, writePackage } from '../core/package.js';
import { bertTokenizerJson, readVocabTxt, TextTokenizer } from '../core/tokenizer.js';
import { computeFeatures, FEATURE_SET_VERSION } from '../features/features.js';
import {
  flattenNames,
  maskedModelText,
  NAME_MASKING_VERSION,
  NAME_PLACEHOLDER,
  readNameList,
  SHIPPED_NAMES_FILE,
  type NameMasker,
} from '../features/names.js';
import {
  DRIFT_REFERENCE_FILE,
  monitoredProfile,
  monitoredRecord,
  type MonitoredProfile,
  type PackageDriftReference,
} from '../features/monitored.js';
import { calibrate, type Calibration } from './calibration.js';
import {
  agreement,
  argmax,
  soften,
  openTeacher,
  type Teacher,
  type Agreement,
  type DistillationCard,
  type DistillInput,
} from './distill.js';
import { counterfactualCopies } from './counterfactual.js';
import { mergeEnsemble, mixLinear } from './ensemble.js';
import { enginePredictor, predictProbs, reportOf, type EvaluationReport } from './evaluate.js';
import { measureInvariance, type InvarianceReport } from './invariance.js';
import { exportCompactOnnx } from './export.js';
import { predictProba, type CompactParams, type HashSpec } from './fasttext.js';
import {
  adHocManifest,
  assemble,
  leakageKeys,
  manifestNameMasking,
  normaliseFor,
  readEvaluationSets,
  type FeedbackRow,
  type Manifest,
  type ManifestNameMasking,
  type AssembledData,
} from './manifest.js';
import { evaluate, type EvalMetrics } from './metrics.js';
import {
  DEFAULT_TRAIN_OPTIONS,
  encodeSet,
  predictSet,
  stratifiedSplit,
  trainCompact,
  manifestModelOptions,
  type EncodedSet,
  type EpochRecord,
  type TrainOptions,
  type TrainResult,
} from './train.js';

export interface PipelineInput {
  manifest: Manifest;
  /** Where the manifest's relative paths resolve (ULASAN_DATA_DIR). */
  dataDir: string;
  /** Labelled feedback, merged by the manifest's feedback policy. */
  feedback?: FeedbackRow[];
  /** Keep only the first N assembled training rows (quick launcher runs in tests). */
  limit?: number;
  vocabFile: string;
  outDir: string;
  name: string;
  version: string;
  runId?: string;
  maxLength?: number;
  /** Models averaged into one (same hashing, different seeds). */
  ensemble?: number;
  /** Distil a teacher package on unlabeled texts (its soft labels) next to the manifest's labelled rows. */
  distill?: DistillInput;
  options?: Partial<TrainOptions>;
  /** Names of the invariance measurement (default: the manifest's masking list, else the shipped list). */
  invarianceNames?: string[];
  log?: (msg: string) => void;
  /** After every epoch of every member: epochs done so far out of the most there can be. */
  onProgress?: (done: number, total: number) => void;
}

export interface PipelineResult {
  outDir: string;
  contentHash: string;
  runId: string;
  /** Pooled over every evaluation set (the gates' numbers). */
  metrics: EvalMetrics;
  evaluation: EvaluationReport[];
  devMetrics: EvalMetrics;
  history: EpochRecord[][];
  bestEpochs: number[];
  datasetHash: string;
  trainRows: number;
  seconds: number;
  /** Largest |p_onnx - p_ts| over the evaluation rows: the export's fidelity. */
  exportMaxAbsDiff: number;
  /** A distilled student's agreement with its teacher per evaluation set and over all (`all`). */
  teacherAgreement?: Record<string, Agreement>;
}

const LABELS = SENTIMENTS as readonly string[];

const shippedNames = (): string[] => flattenNames(readNameList(SHIPPED_NAMES_FILE));

/** Pipeline input for plain files: every `train` file a source of weight 1, `valid` files held out. */
export function filesInput(trainFiles: string[], validFiles: string[]): Pick<PipelineInput, 'manifest' | 'dataDir'> {
  return { manifest: adHocManifest(trainFiles, validFiles), dataDir: process.cwd() };
}

/** The IndoLEM IndoBERT uncased WordPiece vocabulary: the compact model tokenizes as IndoBERT would. */
export const DEFAULT_VOCAB = path.resolve(PROJECT_ROOT, '..', 'shared', 'fixtures', 'indobert-vocab', 'vocab.txt');

type EncodeItem = { text: string; label: number; weight?: number; target?: number[] };

interface Encoder {
  tokenizer: TextTokenizer;
  spec: HashSpec;
  /** As the package scores a text (its name masking applied). */
  encode(items: EncodeItem[]): EncodedSet;
  /** As the model is trained, early-stopped and calibrated: unmasked when the package masks at `serve` only. */
  encodeTraining(items: EncodeItem[]): EncodedSet;
}

function encoderFor(
  vocab: string[],
  maxLength: number,
  options: TrainOptions,
  masking: ManifestNameMasking | null,
): Encoder {
  const tokenizer = new TextTokenizer(bertTokenizerJson(vocab), maxLength);
  const spec = {
    vocabSize: tokenizer.vocabSize,
    bigramBuckets: options.bigramBuckets,
    trigramBuckets: options.trigramBuckets,
  };
  const encodeWith =
    (names: NameMasker | null) =>
    (items: EncodeItem[]): EncodedSet =>
      encodeSet(
        items.map((i) => tokenizer.encode(maskedModelText(i.text, names))),
        items.map((i) => i.label),
        spec,
        items.map((i) => i.weight ?? 1),
        items.some((i) => i.target) ? items.map((i) => i.target ?? null) : undefined,
      );
  const served = masking?.masker ?? null;
  const trained = masking?.at === 'train-and-serve' ? served : null;
  return { tokenizer, spec, encode: encodeWith(served), encodeTraining: encodeWith(trained) };
}

/** A training row: a hard label, or (distilled) the teacher's probabilities with their top label. */
type Item = { text: string; label: number; weight: number; target?: number[] };

function labelledItems(data: AssembledData, limit?: number): Item[] {
  const items = data.rows.map((r) => ({ text: r.text, label: LABELS.indexOf(r.label), weight: r.weight }));
  return limit !== undefined ? items.slice(0, limit) : items;
}

function checkTrainingSize(items: Item[]): Item[] {
  const classes = new Set(items.map((t) => t.label)).size;
  if (items.length < 10 || classes < 2) {
    throw new UlasanError('DATA_INVALID', `training set too small: ${items.length} rows, ${classes} classes`);
  }
  return items;
}

/**
 * The unlabeled texts as soft-labelled rows: one per normalised text, none that is in an evaluation
 * or leakage set (the teacher's view of a held-out text must not leak into the student) and none
 * that a labelled set already has (gold wins).
 */
async function distilledItems(
  input: PipelineInput,
  teacher: Teacher,
  labelled: AssembledData['rows'],
): Promise<{ items: Item[]; card: DistillationCard['unlabeled'] }> {
  const d = input.distill!;
  const norm = normaliseFor(input.manifest);
  const held = leakageKeys(input.manifest, input.dataDir, norm);
  const gold = new Set(labelled.map((r) => r.key));
  const seen = new Set<string>();
  const texts: string[] = [];
  let excludedEvaluation = 0;
  let excludedLabelled = 0;
  for (const text of d.texts) {
    const key = norm(text);
    if (!key || seen.has(key)) continue;
    seen.add(key);
    if (held.has(key)) excludedEvaluation += 1;
    else if (gold.has(key)) excludedLabelled += 1;
    else texts.push(text);
  }
  input.log?.(`teacher: labelling ${texts.length} unlabeled texts (${d.texts.length} read) from ${d.source}`);
  // A transformer teacher labels tens of texts a second on a CPU: say how far it is.
  const started = Date.now();
  const probs = await teacher.probs(texts, (done) =>
    input.log?.(`teacher: ${done}/${texts.length} texts labelled (${((Date.now() - started) / 1000).toFixed(0)} s)`),
  );
  const items = texts.map((text, i) => {
    const target = soften(probs[i]!, d.temperature);
    return { text, label: argmax(target), weight: d.weight, target };
  });
  const card = {
    source: d.source,
    rows: d.texts.length,
    used: texts.length,
    excluded_evaluation: excludedEvaluation,
    excluded_labelled: excludedLabelled,
  };
  return { items, card };
}

/** How the manifest's `model` trains beyond its kind: fastText members and the refit on every row. */
export interface ModelRecipe {
  fasttextMembers: number;
  refit: boolean;
}

export function modelRecipe(m: Pick<Manifest, 'model'>): ModelRecipe {
  return { fasttextMembers: m.model?.fasttext_members ?? 1, refit: m.model?.refit ?? false };
}

/** A trained model; after a refit, `early` is the early-stopped model the dev split may judge and calibrate. */
export interface ManifestModel extends TrainResult {
  early: CompactParams;
}

/**
 * The manifest's model on one split. With `refit`, early stopping on the dev split chooses the epoch
 * count, then the model is trained again on the training rows and the dev rows together for that many
 * epochs (the same schedule): the dev split's 10 % of the data is not lost to the model. The dev
 * metrics and `early` are the early-stopped model's, since the refitted one has seen the dev rows.
 */
export function trainManifestModel(
  trainSet: EncodedSet,
  devSet: EncodedSet,
  spec: HashSpec,
  o: TrainOptions,
  recipe: ModelRecipe,
  onEpoch?: (r: EpochRecord) => void,
): ManifestModel {
  const early = trainMembersOf(trainSet, devSet, spec, o, recipe.fasttextMembers, onEpoch);
  if (!recipe.refit) return { ...early, early: early.params };
  const every = concatSets(trainSet, devSet);
  const refitted = trainMembersOf(every, devSet, spec, { ...o, refitEpochs: early.bestEpoch }, recipe.fasttextMembers);
  return { ...refitted, dev: early.dev, bestEpoch: early.bestEpoch, early: early.params };
}

function concatSets(a: EncodedSet, b: EncodedSet): EncodedSet {
  const weights = a.weights || b.weights ? [...rowWeights(a), ...rowWeights(b)] : undefined;
  const targets = a.targets || b.targets ? [...rowTargets(a), ...rowTargets(b)] : undefined;
  return { rows: [...a.rows, ...b.rows], labels: [...a.labels, ...b.labels], weights, targets };
}

const rowWeights = (s: EncodedSet): number[] => s.weights ?? s.rows.map(() => 1);
const rowTargets = (s: EncodedSet): (ArrayLike<number> | null)[] => s.targets ?? s.rows.map(() => null);

/**
 * The manifest's model kind on one split, early-stopped. With `fasttextMembers` k > 1 the fastText
 * part is k models of width dim / k, each from its own seed, averaged into one of width dim
 * (mergeEnsemble) before the linear model is mixed in: the package keeps its size and graph, and the
 * part of the model that depends on the seed (initialisation, shuffling) is an average of k draws
 * instead of one. The linear model is deterministic for its rows and is trained once. k = 1 is
 * trainCompact itself.
 */
function trainMembersOf(
  trainSet: EncodedSet,
  devSet: EncodedSet,
  spec: HashSpec,
  o: TrainOptions,
  fasttextMembers: number,
  onEpoch?: (r: EpochRecord) => void,
): TrainResult {
  if (fasttextMembers <= 1) return trainCompact(trainSet, devSet, LABELS, spec, o, onEpoch);
  if (o.model === 'linear')
    throw new UlasanError('USAGE', 'model.fasttext_members needs a fastText model (kind fasttext or fasttext+linear)');
  if (o.dim % fasttextMembers !== 0)
    throw new UlasanError('USAGE', `model.fasttext_members ${fasttextMembers} must divide dim ${o.dim}`);
  const dim = o.dim / fasttextMembers;
  // Seeds 101 apart: an ensemble (pipeline `ensemble`) already uses seed + 1000 m for its members.
  const members = Array.from({ length: fasttextMembers }, (_, m) =>
    trainCompact(trainSet, devSet, LABELS, spec, { ...o, model: 'fasttext', dim, seed: o.seed + 101 * m }, onEpoch),
  );
  const fasttext = mergeEnsemble(members.map((r) => r.params));
  const linear =
    o.model === 'fasttext+linear' ? trainCompact(trainSet, devSet, LABELS, spec, { ...o, model: 'linear' }) : null;
  const params = linear ? mixLinear(fasttext, linear.params, o.linearWeight) : fasttext;
  return {
    params,
    history: [...members.flatMap((r) => r.history), ...(linear?.history ?? [])],
    bestEpoch: Math.max(...members.map((r) => r.bestEpoch)),
    dev: evaluate(LABELS, devSet.labels, predictSet(params, devSet)),
  };
}

/** Trains the ensemble members on the training rows, early-stopping on a split of them. */
function trainMembers(enc: Encoder, items: Item[], input: PipelineInput, options: TrainOptions, names: string[]) {
  const log = input.log ?? (() => undefined);
  // Early stopping and calibration look at a split of the training data only; evaluation sets stay unseen.
  const { train, held } = stratifiedSplit(items, 0.1, options.seed + 7);
  // Name copies join the training rows only: early stopping and calibration see real rows.
  const augment = input.manifest.name_masking?.augment ?? 0;
  const copies = augment > 0 ? counterfactualCopies(train, names, augment, options.seed + 11) : [];
  if (copies.length) log(`counterfactual names: ${copies.length} copies of training rows with a name written in`);
  const trainSet = enc.encodeTraining([...train, ...copies]);
  const devSet = enc.encodeTraining(held);
  log(`data: ${train.length} train, ${held.length} early-stopping dev rows`);
  const members: CompactParams[] = [];
  const earlyMembers: CompactParams[] = [];
  const histories: EpochRecord[][] = [];
  const bestEpochs: number[] = [];
  let devMetrics: EvalMetrics | null = null;
  const recipe = modelRecipe(input.manifest);
  if (recipe.refit) log(`refit: after early stopping, each model is trained again on the ${held.length} dev rows too`);
  const totalEpochs = (input.ensemble ?? 1) * recipe.fasttextMembers * options.epochs;
  let epochsDone = 0;
  for (let m = 0; m < (input.ensemble ?? 1); m++) {
    const seeded = { ...options, seed: options.seed + m * 1000 };
    const res = trainManifestModel(trainSet, devSet, enc.spec, seeded, recipe, (r) => {
      // With a progress bar the epochs show there, not as log lines under it.
      if (input.onProgress) input.onProgress(++epochsDone, totalEpochs);
      else
        log(
          `model ${m + 1} epoch ${r.epoch}: loss ${r.train_loss.toFixed(4)} dev macro-F1 ${r.dev_macro_f1.toFixed(4)}`,
        );
    });
    members.push(res.params);
    earlyMembers.push(res.early);
    histories.push(res.history);
    bestEpochs.push(res.bestEpoch);
    devMetrics = res.dev;
  }
  const early = mergeEnsemble(earlyMembers);
  return { params: mergeEnsemble(members), early, devSet, histories, bestEpochs, devMetrics: devMetrics! };
}

interface EvalSet {
  name: string;
  rows: { text: string; label: string }[];
}

/** The manifest's evaluation sets; without any, a stratified 10 % of the training rows is held out. */
function evaluationSets(input: PipelineInput, items: Item[], seed: number): { sets: EvalSet[]; train: Item[] } {
  const named = readEvaluationSets(input.manifest, input.dataDir);
  if (named.length)
    return {
      sets: named.map((s) => ({ name: s.name, rows: s.rows.map((r) => ({ text: r.text, label: r.label! })) })),
      train: items,
    };
  const { train, held } = stratifiedSplit(items, 0.1, seed + 100);
  return {
    sets: [{ name: 'held-out 10% of train', rows: held.map((h) => ({ text: h.text, label: LABELS[h.label]! })) }],
    train,
  };
}

interface Scored {
  reports: EvaluationReport[];
  /** Per evaluation set, its profile as this model scores it (the package's drift reference). */
  profiles: Record<string, MonitoredProfile>;
  pooled: EvalMetrics & { slices?: unknown };
  maxDiff: number;
  /** The served package's name invariance over every evaluation row. */
  invariance: InvarianceReport;
  /** With a teacher: its reports and its agreement with the student, per set and over all of them. */
  teacher?: { reports: EvaluationReport[]; agreement: Record<string, Agreement>; pooled: EvalMetrics };
}

/** Calls fn per set with a slicer of that set's rows out of arrays over all sets' rows (in set order). */
function eachSet(sets: EvalSet[], fn: (set: EvalSet, own: <T>(all: T[]) => T[]) => void): void {
  let at = 0;
  for (const set of sets) {
    const start = at;
    fn(set, (all) => all.slice(start, start + set.rows.length));
    at += set.rows.length;
  }
}

/** Every evaluation set through the serving engine (one pass), and the export checked against the TS model. */
async function scoreEvaluationSets(
  input: PipelineInput,
  enc: Encoder,
  params: CompactParams,
  sets: EvalSet[],
  teacher: Teacher | null,
  invarianceNames: readonly string[],
): Promise<Scored> {
  const engine = await InferenceEngine.load(input.outDir, { maxBatch: 256 });
  const all = sets.flatMap((s) => s.rows);
  let probs: number[][];
  let invariance: InvarianceReport;
  try {
    probs = await predictProbs(
      engine,
      all.map((r) => r.text),
    );
    invariance = await measureInvariance(enginePredictor(engine), all, invarianceNames);
  } finally {
    await engine.close();
  }
  const reports: EvaluationReport[] = [];
  const profiles: Record<string, MonitoredProfile> = {};
  eachSet(sets, (set, own) => {
    reports.push(reportOf(set.name, set.rows, own(probs)));
    profiles[set.name] = driftProfile(
      set.rows.map((r) => r.text),
      own(probs),
    );
  });
  const set = enc.encode(all.map((r) => ({ text: r.text, label: LABELS.indexOf(r.label) })));
  let maxDiff = 0;
  set.rows.forEach((r, i) => {
    const ts = predictProba(params, r);
    for (let c = 0; c < LABELS.length; c++) maxDiff = Math.max(maxDiff, Math.abs(ts[c]! - probs[i]![c]!));
  });
  const teacherScores = teacher ? await teacherOnSets(teacher, sets, probs) : undefined;
  return {
    reports,
    profiles,
    pooled: reportOf('all evaluation sets', all, probs),
    maxDiff,
    invariance,
    teacher: teacherScores,
  };
}

/** The teacher on the evaluation sets: its own metrics, and how often the student agrees with it. */
async function teacherOnSets(teacher: Teacher, sets: EvalSet[], student: number[][]): Promise<Scored['teacher']> {
  const all = sets.flatMap((s) => s.rows);
  const probs = await teacher.probs(all.map((r) => r.text));
  const reports: EvaluationReport[] = [];
  const agreements: Record<string, Agreement> = {};
  eachSet(sets, (set, own) => {
    reports.push(reportOf(set.name, set.rows, own(probs)));
    agreements[set.name] = agreement(own(student), own(probs));
  });
  agreements.all = agreement(student, probs);
  return { reports, agreement: agreements, pooled: reportOf('all evaluation sets', all, probs) };
}

/** What the drift processor will see of these texts when this model scores them (see monitored.ts). */
function driftProfile(texts: string[], probs: number[][]): MonitoredProfile {
  const records = texts.map((text, i) => {
    const p = probs[i]!;
    const best = p.indexOf(Math.max(...p));
    const confidence = Math.round(p[best]! * 1e6) / 1e6;
    return monitoredRecord({ features: computeFeatures(text), confidence, label: LABELS[best]! });
  });
  return monitoredProfile(records, 2000);
}

export interface ModelCard {
  manifest: Manifest;
  training: {
    rows: number;
    dataset_hash: string;
    sources: AssembledData['sources'];
    evaluation_sets: AssembledData['evaluation'];
  };
  evaluation: Record<string, EvaluationReport>;
  calibration: Calibration;
  export_max_abs_diff: number;
  /** The package's drift reference: its file and the rows profiled per evaluation set. */
  drift_reference: { file: string; sources: Record<string, number> };
  /** Name invariance of the served package on every evaluation row (see invarianceCard). */
  invariance: ReturnType<typeof invarianceCard>;
  /** A distilled student's teacher, unlabeled data and agreement (absent otherwise). */
  distillation?: DistillationCard & { teacher_evaluation: Record<string, EvaluationReport> };
}

/** The card's invariance summary: the neutral prefix's figures, the worst, and each name's two numbers. */
function invarianceCard(r: InvarianceReport, list: string) {
  return {
    names_list: list,
    names: r.names.length,
    rows: r.rows,
    neutral: r.neutral,
    worst_share_shift: r.worst_share_shift,
    worst_accuracy_drop: r.worst_accuracy_drop,
    per_name: r.names.map((n) => ({
      name: n.name,
      max_share_shift: n.max_share_shift,
      accuracy_drop: n.accuracy_drop,
    })),
  };
}

/** ulasan.json's record of the package's name masking (its copy of the list is NAMES_FILE). */
function nameMaskingMeta(m: ManifestNameMasking) {
  return {
    version: NAME_MASKING_VERSION,
    file: NAMES_FILE,
    placeholder: NAME_PLACEHOLDER,
    names: m.masker.size,
    sha256: m.sha256,
  };
}

const NAMES_FILE = 'names.json';

function distillationCard(
  d: DistillInput,
  teacher: Teacher,
  unlabeled: DistillationCard['unlabeled'],
  scored: Scored,
): NonNullable<ModelCard['distillation']> {
  return {
    teacher: teacher.card,
    unlabeled,
    temperature: d.temperature,
    weight: d.weight,
    agreement: scored.teacher!.agreement,
    teacher_evaluation: Object.fromEntries(scored.teacher!.reports.map((r) => [r.file, r])),
  };
}

/** Flat metrics of a distilled student (the launcher's teacher gate reads `teacher_agreement`). */
function teacherMetrics(scored: Scored): Record<string, number> {
  const t = scored.teacher;
  if (!t) return {};
  return {
    teacher_agreement: t.agreement.all!.top_label,
    teacher_accuracy: t.pooled.accuracy,
    teacher_macro_f1: t.pooled.macro_f1,
    ...Object.fromEntries(
      t.reports.flatMap((r) => [
        [`${r.file}_teacher_agreement`, t.agreement[r.file]!.top_label],
        [`${r.file}_teacher_macro_f1`, r.macro_f1],
      ]),
    ),
  };
}

export async function runPipeline(input: PipelineInput): Promise<PipelineResult> {
  // A distillation's teacher is loaded (and its package hashed) once, for the labels and the report.
  const teacher = input.distill ? await openTeacher(input.distill.teacherDir) : null;
  try {
    return await trainPackage(input, teacher);
  } finally {
    await teacher?.close();
  }
}

async function trainPackage(input: PipelineInput, teacher: Teacher | null): Promise<PipelineResult> {
  const t0 = Date.now();
  const log = input.log ?? (() => undefined);
  const options = trainOptions(input);
  const prep = await prepareData(input, options, teacher);
  const { enc, items } = prep;
  const trained = trainMembers(enc, items, input, options, prep.masking?.names ?? []);
  // The temperature is fitted on the early-stopped model, which has not seen the dev rows (a refit has).
  const cal = calibrate(trained.early, trained.devSet, options.offsets, trained.params);
  log(
    `calibration: temperature ${cal.calibration.temperature.toFixed(3)}, ` +
      `offsets ${JSON.stringify(cal.calibration.offsets)}`,
  );
  const runId = input.runId ?? randomUUID();
  const writeAll = packageWriter(input, prep, options, cal.params, runId);
  writeAll({});

  const scored = await scoreEvaluationSets(input, enc, cal.params, prep.split.sets, teacher, prep.invarianceNames);
  log(
    `name invariance (${prep.invarianceNames.length} names, ${scored.invariance.rows} evaluation rows): ` +
      `worst share shift ${scored.invariance.worst_share_shift.value.toFixed(4)}, ` +
      `worst accuracy drop ${scored.invariance.worst_accuracy_drop.value.toFixed(4)}`,
  );
  const drift: PackageDriftReference = {
    format: 1,
    feature_set_version: FEATURE_SET_VERSION,
    sources: scored.profiles,
  };
  const { accuracy, macro_f1, per_class, confusion_matrix, ece, n } = scored.pooled;
  const metrics = { accuracy, macro_f1, per_class, confusion_matrix, ece, n };
  const packageMetrics = { ...metrics, ...flatMetrics(input, prep, options, scored, trained) };
  const contentHash = writeAll(packageMetrics, modelCard(input, prep, cal.calibration, scored, teacher), drift);
  return {
    outDir: input.outDir,
    contentHash,
    runId,
    metrics,
    evaluation: scored.reports,
    devMetrics: trained.devMetrics,
    history: trained.histories,
    bestEpochs: trained.bestEpochs,
    datasetHash: prep.datasetHash,
    trainRows: items.length,
    seconds: (Date.now() - t0) / 1000,
    exportMaxAbsDiff: scored.maxDiff,
    teacherAgreement: scored.teacher?.agreement,
  };
}

/** The training options: defaults, then the manifest's model, then the caller's; an ensemble is fastText's. */
function trainOptions(input: PipelineInput): TrainOptions {
  // A student copies its teacher's decisions: the labelled model's tuned offsets do not apply.
  const offsets =
    input.options?.offsets ??
    (input.distill ? DEFAULT_TRAIN_OPTIONS.offsets : input.manifest.decision_offsets) ??
    DEFAULT_TRAIN_OPTIONS.offsets;
  const options: TrainOptions = {
    ...DEFAULT_TRAIN_OPTIONS,
    ...manifestModelOptions(input.manifest),
    ...input.options,
    offsets,
  };
  if ((input.ensemble ?? 1) > 1 && options.model !== 'fasttext')
    throw new UlasanError(
      'USAGE',
      `an ensemble takes fastText members only (the ${options.model} model is deterministic)`,
    );
  return options;
}

type Prepared = Awaited<ReturnType<typeof prepareData>>;

/** The encoder, the assembled (and distilled) rows, their split into training and evaluation, and their hash. */
async function prepareData(input: PipelineInput, options: TrainOptions, teacher: Teacher | null) {
  const maxLength = input.maxLength ?? 128;
  const vocab = readVocabTxt(input.vocabFile);
  const masking = manifestNameMasking(input.manifest, input.dataDir);
  const enc = encoderFor(vocab, maxLength, options, masking);
  const invarianceNames = input.invarianceNames ?? masking?.names ?? shippedNames();
  const data = assemble(input.manifest, input.dataDir, input.feedback ?? []);
  // Only the labelled rows actually trained on take precedence over the teacher (see `limit`).
  const trainedRows = input.limit !== undefined ? data.rows.slice(0, input.limit) : data.rows;
  const distilled = teacher ? await distilledItems(input, teacher, trainedRows) : null;
  const pool = checkTrainingSize([...labelledItems(data, input.limit), ...(distilled?.items ?? [])]);
  const split = evaluationSets(input, pool, options.seed);
  // A student's data is its labelled rows plus what its teacher said about the unlabeled ones.
  const datasetHash = distilled
    ? createHash('sha256')
        .update(data.hash)
        .update(teacher!.card.content_hash)
        .update(JSON.stringify(distilled.items.map((i) => [i.text, i.target, i.weight])))
        .digest('hex')
    : data.hash;
  const items = split.train;
  input.log?.(
    `manifest "${input.manifest.name}": ${items.length} training rows from ${[
      ...data.sources.map((s) => `${s.name} ${s.kept}`),
      ...(distilled ? [`the teacher's labels on ${distilled.items.length} unlabeled texts`] : []),
    ].join(', ')}`,
  );
  return { maxLength, vocab, masking, enc, invarianceNames, data, distilled, split, datasetHash, items };
}

type PackageWriter = (metrics: Record<string, unknown>, card?: ModelCard, drift?: PackageDriftReference) => string;

/** Writes the package (the ONNX export, tokenizer, manifest, names, meta); returns its content hash. */
function packageWriter(
  input: PipelineInput,
  prep: Prepared,
  options: TrainOptions,
  params: CompactParams,
  runId: string,
): PackageWriter {
  const { masking, enc } = prep;
  const meta = {
    name: input.name,
    version: input.version,
    family: `compact-${options.model.replace('+', '-')}`,
    training_run_id: runId,
    metrics: {},
    dataset_hash: prep.datasetHash,
    feature_set_version: FEATURE_SET_VERSION,
    created_at: new Date().toISOString(),
    preprocessing: 'clean-text' as const,
    ...(masking ? { name_masking: nameMaskingMeta(masking) } : {}),
    max_length: prep.maxLength,
  };
  const onnx = exportCompactOnnx(params);
  return (metrics, card, drift) =>
    writePackage(input.outDir, {
      onnx,
      tokenizerJson: enc.tokenizer.json,
      vocabTxt: prep.vocab,
      labels: [...LABELS],
      meta: { ...meta, metrics, ...(card ? { model_card: card } : {}) },
      extraConfig: { ulasan_compact: { dim: params.dim, ...enc.spec, ensemble: input.ensemble ?? 1 } },
      extraFiles: {
        'data-manifest.json': JSON.stringify(input.manifest, null, 2) + '\n',
        ...(masking ? { [NAMES_FILE]: masking.text } : {}),
        ...(drift ? { [DRIFT_REFERENCE_FILE]: JSON.stringify(drift) + '\n' } : {}),
      },
    });
}

function modelCard(
  input: PipelineInput,
  prep: Prepared,
  calibration: Calibration,
  scored: Scored,
  teacher: Teacher | null,
): ModelCard {
  const { data, distilled } = prep;
  return {
    manifest: input.manifest,
    training: {
      rows: prep.items.length,
      dataset_hash: prep.datasetHash,
      sources: data.sources,
      evaluation_sets: data.evaluation,
    },
    evaluation: Object.fromEntries(scored.reports.map((r) => [r.file, r])),
    calibration,
    export_max_abs_diff: scored.maxDiff,
    invariance: invarianceCard(
      scored.invariance,
      input.invarianceNames ? 'given' : (input.manifest.name_masking?.names ?? 'shipped'),
    ),
    drift_reference: {
      file: DRIFT_REFERENCE_FILE,
      sources: Object.fromEntries(Object.entries(scored.profiles).map(([k, p]) => [k, p.rows])),
    },
    ...(distilled && scored.teacher
      ? { distillation: distillationCard(input.distill!, teacher!, distilled.card, scored) }
      : {}),
  };
}

/** ulasan.json's metrics after the pooled ones: per set, the teacher's, the gates' and the run's own. */
function flatMetrics(
  input: PipelineInput,
  prep: Prepared,
  options: TrainOptions,
  scored: Scored,
  trained: ReturnType<typeof trainMembers>,
): Record<string, unknown> {
  return {
    ...Object.fromEntries(
      scored.reports.flatMap((r) => [
        [`${r.file}_accuracy`, r.accuracy],
        [`${r.file}_macro_f1`, r.macro_f1],
      ]),
    ),
    ...teacherMetrics(scored),
    // The promotion gate reads these two (fractions: 0.02 is 2 points).
    invariance_worst_share_shift: scored.invariance.worst_share_shift.value,
    invariance_worst_accuracy_drop: scored.invariance.worst_accuracy_drop.value,
    dev_macro_f1: trained.devMetrics.macro_f1,
    best_epochs: trained.bestEpochs,
    train_rows: prep.items.length,
    eval_rows: scored.pooled.n,
    eval_file: scored.reports.map((r) => r.file).join(', '),
    params: { ...options, ensemble: input.ensemble ?? 1, max_length: prep.maxLength },
    history: trained.histories,
  };
}
