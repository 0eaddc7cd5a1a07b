// npm run train -- (--manifest <file> | --train <file> [--train <file> ...] [--valid <file> ...]) --out <dir>
//   [--name n] [--version v] [--vocab vocab.txt] [--model fasttext|linear|fasttext+linear] [--dim 64] [--epochs n]
//   [--lr 0.5] [--seed 42] [--ensemble 1]
//   [--teacher <package> --unlabeled <file|topic:[name][@from..to]> [--unlabeled ...] [--temperature 1]
//    [--distill-weight 1]]
// Trains the compact model from a data manifest (or plain files: each --train file a source of
// weight 1, each --valid file held out; without --valid a stratified 10 % of the training rows is),
// exports it as an ONNX package with BERT-style inputs, and prints the evaluation metrics (also
// written into the package's ulasan.json model card). With --teacher, the student also learns the
// teacher's probabilities on the unlabeled texts (distillation; the labelled sets are optional then),
// and the card reports the teacher's metrics and the student's agreement with it per evaluation set.
import path from 'node:path';
import { parseConfig } from '../../platform/config.js';
import { exitOnUsageError, parseCommandLine } from '../../platform/cli.js';
import { isUlasanError, UlasanError } from '../../platform/errors.js';
import { progressBar, type Progress } from '../../platform/progress.js';
import { readManifest } from './manifest.js';
import type { DistillInput } from './distill.js';
import { DEFAULT_VOCAB, filesInput, runPipeline, type PipelineInput } from './pipeline.js';
import { readUnlabeled } from './unlabeled.js';

const MODEL_KINDS: readonly string[] = ['fasttext', 'linear', 'fasttext+linear'];

const USAGE = [
  'usage: npm run train -- (--manifest <file> | --train <file> [--valid <file>]) --out <dir>',
  '[--name n] [--version v] [--model fasttext|linear|fasttext+linear] [--dim 64] [--epochs n] [--seed 42]',
  '[--ensemble 1] [--teacher <package> --unlabeled <file|topic:[name][@from..to]> [--temperature 1]',
  '[--distill-weight 1]]',
].join(' ');

function dataInput(values: {
  manifest?: string;
  train?: string[];
  valid?: string[];
  teacher?: string;
}): Pick<PipelineInput, 'manifest' | 'dataDir'> {
  if (values.manifest && values.train?.length)
    throw new UlasanError('USAGE', `give --manifest or --train, not both\n${USAGE}`);
  if (values.manifest)
    return { manifest: readManifest(path.resolve(values.manifest)), dataDir: parseConfig({}).ULASAN_DATA_DIR };
  // A student may learn from its teacher alone: labelled files are optional then.
  if (values.train?.length || values.teacher)
    return filesInput(
      (values.train ?? []).map((f) => path.resolve(f)),
      (values.valid ?? []).map((f) => path.resolve(f)),
    );
  throw new UlasanError('USAGE', USAGE);
}

/** A bar over the training epochs on a terminal (undefined otherwise: epochs are then logged). */
function epochBar(): ((done: number, total: number) => void) | undefined {
  if (!process.stderr.isTTY) return undefined;
  return (done, total) => {
    epochBar.last ??= progressBar('training', total, 'epochs');
    epochBar.last.update(done);
  };
}
epochBar.last = null as Progress | null;

/** --teacher with its --unlabeled sources, checked together. */
async function distillInput(
  values: { teacher?: string; unlabeled?: string[]; temperature: string; 'distill-weight': string },
  log?: (m: string) => void,
): Promise<DistillInput | undefined> {
  if (!values.teacher) {
    if (values.unlabeled?.length) throw new UlasanError('USAGE', `--unlabeled needs --teacher\n${USAGE}`);
    return undefined;
  }
  if (!values.unlabeled?.length) throw new UlasanError('USAGE', `--teacher needs --unlabeled\n${USAGE}`);
  const temperature = Number(values.temperature);
  const weight = Number(values['distill-weight']);
  if (!(temperature > 0)) throw new UlasanError('USAGE', `--temperature must be > 0 (got ${values.temperature})`);
  if (!(weight > 0)) throw new UlasanError('USAGE', `--distill-weight must be > 0 (got ${values['distill-weight']})`);
  const { texts, source } = await readUnlabeled(values.unlabeled, parseConfig({}), log);
  return { teacherDir: path.resolve(values.teacher), texts, source, temperature, weight };
}

const CLI_OPTIONS = {
  manifest: { type: 'string' },
  train: { type: 'string', multiple: true },
  valid: { type: 'string', multiple: true },
  out: { type: 'string' },
  name: { type: 'string', default: 'ulasan-compact' },
  version: { type: 'string', default: '1' },
  vocab: { type: 'string', default: process.env.ULASAN_VOCAB ?? DEFAULT_VOCAB },
  model: { type: 'string' },
  dim: { type: 'string' },
  epochs: { type: 'string' },
  lr: { type: 'string' },
  seed: { type: 'string' },
  ensemble: { type: 'string', default: '1' },
  'run-id': { type: 'string' },
  quiet: { type: 'boolean', default: false },
  teacher: { type: 'string' },
  unlabeled: { type: 'string', multiple: true },
  temperature: { type: 'string', default: '1' },
  'distill-weight': { type: 'string', default: '1' },
} as const;

type CliValues = ReturnType<typeof parseCommandLine<{ options: typeof CLI_OPTIONS }>>['values'];

/** The trainer options given on the command line (the rest keep the trainer's defaults). */
function trainerOptions(values: CliValues): Record<string, string | number> {
  if (values.model !== undefined && !MODEL_KINDS.includes(values.model))
    throw new UlasanError('USAGE', `--model must be one of ${MODEL_KINDS.join(', ')} (got "${values.model}")`);
  const num = (v: string | undefined): number | undefined => (v === undefined ? undefined : Number(v));
  const given = { model: values.model, dim: num(values.dim), epochs: num(values.epochs), lr: num(values.lr) };
  return Object.fromEntries(
    Object.entries({ ...given, seed: num(values.seed) }).filter(([, v]) => v !== undefined),
  ) as Record<string, string | number>;
}

function printEvaluation(res: Awaited<ReturnType<typeof runPipeline>>): void {
  const hash = res.contentHash.slice(0, 16);
  console.log(
    `\npackage ${res.outDir} (sha256 ${hash}...) in ${res.seconds.toFixed(1)} s, ${res.trainRows} training rows`,
  );
  for (const m of res.evaluation) {
    const figures = `accuracy ${m.accuracy.toFixed(4)}  macro-F1 ${m.macro_f1.toFixed(4)}  ECE ${m.ece.toFixed(4)}`;
    console.log(`evaluation ${m.file} (${m.n} rows): ${figures}`);
    for (const [label, c] of Object.entries(m.per_class)) {
      const prf = `P ${c.precision.toFixed(3)}  R ${c.recall.toFixed(3)}  F1 ${c.f1.toFixed(3)}`;
      console.log(`  ${label.padEnd(9)} ${prf}  n ${c.support}`);
    }
    console.log(`  confusion (rows true, cols predicted): ${JSON.stringify(m.confusion_matrix)}`);
  }
  console.log(`ONNX export vs TypeScript model: max |dp| = ${res.exportMaxAbsDiff.toExponential(2)}`);
  for (const [set, a] of Object.entries(res.teacherAgreement ?? {}))
    console.log(`student vs teacher on ${set}: top-label agreement ${a.top_label.toFixed(4)} (n ${a.n})`);
}

async function main(): Promise<void> {
  const { values } = parseCommandLine({ options: CLI_OPTIONS }, USAGE);
  if (!values.out) throw new UlasanError('USAGE', USAGE);
  const options = trainerOptions(values);
  const log = values.quiet ? undefined : (m: string) => console.log(m);
  const res = await runPipeline({
    ...dataInput(values),
    distill: await distillInput(values, log),
    vocabFile: path.resolve(values.vocab),
    outDir: path.resolve(values.out),
    name: values.name,
    version: values.version,
    runId: values['run-id'],
    ensemble: Number(values.ensemble),
    options,
    log,
    onProgress: epochBar(),
  });
  epochBar.last?.stop();
  printEvaluation(res);
}

main().catch((err: unknown) => {
  exitOnUsageError('train', err);
  console.error(isUlasanError(err) ? `train: ${err.code}: ${err.message}` : err);
  process.exit(1);
});
