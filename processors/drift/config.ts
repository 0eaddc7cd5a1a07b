// Drift processor configuration, parsed once at start-up (a bad value names its variable).
import path from 'node:path';
import { parseConfig, PROJECT_ROOT, z } from '../../platform/config.js';
import { DURATION } from '../../platform/time.js';

const duration = (example: string) =>
  z.string().refine((s) => DURATION.test(s.trim()), `must be a duration like ${example}`);

export const driftShape = {
  /** Consumer group of the drift processor. */
  DRIFT_GROUP: z.string().min(1).default('ulasan-drift'),
  /** Tumbling event-time window sizes, comma-separated. */
  DRIFT_WINDOWS: z
    .string()
    .default('1h,1d')
    .refine((s) => s.split(',').every((x) => DURATION.test(x.trim())), 'must list durations like 1h,1d'),
  /** How long after its end (in event time) a window still takes late records. */
  DRIFT_GRACE: duration('5m').default('5m'),
  /** Event times further ahead of the wall clock than this are refused (counted late, never windowed). */
  DRIFT_MAX_SKEW: duration('10m').default('10m'),
  /** A partition quiet this long stops holding the watermark back. */
  DRIFT_IDLE_FLUSH_MS: z.coerce.number().int().positive().default(60_000),
  /** Significance level of the per-feature tests (KS, chi-square). */
  DRIFT_ALPHA: z.coerce.number().gt(0).lt(1).default(0.05),
  /** `pvalue`: KS / chi-square tests; `evidently`: distance thresholds (Wasserstein, Jensen-Shannon). */
  DRIFT_METHOD: z.enum(['pvalue', 'evidently']).default('pvalue'),
  /** Windows (and references) with fewer rows are stored but not tested. */
  DRIFT_MIN_WINDOW_ROWS: z.coerce.number().int().min(1).default(30),
  /** Window state is kept per app up to this many apps per window; later apps share one segment. */
  DRIFT_MAX_SEGMENTS: z.coerce.number().int().min(1).default(200),
  /**
   * What windows are compared with. `window` (default): per segment (each app, and all apps
   * together), the first DRIFT_REFERENCE_PERIOD of traffic scored by the current Production model,
   * captured again after each promotion. `model`: per segment, the profile of the scoring model's
   * held-out evaluation data stored in its package (moves with each promotion; no data dir needed).
   * `dataset`: one global reference, DRIFT_REFERENCE_DATASET scored by DRIFT_MODEL_DIR (the
   * behaviour before segments).
   */
  DRIFT_REFERENCE: z.enum(['window', 'model', 'dataset']).default('window'),
  /**
   * DRIFT_REFERENCE=model: which of the scoring package's evaluation sets (its drift-reference.json,
   * written at training time) to pool as the reference, comma-separated; empty: all of them.
   */
  DRIFT_REFERENCE_SOURCES: z.string().default(''),
  /** The registry model whose versions' packages give the model references. */
  DRIFT_MODEL_NAME: z.string().min(1).default('ulasan-compact'),
  /** DRIFT_REFERENCE=window: how much of a segment's traffic becomes its reference. */
  DRIFT_REFERENCE_PERIOD: duration('1d').default('1d'),
  /**
   * Reference data, relative to ULASAN_DATA_DIR. It must be data the model did not train on: scored
   * on its own training set, a model is over-confident, and the confidence feature would drift by
   * construction. SmSA valid is the default model's held-out set.
   */
  DRIFT_REFERENCE_DATASET: z.string().default('smsa/valid_preprocess.tsv'),
  /** DRIFT_REFERENCE=dataset: the package that scores the reference data set. */
  DRIFT_MODEL_DIR: z.string().default(path.join(PROJECT_ROOT, 'models', 'packages', 'ulasan-compact')),
};

export type DriftConfig = ReturnType<typeof parseDriftConfig>;

export function parseDriftConfig(env: NodeJS.ProcessEnv) {
  return parseConfig(driftShape, env);
}
