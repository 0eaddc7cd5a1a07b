// The built-in training job, run by the training launcher in a child process. The contract is the
// same for the shipped transformer fine-tune job (models/trainer/hf-finetune/job.ts, which also reads
// ULASAN_HF_CHECKPOINT) and for an external one (LAUNCHER_COMMAND):
//   environment  ULASAN_JOB_TRAIN  labelled training rows (JSONL: {"text", "label", "weight"?}), assembled
//                                  by the launcher from its data manifest plus feedback
//                ULASAN_JOB_VALID  labelled validation rows (JSONL: the manifest's evaluation sets), the
//                                  rows the gates use
//                ULASAN_JOB_OUT    directory to write the model package to
//                ULASAN_JOB_RUN_ID run id to stamp into ulasan.json
//                ULASAN_JOB_NAME   registry model name
//   distillation ULASAN_JOB_TEACHER    the teacher package (a verified registry version) to distil
//                ULASAN_JOB_UNLABELED  unlabeled review texts (JSONL: {"text"}) for the teacher to label
//                ULASAN_JOB_UNLABELED_SOURCE  where they came from (recorded in the model card)
//                The package's metrics must then include teacher_agreement and teacher_accuracy on
//                the ULASAN_JOB_VALID rows: the launcher's teacher gate reads them.
//   output       a model package at ULASAN_JOB_OUT (HF layout + ulasan.json with metrics)
//   masking      ULASAN_JOB_NAME_MASKING  the built-in job's name masking: shipped (default), off, or a list file
//                ULASAN_JOB_NAME_MASKING_AT  serve or train-and-serve (default: the manifest default's)
//   exit code    0 = package written; anything else = the run failed (stderr says why)
// Extra command-line arguments are passed on (e.g. --epochs 5 --dim 32).
import { parseArgs } from 'node:util';
import { isUlasanError } from '../../platform/errors.js';
import { readUnlabeledFile } from './distill.js';
import { DEFAULT_NAME_MASKING_AT, NAME_MASKING_AT, type NameMaskingAt } from './manifest.js';
import { DEFAULT_VOCAB, filesInput, runPipeline } from './pipeline.js';

const need = (name: string): string => {
  const v = process.env[name];
  if (!v) {
    console.error(`training job: ${name} is required`);
    process.exit(2);
  }
  return v;
};

// A job outlives a SIGKILLed launcher as an orphan; it stops itself instead (its run is re-run).
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) {
    console.error('training job: launcher is gone, stopping');
    process.exit(3);
  }
}, 500).unref();

const { values } = parseArgs({
  options: {
    epochs: { type: 'string' },
    dim: { type: 'string' },
    seed: { type: 'string' },
    temperature: { type: 'string' },
    'distill-weight': { type: 'string' },
  },
  strict: false,
});
const num = (v: unknown): number | undefined => (typeof v === 'string' ? Number(v) : undefined);
const options = Object.fromEntries(
  Object.entries({ epochs: num(values.epochs), dim: num(values.dim), seed: num(values.seed) }).filter(
    ([, v]) => v !== undefined,
  ),
);

const teacherDir = process.env.ULASAN_JOB_TEACHER;
const distillFromEnv = () =>
  teacherDir
    ? {
        teacherDir,
        texts: readUnlabeledFile(need('ULASAN_JOB_UNLABELED')),
        source: process.env.ULASAN_JOB_UNLABELED_SOURCE ?? need('ULASAN_JOB_UNLABELED'),
        temperature: num(values.temperature) ?? 1,
        weight: num(values['distill-weight']) ?? 1,
      }
    : undefined;

/**
 * The built-in job scores name-blind, like the default package: app, brand and operator names are
 * masked in what the package scores (and, with ULASAN_JOB_NAME_MASKING_AT=train-and-serve, in its
 * training texts too; the default is the manifest's, DEFAULT_NAME_MASKING_AT), so the gate's
 * name-shift check holds. ULASAN_JOB_NAME_MASKING=off trains without it; another value names a list file.
 */
function nameBlind(input: ReturnType<typeof filesInput>): ReturnType<typeof filesInput> {
  const names = process.env.ULASAN_JOB_NAME_MASKING ?? 'shipped';
  if (names === 'off') return input;
  const at = process.env.ULASAN_JOB_NAME_MASKING_AT ?? DEFAULT_NAME_MASKING_AT;
  if (!(NAME_MASKING_AT as readonly string[]).includes(at)) {
    console.error(`training job: ULASAN_JOB_NAME_MASKING_AT must be one of ${NAME_MASKING_AT.join(', ')}, not "${at}"`);
    process.exit(2);
  }
  const name_masking = { names, at: at as NameMaskingAt, augment: 0 };
  return { ...input, manifest: { ...input.manifest, name_masking } };
}

Promise.resolve()
  .then(() =>
    runPipeline({
      ...nameBlind(filesInput([need('ULASAN_JOB_TRAIN')], [need('ULASAN_JOB_VALID')])),
      distill: distillFromEnv(),
      outDir: need('ULASAN_JOB_OUT'),
      runId: need('ULASAN_JOB_RUN_ID'),
      name: process.env.ULASAN_JOB_NAME ?? 'ulasan-compact',
      version: 'candidate',
      vocabFile: process.env.ULASAN_VOCAB ?? DEFAULT_VOCAB,
      options,
      log: (m) => console.log(m),
    }),
  )
  .then(
    (r) => {
      console.log(JSON.stringify({ accuracy: r.metrics.accuracy, macro_f1: r.metrics.macro_f1, seconds: r.seconds }));
      process.exit(0);
    },
    (err: unknown) => {
      console.error(isUlasanError(err) ? `${err.code}: ${err.message}` : err);
      process.exit(1);
    },
  );
