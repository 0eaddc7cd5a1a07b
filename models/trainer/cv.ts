// npm run model:cv -- [--manifest <file>] [--folds 5] [--json <out.json>]
//                     [--invariance [--names report|shipped|<file>]] [--against <manifest>]
// k-fold cross-validation over the union of a manifest's training sources: each fold trains the
// compact model (TypeScript, same options as the build) on the other folds and predicts its own.
// Prints mean +- sd macro-F1 and accuracy per source over the folds (distinct texts); star-rated
// sources also over every row of their file (duplicates counted, as in a sample of reviews, pooled
// over the folds); the out-of-fold decision offsets that maximise the mean per-source macro-F1 (how
// the build's default offsets were chosen); and each fold model's scores on the held-out sets.
// Folds are random over rows of the union after de-duplication, so a text never sits in two folds.
// `--against` runs a second manifest on the same folds and compares the two row by row (cv-compare.ts).
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseConfig } from '../../platform/config.js';
import { exitOnUsageError, parseCommandLine } from '../../platform/cli.js';
import { isUlasanError } from '../../platform/errors.js';
import { SENTIMENTS } from '../core/package.js';
import { bertTokenizerJson, readVocabTxt, TextTokenizer } from '../core/tokenizer.js';
import { maskedModelText } from '../features/names.js';
import { counterfactualCopies } from './counterfactual.js';
import { invarianceNames } from './invariance-names.js';
import { predictProba, rng, type CompactParams, type HashSpec } from './fasttext.js';
import { formatInvariance, measureInvariance, poolInvariance, type InvarianceReport } from './invariance.js';
import { assemble, manifestNameMasking, readEvaluationSets, readManifest, type Manifest } from './manifest.js';
import { evaluate } from './metrics.js';
import { compareCv, formatComparison } from './cv-compare.js';
import { shift, starFileRows } from './cv-rows.js';
import { DEFAULT_VOCAB, modelRecipe, trainManifestModel } from './pipeline.js';
import { DEFAULT_TRAIN_OPTIONS, encodeSet, manifestModelOptions, stratifiedSplit, type EncodedSet } from './train.js';

const LABELS = SENTIMENTS as readonly string[];

interface FoldResult {
  oof: Float32Array[];
  evaluation: Record<string, number[]>;
  /** Per fold: the name invariance of that fold's model on its own (unseen) star-rated rows. */
  invariance?: InvarianceReport[];
}

interface CvOptions {
  folds: number;
  seed: number;
  /** Names for the out-of-fold invariance of star-rated sources (none: not measured). */
  invarianceNames?: readonly string[];
  /** Train only these folds (0-based; default all): folds are independent, so runs can split them. */
  onlyFolds?: readonly number[];
  log: (s: string) => void;
}

const meanSd = (v: number[]): { mean: number; sd: number } => {
  const mean = v.reduce((a, b) => a + b, 0) / Math.max(1, v.length);
  const sd = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, v.length - 1));
  return { mean, sd };
};

/** The fold model's invariance on the star-rated rows of its own fold (through the same preprocessing). */
async function foldInvariance(
  params: CompactParams,
  encodeText: (t: string) => number[],
  spec: HashSpec,
  offsets: readonly number[],
  rows: { text: string; label: string }[],
  names: readonly string[],
): Promise<InvarianceReport> {
  const predict = (texts: readonly string[]) =>
    texts.map((t) => shift(predictProba(params, encodeSet([encodeText(t)], [0], spec).rows[0]!), offsets));
  return measureInvariance(predict, rows, names);
}

export async function crossValidate(m: Manifest, dataDir: string, opts: CvOptions) {
  const { folds, seed, log } = opts;
  const setup = cvSetup(m, dataDir);
  const r = rng(seed);
  const fold = setup.data.rows.map(() => Math.floor(r() * folds));
  const result: FoldResult = { oof: new Array(setup.data.rows.length), evaluation: {}, invariance: [] };
  for (let k = 0; k < folds; k++) {
    if (opts.onlyFolds && !opts.onlyFolds.includes(k)) continue;
    const bestEpoch = await runFold(setup, fold, k, result, opts.invarianceNames);
    log(`fold ${k + 1}/${folds} done (best epoch ${bestEpoch})`);
  }
  return { data: setup.data, labels: setup.labels, fold, result };
}

/** What every fold shares: the assembled rows encoded once, the options and the held-out sets. */
type CvSetup = ReturnType<typeof cvSetup>;

function cvSetup(m: Manifest, dataDir: string) {
  const data = assemble(m, dataDir);
  const masking = manifestNameMasking(m, dataDir);
  const starSources = new Set(m.sources.filter((s) => s.label_from === 'stars').map((s) => s.name));
  const vocab = readVocabTxt(process.env.ULASAN_VOCAB ?? DEFAULT_VOCAB);
  const tokenizer = new TextTokenizer(bertTokenizerJson(vocab), 128);
  const o = {
    ...DEFAULT_TRAIN_OPTIONS,
    ...manifestModelOptions(m),
    offsets: m.decision_offsets ?? DEFAULT_TRAIN_OPTIONS.offsets,
  };
  const spec = { vocabSize: tokenizer.vocabSize, bigramBuckets: o.bigramBuckets, trigramBuckets: o.trigramBuckets };
  // As the package scores (encodeText) and as it is trained (trainText): they differ at `at: serve`.
  const encodeText = (t: string): number[] => tokenizer.encode(maskedModelText(t, masking?.masker ?? null));
  const trainMasker = masking?.at === 'train-and-serve' ? masking.masker : null;
  const trainText = (t: string): number[] => tokenizer.encode(maskedModelText(t, trainMasker));
  const ids = data.rows.map((r) => trainText(r.text));
  const servedIds = trainMasker === (masking?.masker ?? null) ? ids : data.rows.map((r) => encodeText(r.text));
  const labels = data.rows.map((r) => LABELS.indexOf(r.label));
  const evalSets = readEvaluationSets(m, dataDir).map((s) => ({
    name: s.name,
    rows: s.rows,
    enc: encodeSet(
      s.rows.map((x) => encodeText(x.text)),
      s.rows.map((x) => LABELS.indexOf(x.label!)),
      spec,
    ),
  }));
  const names = masking?.names ?? [];
  const augment = m.name_masking?.augment ?? 0;
  return {
    data,
    starSources,
    o,
    spec,
    encodeText,
    trainText,
    ids,
    servedIds,
    labels,
    evalSets,
    names,
    augment,
    recipe: modelRecipe(m),
  };
}

/** Trains fold k on the other folds and records its out-of-fold predictions and scores; its best epoch. */
async function runFold(
  s: CvSetup,
  fold: number[],
  k: number,
  result: FoldResult,
  invarianceNames: readonly string[] | undefined,
): Promise<number> {
  const { data, o, spec, ids, labels } = s;
  const idx = data.rows.map((_, i) => i).filter((i) => fold[i] !== k);
  const items = idx.map((i) => ({ i, label: labels[i]! }));
  const { train, held } = stratifiedSplit(items, 0.1, o.seed + 7);
  const pick = (xs: { i: number }[], copies: { i: number; text: string }[] = []): EncodedSet =>
    encodeSet(
      [...xs.map((x) => ids[x.i]!), ...copies.map((c) => s.trainText(c.text))],
      [...xs, ...copies].map((x) => labels[x.i]!),
      spec,
      [...xs, ...copies].map((x) => data.rows[x.i]!.weight),
    );
  // As the build does: name copies of the training rows only (pipeline.ts trainMembers).
  const trainTexts = train.map((x) => ({ i: x.i, text: data.rows[x.i]!.text }));
  const copies = counterfactualCopies(trainTexts, s.names, s.augment, o.seed + 11);
  const res = trainManifestModel(pick(train, copies), pick(held), spec, { ...o, seed: o.seed + k }, s.recipe);
  data.rows.forEach((_, i) => {
    if (fold[i] === k) result.oof[i] = predictProba(res.params, encodeSet([s.servedIds[i]!], [0], spec).rows[0]!);
  });
  for (const set of s.evalSets) {
    const probs = set.enc.rows.map((row) => shift(predictProba(res.params, row), o.offsets));
    (result.evaluation[set.name] ??= []).push(evaluate(LABELS, set.enc.labels, probs).macro_f1);
  }
  if (invarianceNames?.length) {
    const own = data.rows.filter((r, i) => fold[i] === k && s.starSources.has(r.source));
    (result.invariance ??= []).push(
      await foldInvariance(res.params, s.encodeText, spec, o.offsets, own, invarianceNames),
    );
  }
  return res.bestEpoch;
}

/** Per-source metrics of out-of-fold predictions with the given offsets: per fold, then mean +- sd. */
type Cv = Awaited<ReturnType<typeof crossValidate>>;

export function perSource(cv: Cv, folds: number, offsets: readonly number[]) {
  const out: Record<
    string,
    { macro_f1: { mean: number; sd: number }; accuracy: { mean: number; sd: number }; rows: number }
  > = {};
  for (const source of [...new Set(cv.data.rows.map((r) => r.source))]) {
    const f1: number[] = [];
    const acc: number[] = [];
    for (let k = 0; k < folds; k++) {
      const idx = cv.data.rows.map((_, i) => i).filter((i) => cv.data.rows[i]!.source === source && cv.fold[i] === k);
      if (!idx.length) continue;
      const m = evaluate(
        LABELS,
        idx.map((i) => cv.labels[i]!),
        idx.map((i) => shift(cv.result.oof[i]!, offsets)),
      );
      f1.push(m.macro_f1);
      acc.push(m.accuracy);
    }
    out[source] = {
      macro_f1: meanSd(f1),
      accuracy: meanSd(acc),
      rows: cv.data.rows.filter((r) => r.source === source).length,
    };
  }
  return out;
}

/**
 * Star-rated sources scored on every row of the file, duplicates included, each row with its own
 * stars: a sample of real reviews repeats short texts ("Good", "mantap") many times, so this is the
 * estimate comparable with a held-out sample, while per_source counts each distinct text once.
 * A row whose text left the training data (a dropped conflict, a leaked text) is not counted.
 */
export function everyRow(cv: Pick<Cv, 'data' | 'result'>, m: Manifest, dataDir: string, offsets: readonly number[]) {
  const bySource: Record<string, { labels: number[]; probs: number[][] }> = {};
  for (const src of m.sources.filter((s) => s.path && s.label_from === 'stars'))
    bySource[src.name] = { labels: [], probs: [] };
  for (const row of starFileRows(cv.data.rows, m, dataDir, (i) => cv.result.oof[i] !== undefined)) {
    bySource[row.source]!.labels.push(LABELS.indexOf(row.label));
    bySource[row.source]!.probs.push(shift(cv.result.oof[row.index]!, offsets));
  }
  return Object.fromEntries(
    Object.entries(bySource).map(([name, { labels, probs }]) => {
      const e = evaluate(LABELS, labels, probs);
      return [name, { rows: labels.length, macro_f1: e.macro_f1, accuracy: e.accuracy }];
    }),
  );
}

/**
 * Offsets (negative, neutral; positive fixed at 0) maximising the mean over labelled sources of
 * OOF macro-F1, with the accuracy of star-rated sources (app reviews) as one more term: the product
 * is judged on both.
 */
function bestOffsets(cv: Cv, sources: string[], starSources: string[]): number[] {
  const idxOf = (s: string): number[] => cv.data.rows.map((_, i) => i).filter((i) => cv.data.rows[i]!.source === s);
  const terms = [
    ...sources.map((s) => ({ idx: idxOf(s), key: 'macro_f1' as const })),
    ...starSources.map((s) => ({ idx: idxOf(s), key: 'accuracy' as const })),
  ];
  const score = (o: number[]): number =>
    terms.reduce(
      (sum, t) =>
        sum +
        evaluate(
          LABELS,
          t.idx.map((i) => cv.labels[i]!),
          t.idx.map((i) => shift(cv.result.oof[i]!, o)),
        )[t.key],
      0,
    ) / terms.length;
  let best = { o: [0, 0, 0], v: score([0, 0, 0]) };
  for (let a = -1.5; a <= 1.5001; a += 0.1) {
    for (let b = -1.5; b <= 1.5001; b += 0.1) {
      const o = [Math.round(a * 10) / 10, Math.round(b * 10) / 10, 0];
      const v = score(o);
      if (v > best.v) best = { o, v };
    }
  }
  return best.o;
}

const USAGE =
  'usage: npm run model:cv -- [--manifest <file>] [--folds 5] [--seed 42] [--json <out.json>] ' +
  '[--invariance [--names report|shipped|<file>]] [--against <manifest>]';

function cliArgs() {
  const { values } = parseCommandLine(
    {
      options: {
        manifest: { type: 'string' },
        folds: { type: 'string', default: '5' },
        seed: { type: 'string', default: '42' },
        json: { type: 'string' },
        invariance: { type: 'boolean', default: false },
        names: { type: 'string', default: 'report' },
        against: { type: 'string' },
      },
    },
    USAGE,
  );
  const manifestFile = path.resolve(
    values.manifest ?? path.join(import.meta.dirname, '..', 'manifests', 'default.json'),
  );
  return { values, manifestFile };
}

/**
 * `--against <manifest>`: both recipes on the same folds, compared row by row (cv-compare.ts). The
 * held-out sets' figures are not printed, so a choice between the two stays blind to them.
 */
async function runComparison(m: Manifest, files: { a: string; b: string }, o: { folds: number; seed: number }) {
  const dataDir = parseConfig({}).ULASAN_DATA_DIR;
  const b = readManifest(files.b);
  const run = (x: Manifest, side: string) =>
    crossValidate(x, dataDir, { ...o, log: (s) => console.error(`${side}: ${s}`) });
  const [cvA, cvB] = [await run(m, 'a'), await run(b, 'b')];
  const offsets = (x: Manifest) => x.decision_offsets ?? DEFAULT_TRAIN_OPTIONS.offsets;
  const masker = (manifestNameMasking(m, dataDir) ?? manifestNameMasking(b, dataDir))?.masker;
  const comparison = compareCv(cvA, cvB, {
    manifest: m,
    dataDir,
    offsetsA: offsets(m),
    offsetsB: offsets(b),
    namesAnApp: masker ? (t) => maskedModelText(t, masker) !== maskedModelText(t, null) : undefined,
  });
  return { a: files.a, b: files.b, folds: o.folds, seed: o.seed, ...comparison };
}

async function main(): Promise<void> {
  const { values, manifestFile } = cliArgs();
  const m = readManifest(manifestFile);
  const folds = Number(values.folds);
  const dataDir = parseConfig({}).ULASAN_DATA_DIR;
  if (values.against) {
    const files = { a: manifestFile, b: path.resolve(values.against) };
    const report = await runComparison(m, files, { folds, seed: Number(values.seed) });
    console.log(formatComparison(report));
    if (values.json) writeFileSync(values.json, JSON.stringify(report, null, 2) + '\n');
    return;
  }
  const cv = await crossValidate(m, dataDir, {
    folds,
    seed: Number(values.seed),
    invarianceNames: values.invariance ? invarianceNames(values.names) : undefined,
    log: (s) => console.error(s),
  });
  const report = cvReport(cv, m, { manifestFile, folds, dataDir });
  printReport(report, folds);
  if (values.json) writeFileSync(values.json, JSON.stringify(report, null, 2) + '\n');
}

function cvReport(cv: Cv, m: Manifest, at: { manifestFile: string; folds: number; dataDir: string }) {
  const { folds } = at;
  const labelledSources = m.sources.filter((s) => s.path).map((s) => s.name);
  const offsets = m.decision_offsets ?? DEFAULT_TRAIN_OPTIONS.offsets;
  return {
    manifest: at.manifestFile,
    folds,
    offsets_used: offsets,
    per_source: perSource(cv, folds, offsets),
    per_source_without_offsets: perSource(cv, folds, [0, 0, 0]),
    star_sources_every_row: everyRow(cv, m, at.dataDir, offsets),
    best_offsets_out_of_fold: bestOffsets(
      cv,
      labelledSources,
      m.sources.filter((s) => s.label_from === 'stars').map((s) => s.name),
    ),
    ...(cv.result.invariance?.length ? { invariance_out_of_fold: poolInvariance(cv.result.invariance) } : {}),
    evaluation_sets: Object.fromEntries(
      Object.entries(cv.result.evaluation).map(([k, v]) => [k, { macro_f1: meanSd(v) }]),
    ),
  };
}

const plusMinus = (v: { mean: number; sd: number }): string => `${v.mean.toFixed(4)} +- ${v.sd.toFixed(4)}`;

function printReport(report: ReturnType<typeof cvReport>, folds: number): void {
  for (const [source, r] of Object.entries(report.per_source)) {
    console.log(
      `${source.padEnd(18)} rows ${String(r.rows).padStart(6)}  ` +
        `macro-F1 ${plusMinus(r.macro_f1)}  accuracy ${plusMinus(r.accuracy)}`,
    );
  }
  for (const [source, r] of Object.entries(report.star_sources_every_row))
    console.log(
      `${source.padEnd(18)} every row ${String(r.rows).padStart(6)}  macro-F1 ${r.macro_f1.toFixed(4)}  ` +
        `accuracy ${r.accuracy.toFixed(4)} (duplicates counted, as a sample of reviews is)`,
    );
  for (const [set, r] of Object.entries(report.evaluation_sets))
    console.log(`${set.padEnd(18)} (held out) macro-F1 ${plusMinus(r.macro_f1)} over the ${folds} fold models`);
  console.log(
    `offsets in use ${JSON.stringify(report.offsets_used)}; ` +
      `best out-of-fold ${JSON.stringify(report.best_offsets_out_of_fold)}`,
  );
  if (report.invariance_out_of_fold)
    console.log(formatInvariance(report.invariance_out_of_fold, 'star-rated rows out of fold (distinct texts)'));
}

if (process.argv[1] && /cv\.(ts|js)$/.test(process.argv[1])) {
  main().catch((err: unknown) => {
    exitOnUsageError('model:cv', err);
    console.error(isUlasanError(err) ? `model:cv: ${err.code}: ${err.message}` : err);
    process.exit(1);
  });
}
