import path from 'node:path';
import { parseConfig, PROJECT_ROOT, z } from '../../platform/config.js';

/** The shipped training jobs a model name can be mapped to (LAUNCHER_JOBS). */
export type JobKind = 'compact' | 'hf-finetune';

export const launcherShape = {
  /** Consumer group of the training launcher. */
  LAUNCHER_GROUP: z.string().min(1).default('ulasan-training-launcher'),
  /** Registry model the launcher trains and registers. */
  LAUNCHER_MODEL_NAME: z.string().min(1).default('ulasan-compact'),
  /**
   * The data manifest retraining uses (the default package's own): its sources plus labelled
   * feedback from ClickHouse, merged by its feedback policy; its evaluation sets feed the gates.
   */
  LAUNCHER_MANIFEST: z
    .string()
    .min(1)
    .default(path.join(PROJECT_ROOT, 'models', 'manifests', 'default.json')),
  /**
   * External job command (run with sh -c, contract in models/trainer/job.ts), e.g. an IndoBERT
   * fine-tuning script on a GPU box. Unset: the built-in compact trainer in a child process.
   */
  LAUNCHER_COMMAND: z.string().min(1).optional(),
  /**
   * The job per registry model name, as `name=job` pairs (comma-separated): `compact` (the built-in
   * compact trainer) or `hf-finetune` (models/trainer/hf-finetune: fine-tunes LAUNCHER_HF_CHECKPOINT
   * with PyTorch, exports ONNX and int8). E.g. `indobert=hf-finetune`. A model not listed runs
   * LAUNCHER_COMMAND when set, else the built-in compact trainer.
   */
  LAUNCHER_JOBS: z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean),
    )
    .pipe(
      z.array(
        z
          .string()
          .regex(/^[^=\s]+=(compact|hf-finetune)$/, 'must list name=job pairs, job one of compact, hf-finetune'),
      ),
    )
    .transform((pairs) => Object.fromEntries(pairs.map((p) => p.split('=') as [string, JobKind]))),
  /**
   * The local Hugging Face checkpoint directory the hf-finetune job starts from (e.g. an IndoBERT you
   * downloaded); passed to the job as ULASAN_HF_CHECKPOINT. The hub is never contacted.
   */
  LAUNCHER_HF_CHECKPOINT: z.string().min(1).optional(),
  /** Extra arguments for the job, e.g. "--epochs 10". */
  LAUNCHER_JOB_ARGS: z.string().default(''),
  /** Validation accuracy (the launcher's own scoring of the candidate) it needs to be registered (Staging). */
  LAUNCHER_GATE_REGISTER: z.coerce.number().min(0).max(1).default(0.75),
  /** Validation accuracy a candidate must exceed to be promoted. */
  LAUNCHER_GATE_PROMOTE: z.coerce.number().min(0).max(1).default(0.8),
  /**
   * Non-inferiority margin of the promotion gate: the one-sided lower confidence bound of the
   * candidate's macro-F1 and accuracy minus Production's (and minus the best of the last
   * LAUNCHER_GATE_RATCHET_VERSIONS Production versions'), paired on the same validation rows, must be
   * at least -margin. At most 0.005: a wider margin lets successive promotions lose real quality.
   */
  LAUNCHER_PROMOTE_MARGIN: z.coerce
    .number()
    .min(0)
    .max(0.005, 'must be at most 0.005 (the gate allows no larger loss per promotion)')
    .default(0.005),
  /** One-sided confidence of the gate's bounds. */
  LAUNCHER_GATE_CONFIDENCE: z.coerce.number().min(0.8).max(0.999).default(0.95),
  /** Paired-bootstrap resamples of the validation rows per comparison. */
  LAUNCHER_GATE_RESAMPLES: z.coerce.number().int().min(200).max(100_000).default(2000),
  /** Seed of the bootstrap's draws (a fixed seed: the same rows and models give the same decision). */
  LAUNCHER_GATE_SEED: z.coerce.number().int().min(0).default(28),
  /** A segment (validation set, or app) must not be worse than Production beyond this, on its own lower bound. */
  LAUNCHER_GATE_SEGMENT_MARGIN: z.coerce.number().min(0).max(0.2).default(0.05),
  /** Segments with fewer validation rows are listed but not tested. */
  LAUNCHER_GATE_SEGMENT_MIN_ROWS: z.coerce.number().int().min(10).default(50),
  /** The upper bound of the candidate's ECE minus Production's must be at most this. */
  LAUNCHER_GATE_ECE_MARGIN: z.coerce.number().min(0).max(0.1).default(0.02),
  /** The package's invariance_worst_share_shift (0-1) must be at most this when it reports one. */
  LAUNCHER_GATE_INVARIANCE_MAX_SHIFT: z.coerce.number().min(0).max(1).default(0.02),
  /** The package's invariance_worst_accuracy_drop (0-1) must be at most this when it reports one. */
  LAUNCHER_GATE_INVARIANCE_MAX_DROP: z.coerce.number().min(0).max(1).default(0.01),
  /** The ratchet: a candidate is also held to the best of this many most recent Production versions. */
  LAUNCHER_GATE_RATCHET_VERSIONS: z.coerce.number().int().min(1).max(50).default(5),
  /** A distilled student must pick its teacher's sentiment on at least this share of the validation rows. */
  LAUNCHER_DISTILL_MIN_AGREEMENT: z.coerce.number().min(0).max(1).default(0.9),
  /** ... and be no less accurate than its teacher on them by more than this. */
  LAUNCHER_DISTILL_MARGIN: z.coerce.number().min(0).max(1).default(0.03),
  /** Unlabeled texts for a distillation: the newest this many stored reviews (a request's unlabeled_rows wins). */
  LAUNCHER_DISTILL_UNLABELED_ROWS: z.coerce.number().int().min(100).max(1_000_000).default(20_000),
  /** Launcher variables an external job may see besides PATH, HOME, locale, TZ, TMPDIR (comma-separated names). */
  LAUNCHER_JOB_ENV: z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must list variable names'))),
  /** Notified (POST JSON) of every run's outcome. */
  LAUNCHER_WEBHOOK_URL: z.string().url().optional(),
  /** Each webhook attempt is abandoned after this long; failed attempts are retried with backoff. */
  LAUNCHER_WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5000),
  /** Retries of a webhook call on 429, 5xx or a network error. */
  LAUNCHER_WEBHOOK_RETRIES: z.coerce.number().int().min(0).max(10).default(3),
  /** Where runs are prepared (data, job logs, reports; copied to the artifact store after). */
  LAUNCHER_WORK_DIR: z.string().default(path.join(PROJECT_ROOT, '.stack', 'runs')),
  /**
   * A package registered as version 1 and promoted when the model has no version yet (a first run:
   * the demo and compose point it at the start-up package). Unset: nothing is registered at start.
   */
  LAUNCHER_BOOTSTRAP_MODEL_DIR: z.string().min(1).optional(),
};

export type LauncherConfig = ReturnType<typeof parseLauncherConfig>;

export function parseLauncherConfig(env: NodeJS.ProcessEnv) {
  return parseConfig(launcherShape, env);
}
